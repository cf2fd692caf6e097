"""Merge the contacts selected on the list: side by side, choose, preview, merge.

The same :class:`~django_customer_contacts.forms.MergeForm` as the admin's merge page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..exceptions import MergeError
from ..forms import MergeForm, merge_page_contacts
from ..permissions import change_refusal, delete_refusal
from ..services import plan_merge
from .base import CustomerPageMixin, parse_ids

if TYPE_CHECKING:
    from ..merging import MergePlan
    from ..models import AbstractContact

__all__ = ["MergeView"]


class MergeView(CustomerPageMixin):
    """``merge/?ids=1&ids=2``: contacts of this customer only (another's is a 404)."""

    template_name = "customer_contacts/contact_merge.html"
    page_title = gettext_lazy("Merge contacts")

    def permission_refusal(self) -> str | None:
        refusal = super().permission_refusal()
        if refusal is None and not self.has_perm("customer_contacts.merge_contact"):
            refusal = _("You don't have permission to merge contacts.")
        return refusal

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.handle(request)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.handle(request)

    def selected(self) -> list[AbstractContact]:
        try:
            ids = parse_ids(self.request.GET.getlist("ids"))
        except ValidationError as exc:
            raise MergeError(exc.messages[0]) from None
        if len(ids) < 2:
            raise MergeError(_("Select at least two contacts to merge them."))
        contacts = list(merge_page_contacts(self.contacts().filter(pk__in=ids)))
        if len(contacts) != len(ids):
            raise Http404(_("No such contact."))
        return contacts

    def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            contacts = self.selected()
        except MergeError as exc:
            return self.redirect_with_message(str(exc), messages.ERROR)
        form = MergeForm(contacts, request.POST if request.method == "POST" else None)
        main = form.main_contact
        # A merge changes main and deletes the others: customer-managed contacts take the
        # same permissions here as anywhere else.
        refusals = [(change_refusal if c is main else delete_refusal)(request.user, c) for c in contacts]
        reasons = list(dict.fromkeys(r for r in refusals if r is not None))
        if reasons:
            raise PermissionDenied(_("The contacts can't be merged. %(reasons)s") % {"reasons": " ".join(reasons)})
        plan: MergePlan | None = None
        error = None
        try:
            if request.method == "POST" and "merge" in request.POST:
                form.merge(user=request.user)
                count = len(form.duplicates)
                return self.redirect_with_message(
                    ngettext(
                        "Merged %(count)d contact into %(main)s.", "Merged %(count)d contacts into %(main)s.", count
                    )
                    % {"count": count, "main": main},
                    url=self.url("contact_edit", pk=main.pk),
                )
            plan = plan_merge(main, form.duplicates, field_sources=form.field_sources)
        except MergeError as exc:
            error = str(exc)
        context = self.get_context_data(
            form=form,
            contacts=contacts,
            main=main,
            rows=form.rows(plan),
            point_rows=form.point_rows(),
            plan=plan,
            preview=form.preview(plan),
            error=error,
            ids=[contact.pk for contact in contacts],
        )
        return TemplateResponse(request, self.template_name, context)
