"""The contacts list, the contact form (new and edit), delete and set primary."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.forms import inlineformset_factory, modelform_factory
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import get_contact_model
from ..conf import app_settings
from ..exceptions import ContactError, PrimaryContactError
from ..filters import ContactFilterSet
from ..forms import CONTACT_SECTIONS, ContactForm, ContactPointFormSet, keep_stored_values
from ..locking import db_for_write, lock_contacts, lock_customer
from ..models import ContactEmail, ContactPhone, NotificationCategory, Tag
from ..normalize import display_phone
from ..permissions import CHANGE_CUSTOMER_MANAGED, change_refusal, delete_refusal, is_customer_managed
from ..querysets import first_point
from ..receivers import primary_deletion_refusal
from ..services import set_primary_contact
from ..unused import check_threshold
from .base import CustomerPageMixin, contact_permission

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.db import models

    from ..models import AbstractContact

__all__ = [
    "ContactCreateView",
    "ContactDeleteView",
    "ContactListView",
    "ContactUpdateView",
    "SetPrimaryView",
    "contact_form_class",
    "national_number",
]


def national_number(value: object) -> str:
    """A stored number as people of the default region write it (``07911 123456``; a
    number of another country in international format): ``normalize.display_phone``."""
    return display_phone(value)


class KnownCountPaginator(Paginator):  # type: ignore[type-arg]  # not generic at runtime
    """A paginator told the count, which the page read with the customer: no count query."""

    def __init__(self, object_list: Any, per_page: int, known_count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = known_count

    @cached_property
    def count(self) -> int:
        return self.known_count


# -- the list ---------------------------------------------------------------------------------


class ContactListView(CustomerPageMixin):
    """The customer's contacts: filtered and searched (``ContactFilterSet``), paginated.

    A fixed number of queries however many contacts: the customer with its counts (unused
    contacts, contacts listed), the page of contacts with their primary email and phone,
    the tag and category choices of the filters.
    """

    template_name = "customer_contacts/contact_list.html"
    page_title = gettext_lazy("Contacts")
    paginate_by = 50
    filterset_class = ContactFilterSet

    def customer_queryset(self, customer_pk: Any) -> models.QuerySet[Any]:
        model = get_contact_model()
        of_customer = model._default_manager.filter(customer_id=customer_pk)
        self.filterset = self.filterset_class(self.request.GET, queryset=of_customer)
        listed: models.QuerySet[Any, Any] = (
            self.filterset.qs.order_by().values("customer_id").annotate(n=Count("pk")).values("n")
        )
        unused = of_customer.unused().order_by().values("customer_id").annotate(n=Count("pk")).values("n")
        customers: models.QuerySet[Any] = super().customer_queryset(customer_pk)
        annotated: models.QuerySet[Any] = customers.annotate(
            customer_contacts_listed=Coalesce(Subquery(listed[:1]), Value(0), output_field=IntegerField()),
            customer_contacts_unused=Coalesce(Subquery(unused[:1]), Value(0), output_field=IntegerField()),
        )
        return annotated

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email_model, phone_model = ContactEmail, ContactPhone
        contacts = self.filterset.qs.annotate(
            primary_email_value=first_point(email_model._default_manager.filter(contact=OuterRef("pk")), "email"),
            primary_phone_value=first_point(phone_model._default_manager.filter(contact=OuterRef("pk")), "number"),
        ).order_by("-is_primary", "last_name", "first_name", "pk")
        count = cast(int, self.customer.customer_contacts_listed)  # type: ignore[attr-defined]
        paginator = KnownCountPaginator(contacts, self.paginate_by, count)
        page = paginator.get_page(request.GET.get("page"))
        rows = [
            {
                "contact": contact,
                "email": contact.primary_email_value or "",
                "phone": national_number(contact.primary_phone_value) if contact.primary_phone_value else "",
                "can_change": change_refusal(request.user, contact) is None,
            }
            for contact in page.object_list
        ]
        self._fill_choices(self.filterset.form)
        unused = cast(int, self.customer.customer_contacts_unused)  # type: ignore[attr-defined]
        query = request.GET.copy()
        query.pop("page", None)
        context = self.get_context_data(
            filter=self.filterset,
            page=page,
            contacts=rows,
            unused_count=unused,
            unused_review_due=unused >= check_threshold(None),
            unused_after_days=app_settings.unused_after_days,
            query=query.urlencode(),
            has_query=bool(request.GET),
        )
        return TemplateResponse(request, self.template_name, context)

    @staticmethod
    def _fill_choices(form: forms.Form) -> None:
        """The tag and category choices of the filters, in one query (not one each)."""
        tags = Tag.objects.order_by().annotate(kind=Value("tag")).values_list("kind", "pk", "name")
        categories = (
            NotificationCategory.objects.order_by().annotate(kind=Value("category")).values_list("kind", "pk", "name")
        )
        choices: dict[str, list[tuple[Any, str]]] = {"tag": [], "category": []}
        for kind, pk, name in tags.union(categories, all=True).order_by("kind", "name"):
            choices[kind].append((pk, name))
        for name, options in choices.items():
            field = form.fields.get(name)
            if field is not None:
                field.widget.choices = [("", getattr(field, "empty_label", "")), *options]


# -- new and edit ---------------------------------------------------------------------------

#: Fields the customer pages don't edit: the customer is the page's, the login has its own
#: page, the dates are the app's to stamp.
NOT_ON_PAGE = ["customer", "user", "last_contacted_at", "marketing_consent_at"]

#: The form's fields in groups, for the template: the sections the admin's contact page has too.
FIELD_GROUPS: list[tuple[Any, list[str]]] = CONTACT_SECTIONS

YES_NO = [(True, gettext_lazy("Yes")), (False, gettext_lazy("No"))]


def contact_form_class(user: Any) -> type[ContactForm]:
    """The contact form of the customer pages: the admin's ``ContactForm`` without the
    fields the page doesn't edit. ``managed_by`` only for staff who may change
    customer-managed contacts."""
    exclude = [*ContactForm.Meta.exclude, *NOT_ON_PAGE]
    if not user.has_perm(CHANGE_CUSTOMER_MANAGED):
        exclude.append("managed_by")
    return cast(
        "type[ContactForm]",
        modelform_factory(
            get_contact_model(),
            form=ContactForm,
            exclude=exclude,
            widgets={
                "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                "receive_all_notifications": forms.RadioSelect(choices=YES_NO),
                "notes": forms.Textarea(attrs={"rows": 3}),
            },
        ),
    )


def point_formset_classes(extra: int) -> tuple[type[ContactPointFormSet], type[ContactPointFormSet]]:
    """The email and phone formsets of the contact form (``extra`` blank rows each)."""
    model = get_contact_model()
    emails = inlineformset_factory(
        model,
        ContactEmail,
        formset=ContactPointFormSet,
        fields=["email", "kind", "is_primary"],
        extra=extra,
        can_delete=True,
        can_delete_extra=False,
    )
    phones = inlineformset_factory(
        model,
        ContactPhone,
        formset=ContactPointFormSet,
        fields=["number", "kind", "is_primary"],
        extra=extra,
        can_delete=True,
        can_delete_extra=False,
    )
    return cast("type[ContactPointFormSet]", emails), cast("type[ContactPointFormSet]", phones)


class ContactFormMixin(CustomerPageMixin):
    """The contact form with its email and phone formsets; saved in one transaction."""

    template_name = "customer_contacts/contact_form.html"
    extra_points = 1
    contact: AbstractContact
    read_only_reason: str | None = None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render(*self.build_forms(None))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.read_only_reason is not None:
            raise PermissionDenied(self.read_only_reason)
        form, emails, phones = self.build_forms(request.POST)
        if not (form.is_valid() and emails.is_valid() and phones.is_valid()):
            return self.render(form, emails, phones, status=200)
        try:
            with transaction.atomic(using=db_for_write(self.contact)):
                contact = self.save(form)
                form.save_m2m()
                form.save_relations()
                for formset in (emails, phones):
                    formset.instance = contact
                    formset.save()
        except ValidationError as exc:
            # Found only under the locks (an address another contact took meanwhile): nothing saved.
            form.add_error(None, exc.messages)
            return self.render(form, emails, phones)
        except ContactError as exc:
            form.add_error(None, str(exc))
            return self.render(form, emails, phones)
        return self.redirect_with_message(self.saved_message(contact), url=self.next_url())

    def build_forms(self, data: Any) -> tuple[ContactForm, ContactPointFormSet, ContactPointFormSet]:
        form = contact_form_class(self.request.user)(data, instance=self.contact)
        email_class, phone_class = point_formset_classes(self.extra_points)
        emails = email_class(data, instance=self.contact, prefix="emails")
        phones = phone_class(data, instance=self.contact, prefix="phones")
        if self.read_only_reason is not None:
            for each in (form, *emails.forms, *phones.forms):
                for field in each.fields.values():
                    field.disabled = True
        return form, emails, phones

    def save(self, form: ContactForm) -> AbstractContact:
        raise NotImplementedError

    def saved_message(self, contact: AbstractContact) -> str:
        raise NotImplementedError

    def render(
        self, form: ContactForm, emails: ContactPointFormSet, phones: ContactPointFormSet, status: int = 200
    ) -> HttpResponse:
        known = {name for _label, names in FIELD_GROUPS for name in names}
        groups = [(label, [form[name] for name in names if name in form.fields]) for label, names in FIELD_GROUPS]
        extra = [form[name] for name in form.fields if name not in known]
        if extra:  # a host's own fields
            groups.insert(1, (_("Details"), extra))
        context = self.get_context_data(
            form=form,
            groups=[(label, fields) for label, fields in groups if fields],
            emails=emails,
            phones=phones,
            contact=self.contact if self.contact.pk is not None else None,
            read_only_reason=self.read_only_reason,
        )
        return TemplateResponse(self.request, self.template_name, context, status=status)


class ContactCreateView(ContactFormMixin):
    """A new contact; opened for a case (``?scope=…``, ``ONE_TIME_SCOPE``), it can be a
    one-time contact of that case."""

    page_title = gettext_lazy("New contact")
    extra_points = 2

    def permission_refusal(self) -> str | None:
        refusal = super().permission_refusal()
        if refusal is None and not self.has_perm(contact_permission("add")):
            refusal = _("You don't have permission to add contacts.")
        return refusal

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.contact = get_contact_model()()
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def scope(self) -> models.Model | None:
        """The one-time scope the page was opened for, as ``ONE_TIME_SCOPE`` resolves it."""
        value = self.request.GET.get("scope", "")
        resolve = app_settings.one_time_scope
        if not value or resolve is None:
            return None
        scope: models.Model | None = resolve(self.request, self.customer, value)
        return scope

    def build_forms(self, data: Any) -> tuple[ContactForm, ContactPointFormSet, ContactPointFormSet]:
        self.contact.customer = self.customer
        form, emails, phones = super().build_forms(data)
        if self.scope is not None:
            form.fields["one_time"] = forms.BooleanField(
                label=_("One-time contact"),
                required=False,
                help_text=_("Only for %(scope)s: the contact is not added to the customer's contact list.")
                % {"scope": self.scope},
            )
        return form, emails, phones

    def save(self, form: ContactForm) -> AbstractContact:
        contact: AbstractContact = form.save(commit=False)
        if self.scope is not None and form.cleaned_data.get("one_time"):
            contact.scope = self.scope
        if contact.managed_by == contact.ManagedBy.CUSTOMER and not self.has_perm(CHANGE_CUSTOMER_MANAGED):
            raise ContactError(_("You don't have permission to add contacts managed by the customer."))
        contact.save()
        return contact

    def saved_message(self, contact: AbstractContact) -> str:
        return _("%(contact)s was added.") % {"contact": contact}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(scope=self.scope, **kwargs)


class ContactUpdateView(ContactFormMixin):
    """A contact: editable, or read-only with the reason (customer-managed, or view-only staff)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        return super().post(request, *args, **kwargs)

    def load(self) -> None:
        # The plugin checks lookups against AbstractContact, which declares these for type checkers only.
        contacts = self.contacts().prefetch_related("tags", "notification_categories")  # type: ignore[misc]
        self.contact = self.get_contact(contacts)
        self.page_title = str(self.contact)
        self.read_only_reason = change_refusal(self.request.user, self.contact)

    def save(self, form: ContactForm) -> AbstractContact:
        """Under the customer's, then the contact's lock: what the form doesn't edit (whether
        the contact is primary, its scope, when it was last contacted) is re-read then."""
        contact: AbstractContact = form.save(commit=False)
        using = db_for_write(contact)
        try:
            lock_customer(self.customer.pk, using)
        except ObjectDoesNotExist:
            raise ContactError(_("The customer was deleted meanwhile: nothing was saved.")) from None
        fresh = lock_contacts([contact.pk], using, no_key=True).get(contact.pk)
        if fresh is None or fresh.customer_id != self.customer.pk:
            raise ContactError(
                _("%(contact)s was deleted or moved meanwhile: nothing was saved.") % {"contact": contact}
            )
        refusal = change_refusal(self.request.user, fresh)
        if refusal is not None:
            raise ContactError(refusal)
        keep_stored_values(contact, fresh, form.fields)
        contact.save()
        return contact

    def saved_message(self, contact: AbstractContact) -> str:
        return _("%(contact)s was saved.") % {"contact": contact}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        contact = self.contact
        user = self.request.user
        return super().get_context_data(
            customer_managed=is_customer_managed(contact),
            can_delete_contact=delete_refusal(user, contact) is None,
            can_set_primary=(
                self.has_perm("customer_contacts.set_primary_contact")
                and not contact.is_primary
                and contact.is_active
                and not contact.is_one_time
            ),
            can_enable_login=self.read_only_reason is None,
            **kwargs,
        )


