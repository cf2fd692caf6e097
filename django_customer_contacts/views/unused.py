"""The review of unused contacts: why each is unused, and deleting them together."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, OuterRef
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..conf import app_settings
from ..exceptions import PrimaryContactError
from ..models import ContactEmail, ContactPhone
from ..permissions import delete_refusal
from ..querysets import first_point
from ..unused import check_threshold, unused_cutoff
from .base import CustomerPageMixin, contact_permission, parse_ids
from .contacts import national_number

__all__ = ["UnusedContactsView"]


class UnusedContactsView(CustomerPageMixin):
    """``unused/``: the customer's unused contacts (``ContactQuerySet.unused()``), never
    contacted first, then the longest not contacted; POSTed, the selected ones are deleted
    after a confirmation."""

    template_name = "customer_contacts/contact_unused.html"
    page_title = gettext_lazy("Unused contacts")
    paginate_by = 200

    def unused(self) -> Any:
        return self.contacts().unused()

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render()

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_perm(contact_permission("delete")):
            raise PermissionDenied(_("You don't have permission to delete contacts."))
        try:
            ids = parse_ids(request.POST.getlist("ids"))
        except ValidationError as exc:
            return self.redirect_with_message(exc.messages[0], messages.ERROR, self.url("contact_unused"))
        selected = list(self.unused().filter(pk__in=ids))
        if not selected:
            return self.redirect_with_message(
                _("Select the contacts to delete: none of those selected is unused now."),
                messages.ERROR,
                self.url("contact_unused"),
            )
        refusals = {contact.pk: delete_refusal(request.user, contact) for contact in selected}
        deletable = [contact for contact in selected if refusals[contact.pk] is None]
        if "confirm" not in request.POST:
            return self.render(confirm=deletable, refused=[r for r in refusals.values() if r is not None])
        deleted = 0
        if deletable:
            try:
                # Deleted only while still unused: one reached meanwhile stays.
                deleted = (
                    self.unused()
                    .filter(pk__in=[c.pk for c in deletable])
                    .delete()[1]
                    .get(self.contacts().model._meta.label, 0)
                )
            except PrimaryContactError as exc:  # made primary meanwhile
                messages.error(request, str(exc))
        if deleted:
            messages.success(
                request,
                ngettext("Deleted %(count)d contact.", "Deleted %(count)d contacts.", deleted) % {"count": deleted},
            )
        kept = len(ids) - deleted
        if kept:
            reasons = list(dict.fromkeys(r for r in refusals.values() if r is not None))
            messages.warning(
                request,
                ngettext(
                    "%(count)d selected contact was not deleted.", "%(count)d selected contacts were not deleted.", kept
                )
                % {"count": kept}
                + " "
                + (" ".join(reasons) or _("They are no longer unused, or were deleted meanwhile.")),
            )
        return HttpResponseRedirect(self.url("contact_unused"))

    def render(self, confirm: list[Any] | None = None, refused: list[str] | None = None) -> HttpResponse:
        contacts = self.unused().annotate(
            primary_email_value=first_point(ContactEmail._default_manager.filter(contact=OuterRef("pk")), "email"),
            primary_phone_value=first_point(ContactPhone._default_manager.filter(contact=OuterRef("pk")), "number"),
        )
        page = Paginator(
            contacts.order_by(F("last_contacted_at").asc(nulls_first=True), "created", "pk"), self.paginate_by
        ).get_page(self.request.GET.get("page"))
        rows = [
            {
                "contact": contact,
                "email": contact.primary_email_value or "",
                "phone": national_number(contact.primary_phone_value) if contact.primary_phone_value else "",
                "can_delete": delete_refusal(self.request.user, contact) is None,
            }
            for contact in page.object_list
        ]
        context = self.get_context_data(
            page=page,
            rows=rows,
            unused_after_days=app_settings.unused_after_days,
            cutoff=unused_cutoff(),
            threshold=check_threshold(None),
            confirm=confirm,
            refused=refused or [],
        )
        return TemplateResponse(self.request, self.template_name, context)
