"""The customer's possible duplicates: groups to merge or to dismiss, and the dismissed pairs.

The same lists as the admin's "Possible duplicates" page (``duplicate_review``), for the
customer in the URL only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..duplicate_review import dismissals_of, dismissed_message, dismissed_page, groups_page, undo_posted
from ..services import dismiss_duplicates
from .base import CustomerPageMixin, parse_ids

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

__all__ = ["DuplicatesView"]


class DuplicatesView(CustomerPageMixin):
    """``duplicates/``: the customer's likely duplicates, most certain first (``?page=``),
    and below them the pairs dismissed as "Not duplicates" (``?dismissed_page=``).

    Queries: the customer, the search (a few, see ``duplicates``), and a page of
    dismissed pairs with their contacts' names — the same whatever the number of groups.
    POST ``dismiss`` (a group's contact pks) or ``undo`` (a dismissal's pk) needs the
    merge permission; a contact or a dismissal of another customer is a 404.
    """

    template_name = "customer_contacts/contact_duplicates.html"
    page_title = gettext_lazy("Possible duplicates")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        contacts = self.contacts()
        groups = groups_page(
            self.customer,
            request.GET.get("page"),
            contact_url=self.contact_url,
            merge_url=self.merge_url,
        )
        dismissed, dismissed_rows = dismissed_page(
            dismissals_of(contacts), contacts, request.GET.get("dismissed_page"), contact_url=self.contact_url
        )
        context = self.get_context_data(
            page=groups.page,
            rows=groups.rows,
            count=groups.count,
            dismissed=dismissed,
            dismissed_rows=dismissed_rows,
            here=request.get_full_path(),
            page_query=self.query_without("page"),
            dismissed_query=self.query_without("dismissed_page"),
        )
        return TemplateResponse(request, self.template_name, context)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_perm("customer_contacts.merge_contact"):
            raise PermissionDenied(_("You don't have permission to merge contacts."))
        back = self.next_url(self.url("contact_duplicates"))
        user: AbstractBaseUser = request.user  # type: ignore[assignment]  # the pages' users are logged in
        if "undo" in request.POST:
            level, text = undo_posted(request.POST["undo"], user=user, within=dismissals_of(self.contacts()))
            return self.redirect_with_message(text, level, back)
        try:
            ids = parse_ids(request.POST.getlist("dismiss"))
        except ValidationError as exc:
            return self.redirect_with_message(exc.messages[0], messages.ERROR, back)
        if len(ids) < 2:
            return self.redirect_with_message(
                _("Select two or more contacts to mark them as not duplicates."), messages.ERROR, back
            )
        contacts = list(self.contacts().filter(pk__in=ids).order_by("pk"))
        if len(contacts) != len(ids):  # another customer's, or gone
            raise Http404(_("No such contact."))
        made = dismiss_duplicates(contacts, user=user)
        return self.redirect_with_message(dismissed_message(contacts, made), messages.SUCCESS, back)

    def contact_url(self, pk: Any) -> str:
        return self.url("contact_edit", pk=pk)

    def merge_url(self, ids: Any) -> str:
        """The merge page with these contacts selected (``?ids=1&ids=2``, as the list's
        selection sends them)."""
        return f"{self.url('contact_merge')}?{urlencode({'ids': list(ids)}, doseq=True)}"

    def query_without(self, name: str) -> str:
        query = self.request.GET.copy()
        query.pop(name, None)
        return query.urlencode()