# -- delete ----------------------------------------------------------------------------------


class ContactDeleteView(CustomerPageMixin):
    """Delete one contact, after a confirmation. The primary contact's deletion is refused
    before the confirmation page, saying what to do."""

    template_name = "customer_contacts/contact_confirm_delete.html"
    page_title = gettext_lazy("Delete contact")

    def permission_refusal(self) -> str | None:
        refusal = super().permission_refusal()
        if refusal is None and not self.has_perm(contact_permission("delete")):
            refusal = _("You don't have permission to delete contacts.")
        return refusal

    def prepare(self) -> AbstractContact | HttpResponse:
        contact = self.get_contact()
        refusal = delete_refusal(self.request.user, contact)
        if refusal is not None:
            raise PermissionDenied(refusal)
        primary_refusal = primary_deletion_refusal(contact)
        if primary_refusal is not None:
            return self.redirect_with_message(primary_refusal, messages.ERROR, self.url("contact_edit", pk=contact.pk))
        return contact

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        contact = self.prepare()
        if isinstance(contact, HttpResponse):
            return contact
        return TemplateResponse(request, self.template_name, self.get_context_data(contact=contact))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        contact = self.prepare()
        if isinstance(contact, HttpResponse):
            return contact
        name = str(contact)
        try:
            deleted, _counts = contact.delete()
        except PrimaryContactError as exc:
            return self.redirect_with_message(str(exc), messages.ERROR, self.url("contact_edit", pk=contact.pk))
        if not deleted:
            return self.redirect_with_message(
                _("%(contact)s was deleted or merged meanwhile.") % {"contact": name}, messages.WARNING
            )
        return self.redirect_with_message(_("%(contact)s was deleted.") % {"contact": name}, url=self.next_url())


