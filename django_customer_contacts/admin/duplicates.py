"""The admin's "Possible duplicates" page: groups to merge or to dismiss, and the dismissals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .. import get_customer_model
from ..duplicate_review import dismissals_of, dismissed_message, dismissed_page, groups_page, undo_posted
from ..models import DuplicateDismissal
from ..normalize import parse_pk
from ..services import dismiss_duplicates
from .merge import MergeView

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .contacts import ContactAdmin

__all__ = ["DuplicatesView"]


class DuplicatesView:
    """``/admin/<app>/<contact>/duplicates/``: likely duplicates, most certain first.

    ``?customer=<pk>`` shows one customer's; ``?dismissed=1`` the pairs dismissed as
    "Not duplicates", each with Undo. The list needs no contact instances: one search
    (a few queries, see ``duplicates``), then one query for the customers shown, whatever
    the number of groups. POST ``dismiss`` (the group's contact pks) or ``undo`` (a
    dismissal's pk) needs the merge permission.
    """

    def __init__(self, model_admin: ContactAdmin) -> None:
        self.model_admin = model_admin
        self.model = model_admin.model

    def _url(self, name: str, *args: Any) -> str:
        return self.model_admin._url(name, *args)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.model_admin.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            return self.post(request)
        customer = self._customer(request)
        if customer is False:
            return HttpResponseRedirect(self._url("duplicates"))
        if request.GET.get("dismissed"):
            return self.dismissed(request, customer)
        found = groups_page(
            customer,
            request.GET.get("page"),
            contact_url=lambda pk: self._url("change", pk),
            merge_url=lambda ids: f"{self._url('merge')}?{urlencode({'ids': ','.join(str(pk) for pk in ids)})}",
        )
        customers = get_customer_model()._default_manager.in_bulk({group.customer_id for group in found.page})
        for row in found.rows:
            row["customer"] = customers.get(row["group"].customer_id)
        return self.render(
            request,
            {"page": found.page, "rows": found.rows, "customer": customer, "count": found.count},
        )

    def dismissed(self, request: HttpRequest, customer: Any) -> HttpResponse:
        contacts = self.model._default_manager.all()
        if customer is None:
            dismissals = DuplicateDismissal._default_manager.select_related("user")
        else:
            dismissals = dismissals_of(contacts.filter(customer_id=customer.pk))
        page, rows = dismissed_page(
            dismissals, contacts, request.GET.get("page"), contact_url=lambda pk: self._url("change", pk)
        )
        return self.render(request, {"page": page, "rows": rows, "customer": customer, "dismissed_list": True})

    def render(self, request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
        customer = context.get("customer")
        query = {"customer": customer.pk} if customer is not None else {}
        context = {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Dismissed duplicates") if context.get("dismissed_list") else _("Possible duplicates"),
            "can_act": self.model_admin.has_merge_contact_permission(request),
            "list_url": f"{self._url('duplicates')}?{urlencode(query)}",
            "dismissed_url": f"{self._url('duplicates')}?{urlencode({**query, 'dismissed': 1})}",
            "query": urlencode(query),
            **context,
        }
        return TemplateResponse(request, "admin/customer_contacts/duplicates.html", context)

    def _customer(self, request: HttpRequest) -> Any:
        """The customer of ``?customer=``; ``None`` for all; ``False`` (and a message) for a bad one."""
        raw = request.GET.get("customer")
        if not raw:
            return None
        try:
            pk = parse_pk(get_customer_model(), raw)
        except ValueError as exc:
            self.model_admin.message_user(request, str(exc), messages.ERROR)
            return False
        customer = get_customer_model()._default_manager.filter(pk=pk).first()
        if customer is None:
            self.model_admin.message_user(request, _("There is no such customer."), messages.ERROR)
            return False
        return customer

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.model_admin.has_merge_contact_permission(request):
            raise PermissionDenied
        back = request.POST.get("next") or self._url("duplicates")
        if not back.startswith(self._url("duplicates")):
            back = self._url("duplicates")
        user: AbstractBaseUser = request.user  # type: ignore[assignment]  # the admin's users are logged in
        if "undo" in request.POST:
            level, text = undo_posted(request.POST["undo"], user=user)
            self.model_admin.message_user(request, text, level)
            return HttpResponseRedirect(back)
        try:
            ids = MergeView(self.model_admin).parse_ids(request.POST.get("dismiss", ""))
        except ValidationError as exc:
            self.model_admin.message_user(request, exc.messages[0], messages.ERROR)
            return HttpResponseRedirect(back)
        contacts = list(self.model_admin.get_queryset(request).filter(pk__in=ids).order_by("pk"))
        if len(contacts) < 2 or len({c.customer_id for c in contacts}) != 1:
            self.model_admin.message_user(
                request, _("Select two or more contacts of one customer that still exist."), messages.ERROR
            )
            return HttpResponseRedirect(back)
        made = dismiss_duplicates(contacts, user=user)
        self.model_admin.message_user(request, dismissed_message(contacts, made), messages.SUCCESS)
        return HttpResponseRedirect(back)
