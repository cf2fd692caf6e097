"""The example CRM's own pages: customers and cases, for staff, outside the admin.

They show how a host renders contacts with the app's template tags and querysets:

* the customer list puts each customer's primary contact in a column with
  ``{% primary_contact customer as c %}``; ``prefetch_primary_contacts()`` makes that a
  fixed number of queries however many customers the page shows;
* the customer page has a "Contacts" tab of ``{% contact_card %}`` hCards, primary
  first, with each contact's notes, and lists who gets billing emails and outage
  texts through ``{% contact_recipients %}``;
* the case page lists the case's one-time contacts (``Contact.objects.for_scope(case)``)
  and watchers, and who an update about the case reaches (``scope=case``).

Adding, editing, merging and reviewing contacts happens on the app's customer pages
(``django_customer_contacts.urls``, included in ``example_project/urls.py``): these
pages link there, not to the admin.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import CharField, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Cast, Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode

from django_customer_contacts import get_contact_model
from django_customer_contacts.conf import app_settings
from django_customer_contacts.normalize import email_key, name_key
from django_customer_contacts.querysets import PRIMARY_CONTACT_ATTR, prefetch_primary_contacts

from .models import Case, Customer, Invoice, Note

CUSTOMERS_PER_PAGE = 100
CASES_PER_PAGE = 50
CUSTOMER_TABS = ("contacts", "cases", "invoices")


def count_of(queryset: QuerySet, column: str) -> Coalesce:
    """``queryset`` counted per ``column`` (matched with ``OuterRef`` in it): a subquery, 0 when empty."""
    counted = queryset.order_by().values(column).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted[:1]), 0)


def admin_url(obj: Any, action: str = "change") -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{action}", args=[obj.pk])


def contacts_page_url(name: str, customer_pk: Any, **kwargs: Any) -> str:
    """A customer page of the app (``contact_list``, ``contact_add``, ``contact_edit``, …)."""
    return reverse(f"customer_contacts:{name}", kwargs={"customer_pk": customer_pk, **kwargs})


def contact_url(contact: Any) -> str:
    """The contact's page (the app's "Edit contact")."""
    return contacts_page_url("contact_edit", contact.customer_id, pk=contact.pk)


def one_time_contacts_of_cases() -> QuerySet:
    """The one-time contacts whose scope is a case, to count per case."""
    case_type = ContentType.objects.get_for_model(Case)
    return get_contact_model()._default_manager.one_time().filter(scope_content_type=case_type)


# -- customers --------------------------------------------------------------------------


@staff_member_required
@permission_required("crm.view_customer", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    contacts = get_contact_model()._default_manager
    customers = Customer.objects.annotate(
        contact_count=count_of(contacts.regular().active().filter(customer=OuterRef("pk")), "customer"),
        open_case_count=count_of(
            Case.objects.exclude(status=Case.Status.CLOSED).filter(customer=OuterRef("pk")), "customer"
        ),
    ).order_by("name", "pk")

    query = request.GET.get("q", "").strip()
    if query:
        # A customer's name, or the name or email address of one of its contacts.
        matching_contacts = contacts.filter(customer=OuterRef("pk")).filter(
            Q(name_key__contains=name_key(query)) | Q(emails__email_normalized__contains=email_key(query))
        )
        customers = customers.filter(Q(name__icontains=query) | Exists(matching_contacts))
    kind = request.GET.get("kind", "")
    if kind in Customer.Kind.values:
        customers = customers.filter(kind=kind)
    # Customers with UNUSED_REVIEW_THRESHOLD or more unused contacts: one query.
    due_for_review = {row["customer"]: row["unused"] for row in contacts.unused_review()}
    review = request.GET.get("review") == "1"
    if review:
        customers = customers.filter(pk__in=list(due_for_review))

    # The primary contact of every customer on the page, with its emails and phones,
    # in three queries: {% primary_contact %} and contact.email / contact.phone then
    # read what was prefetched.
    customers = prefetch_primary_contacts(customers).prefetch_related(
        f"{PRIMARY_CONTACT_ATTR}__emails", f"{PRIMARY_CONTACT_ATTR}__phones"
    )
    page = Paginator(customers, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page"))
    for customer in page:
        customer.unused_count = due_for_review.get(customer.pk, 0)
    return render(
        request,
        "crm/customer_list.html",
        {
            "section": "customers",
            "page": page,
            "query": query,
            "kind": kind,
            "kinds": Customer.Kind.choices,
            "review": review,
            "review_count": len(due_for_review),
            "review_threshold": app_settings.unused_review_threshold,
        },
    )


@staff_member_required
@permission_required("crm.view_customer", raise_exception=True)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    model = get_contact_model()
    contacts = model._default_manager.regular().order_by("-is_primary", "-is_active", "last_name", "first_name", "pk")
    customer = get_object_or_404(
        Customer.objects.annotate(
            case_count=count_of(Case.objects.filter(customer=OuterRef("pk")), "customer"),
            invoice_count=count_of(Invoice.objects.filter(customer=OuterRef("pk")), "customer"),
        ).prefetch_related(
            # Prefetched as "contacts", the customer's contacts serve {% primary_contact %}
            # too: the tag looks for the primary among them instead of querying.
            Prefetch(
                "contacts", queryset=contacts.prefetch_related("emails", "phones", "tags", "notification_categories")
            ),
        ),
        pk=pk,
    )
    tab = request.GET.get("tab", "contacts")
    if tab not in CUSTOMER_TABS:
        tab = "contacts"
    context: dict[str, Any] = {
        "section": "customers",
        "customer": customer,
        "tab": tab,
        "customer_notes": customer.notes.select_related("author"),
        "customer_admin_url": admin_url(customer),
    }

    if tab == "contacts":
        all_contacts = Note.objects.attach(customer.contacts.all())
        # As the review counts them: one-time contacts of old cases are unused too.
        unused = set(model._default_manager.filter(customer=customer).unused().values_list("pk", flat=True))
        for contact in all_contacts:
            contact.is_unused = contact.pk in unused
            contact.page_url = contact_url(contact)
        context |= {
            "active_contacts": [contact for contact in all_contacts if contact.is_active],
            "inactive_contacts": [contact for contact in all_contacts if not contact.is_active],
            "unused_count": len(unused),
            "unused_after_days": app_settings.unused_after_days,
            "review_threshold": app_settings.unused_review_threshold,
            "needs_review": len(unused) >= app_settings.unused_review_threshold,
            "review_url": contacts_page_url("contact_unused", customer.pk),
            "contacts_url": contacts_page_url("contact_list", customer.pk),
            "add_contact_url": contacts_page_url("contact_add", customer.pk),
        }
    elif tab == "cases":
        one_time = one_time_contacts_of_cases().filter(scope_object_id=Cast(OuterRef("pk"), CharField()))
        context["cases"] = customer.cases.annotate(
            watcher_count=Count("watchers"), one_time_count=count_of(one_time, "scope_object_id")
        ).order_by("-created", "-pk")
    else:
        invoices = customer.invoices.select_related("billing_contact")
        context["invoices"] = invoices
        context["invoice_total"] = invoices.aggregate(total=Sum("amount"))["total"]
    return render(request, "crm/customer_detail.html", context)


# -- cases ------------------------------------------------------------------------------


@staff_member_required
@permission_required("crm.view_case", raise_exception=True)
def case_list(request: HttpRequest) -> HttpResponse:
    one_time = one_time_contacts_of_cases().filter(scope_object_id=Cast(OuterRef("pk"), CharField()))
    cases = (
        Case.objects.select_related("customer")
        .annotate(watcher_count=Count("watchers"), one_time_count=count_of(one_time, "scope_object_id"))
        .order_by("-created", "-pk")
    )
    status = request.GET.get("status", "active")
    if status == "active":
        cases = cases.exclude(status=Case.Status.CLOSED)
    elif status in Case.Status.values:
        cases = cases.filter(status=status)
    else:
        status = "all"
    if request.GET.get("one_time") == "1":
        cases = cases.filter(one_time_count__gt=0)
    query = request.GET.get("q", "").strip()
    if query:
        cases = cases.filter(Q(title__icontains=query) | Q(customer__name__icontains=query))
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    statuses = [("active", "Open or waiting"), *Case.Status.choices, ("all", "All")]
    return render(
        request,
        "crm/case_list.html",
        {
            "section": "cases",
            "page": page,
            "status": status,
            "statuses": statuses,
            "query": query,
            "one_time": request.GET.get("one_time") == "1",
        },
    )


@staff_member_required
@permission_required("crm.view_case", raise_exception=True)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(Case.objects.select_related("customer"), pk=pk)
    manager = get_contact_model()._default_manager
    points = ("emails", "phones")
    # One-time contacts exist for this case only: the app's for_scope() finds them.
    one_time_contacts = Note.objects.attach(
        manager.for_scope(case).select_related("customer").prefetch_related(*points, "tags")
    )
    watchers = list(case.watchers.select_related("customer").prefetch_related(*points))
    for contact in [*one_time_contacts, *watchers]:
        contact.page_url = contact_url(contact)
    next_here = urlencode({"next": reverse("crm:case_detail", args=[case.pk])})
    return render(
        request,
        "crm/case_detail.html",
        {
            "section": "cases",
            "case": case,
            "customer": case.customer,
            "one_time_contacts": one_time_contacts,
            "watchers": watchers,
            "case_notes": case.notes.select_related("author"),
            "case_admin_url": admin_url(case),
            # "New contact" for this case: the page offers a one-time contact for it
            # (ONE_TIME_SCOPE = crm.rules.case_scope), then comes back here.
            "add_one_time_url": f"{contacts_page_url('contact_add', case.customer_id)}?scope={case.pk}&{next_here}",
        },
    )
