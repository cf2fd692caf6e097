"""Export the customer's consented contacts as CSV (the app's streamed export), saying
first how many of those selected are left out, and why."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..export import csv_response
from ..querysets import CONSENTED, has_email
from .base import CustomerPageMixin, parse_ids

__all__ = ["LEFT_OUT_REASONS", "ExportView"]

#: Why a contact is left out of a marketing export, in the order they are told: the first
#: that applies counts. ``consented()`` (``querysets.CONSENTED`` and an email address) is
#: the rule; these name its parts.
LEFT_OUT_REASONS: list[tuple[str, Any, Q]] = [
    ("inactive", gettext_lazy("inactive"), Q(is_active=False)),
    ("no_consent", gettext_lazy("no marketing consent"), Q(marketing_consent=False)),
    ("email_not_allowed", gettext_lazy("emails not allowed"), Q(email_allowed=False)),
]


class ExportView(CustomerPageMixin):
    """``export/?ids=…`` (none: all the customer's contacts, one-time ones left out): how
    many will be exported and how many are left out, why; ``&download=1``: the CSV."""

    template_name = "customer_contacts/contact_export.html"
    page_title = gettext_lazy("Export contacts")

    def permission_refusal(self) -> str | None:
        refusal = super().permission_refusal()
        if refusal is None and not self.has_perm("customer_contacts.export_contact"):
            refusal = _("You don't have permission to export contacts.")
        return refusal

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            ids = parse_ids(request.GET.getlist("ids"))
        except ValidationError as exc:
            return self.redirect_with_message(exc.messages[0], messages.ERROR)
        selection = self.contacts().filter(pk__in=ids) if ids else self.contacts().regular()
        if request.GET.get("download"):
            if ids and selection.count() != len(ids):
                raise Http404(_("No such contact."))
            return csv_response(
                selection, consented=True, filename=f"{slugify(str(self.customer)) or 'customer'}-contacts.csv"
            )
        consented = Q(CONSENTED, has_email(selection.model))
        reason = Case(
            When(consented, then=Value("exported")),
            *(When(condition, then=Value(code)) for code, _label, condition in LEFT_OUT_REASONS),
            default=Value("no_email"),
        )
        counts = {
            row["reason"]: row["n"]
            for row in selection.order_by().annotate(reason=reason).values("reason").annotate(n=Count("pk"))
        }
        if ids and sum(counts.values()) != len(ids):
            # Another customer's contact, or one deleted meanwhile: as on every page, a 404.
            raise Http404(_("No such contact."))
        labels = {code: label for code, label, _condition in LEFT_OUT_REASONS} | {"no_email": _("no email address")}
        left_out = [(labels[code], counts[code]) for code in labels if counts.get(code)]
        context = self.get_context_data(
            ids=ids,
            selected=sum(counts.values()),
            exported=counts.get("exported", 0),
            left_out=left_out,
            left_out_total=sum(count for _label, count in left_out),
        )
        return TemplateResponse(request, self.template_name, context)
