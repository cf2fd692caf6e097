"""What every customer page shares: the customer in the URL, who may see it, its contacts.

A page is a class-based view with :class:`CustomerPageMixin`. Before the page's own
handler runs, ``dispatch()``:

1. sends an anonymous user to the login page;
2. reads the customer from the URL kwarg ``customer_pk``; one that doesn't exist, or that
   the user may not see (``CUSTOMER_ACCESS``, see ``permissions.can_see_customer()``), is
   a 404 — the page never says whether another tenant's customer exists;
3. asks the page's :meth:`~CustomerPageMixin.permission_refusal`: a reason is a 403.

A contact in the URL (kwarg ``pk``) is looked up among the customer's contacts only
(:meth:`~CustomerPageMixin.get_contact`): another customer's contact is a 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic.base import ContextMixin, View

from .. import get_contact_model, get_customer_model
from ..conf import app_settings
from ..normalize import parse_pk
from ..permissions import can_see_customer

if TYPE_CHECKING:
    from django.db import models

    from ..models import AbstractContact
    from ..querysets import ContactQuerySet

__all__ = ["CustomerPageMixin", "contact_permission", "parse_ids"]


def contact_permission(action: str) -> str:
    """The contact model's own permission for ``action`` (``view``, ``add``, ``change``, ``delete``)."""
    opts = get_contact_model()._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


def parse_ids(values: list[str]) -> list[Any]:
    """Contact pks from a request: repeated (``ids=1&ids=2``) or comma-separated
    (``ids=1,2``), each once. ``ValidationError`` for one that can't be a contact's pk."""
    model = get_contact_model()
    ids: list[Any] = []
    for value in values:
        for raw in value.split(","):
            if not raw.strip():
                continue
            try:
                pk = parse_pk(model, raw.strip())
            except ValueError:
                raise ValidationError(
                    _("“%(value)s” is not a contact id. Select the contacts in the contact list.")
                    % {"value": raw.strip()[:50]}
                ) from None
            if pk not in ids:
                ids.append(pk)
    return ids


class CustomerPageMixin(ContextMixin, View):
    """A page about one customer's contacts: see the module docstring."""

    #: The page's title (the heading and the ``<title>``).
    page_title: Any = ""
    customer: models.Model
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.customer = self.get_customer(kwargs["customer_pk"])
        refusal = self.permission_refusal()
        if refusal is not None:
            raise PermissionDenied(refusal)
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        return response

    # -- the customer and its contacts ----------------------------------------------------

    def customer_queryset(self, customer_pk: Any) -> models.QuerySet[Any]:
        """The query that reads the customer (a page may annotate it)."""
        return get_customer_model()._default_manager.filter(pk=customer_pk)

    def get_customer(self, value: Any) -> models.Model:
        """The customer the URL names, if the user may see it; else a 404."""
        try:
            customer_pk = parse_pk(get_customer_model(), value)
        except ValueError:
            raise Http404(_("No such customer.")) from None
        customer = self.customer_queryset(customer_pk).first()
        if customer is None or not can_see_customer(self.request.user, customer):
            raise Http404(_("No such customer."))
        return cast("models.Model", customer)

    def contacts(self) -> ContactQuerySet:
        """All the customer's contacts (one-time ones too)."""
        model = get_contact_model()
        contacts: ContactQuerySet = model._default_manager.filter(customer_id=self.customer.pk)
        return contacts

    def get_contact(self, queryset: ContactQuerySet | None = None) -> AbstractContact:
        """The contact the URL names (kwarg ``pk``), among this customer's; else a 404."""
        try:
            pk = parse_pk(get_contact_model(), self.kwargs["pk"])
        except ValueError:
            raise Http404(_("No such contact.")) from None
        contact = (queryset if queryset is not None else self.contacts()).filter(pk=pk).first()
        if contact is None:
            raise Http404(_("No such contact."))
        return contact

    # -- permissions ------------------------------------------------------------------------

    def permission_refusal(self) -> str | None:
        """Why the user may not use this page, or ``None``. Every page needs the view permission."""
        if not self.has_perm(contact_permission("view")) and not self.has_perm(contact_permission("change")):
            return _("You don't have permission to view contacts.")
        return None

    def has_perm(self, permission: str) -> bool:
        return bool(self.request.user.has_perm(permission))

    # -- links and templates ------------------------------------------------------------------

    def url(self, name: str, **kwargs: Any) -> str:
        """The URL of another customer page of this customer (``name``: ``contact_list``, …)."""
        namespace = self.request.resolver_match.namespace if self.request.resolver_match else "customer_contacts"
        return reverse(f"{namespace}:{name}", kwargs={"customer_pk": self.kwargs["customer_pk"], **kwargs})

    def next_url(self, default: str | None = None) -> str:
        """Where to go after a change: a safe ``next`` parameter, else ``default`` (the list)."""
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return default or self.url("contact_list")

    def redirect_with_message(self, text: str, level: int = messages.SUCCESS, url: str | None = None) -> HttpResponse:
        messages.add_message(self.request, level, text)
        return HttpResponseRedirect(url or self.url("contact_list"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        model = get_contact_model()
        context.update(
            {
                "base_template": app_settings.base_template,
                "customer": self.customer,
                "page_title": self.page_title,
                "list_url": self.url("contact_list"),
                "opts": model._meta,
                "messages": messages.get_messages(self.request),
                "can": {
                    "add": self.has_perm(contact_permission("add")),
                    "merge": self.has_perm("customer_contacts.merge_contact"),
                    "export": self.has_perm("customer_contacts.export_contact"),
                    "set_primary": self.has_perm("customer_contacts.set_primary_contact"),
                    "delete": self.has_perm(contact_permission("delete")),
                },
                "next": self.request.GET.get("next", ""),
            }
        )
        return context