# -- set primary --------------------------------------------------------------------------


class ConfirmPrimaryForm(forms.Form):
    """Typing the word "primary" confirms the change, as the CRMs the app follows ask."""

    WORD = "primary"

    confirm = forms.CharField(
        label=gettext_lazy("Type “primary” to confirm"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )

    def clean_confirm(self) -> str:
        value = str(self.cleaned_data["confirm"]).strip().casefold()
        if value not in {self.WORD, _("primary").casefold()}:
            raise ValidationError(_("Type the word “primary” to confirm."), code="not_confirmed")
        return value


class SetPrimaryView(CustomerPageMixin):
    """Make a contact the customer's primary contact, confirmed by typing "primary"."""

    template_name = "customer_contacts/contact_set_primary.html"
    page_title = gettext_lazy("Set as primary contact")

    def permission_refusal(self) -> str | None:
        refusal = super().permission_refusal()
        if refusal is None and not self.has_perm("customer_contacts.set_primary_contact"):
            refusal = _("You don't have permission to set the primary contact.")
        return refusal

    def prepare(self) -> tuple[AbstractContact, str | None]:
        """The contact, and why it can't be made primary (``None``: it can)."""
        contact = self.get_contact()
        # Both the new primary and the one it replaces change.
        current = self.contacts().filter(is_primary=True).exclude(pk=contact.pk).first()
        refusals = [change_refusal(self.request.user, c) for c in (contact, current) if c is not None]
        reasons = list(dict.fromkeys(r for r in refusals if r is not None))
        if reasons:
            raise PermissionDenied(" ".join(reasons))
        if not app_settings.primary_contact_allowed(self.customer):
            return contact, _("%(customer)s can't have a primary contact.") % {"customer": self.customer}
        if contact.is_primary:
            return contact, _("%(contact)s is the primary contact already.") % {"contact": contact}
        if not contact.is_active:
            return contact, _("An inactive contact can't be the primary contact.")
        if contact.is_one_time:
            return contact, _("A one-time contact can't be the primary contact.")
        self.current = current
        return contact, None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        contact, refusal = self.prepare()
        return self.render(contact, refusal, ConfirmPrimaryForm())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        contact, refusal = self.prepare()
        form = ConfirmPrimaryForm(request.POST)
        if refusal is not None or not form.is_valid():
            return self.render(contact, refusal, form)
        try:
            # A logged-in user: never an AnonymousUser.
            set_primary_contact(contact, user=cast("AbstractBaseUser", request.user))
        except PrimaryContactError as exc:
            form.add_error(None, str(exc))
            return self.render(contact, None, form)
        return self.redirect_with_message(
            _("%(contact)s is now the primary contact.") % {"contact": contact}, url=self.next_url()
        )

    def render(self, contact: AbstractContact, refusal: str | None, form: ConfirmPrimaryForm) -> HttpResponse:
        context = self.get_context_data(
            contact=contact, refusal=refusal, form=form, current=getattr(self, "current", None)
        )
        return TemplateResponse(self.request, self.template_name, context)
