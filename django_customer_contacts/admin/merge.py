"""The admin's merge page: pick the main contact and, field by field, the values to keep."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..exceptions import MergeError
from ..forms import MergeForm
from ..merging import MergePlan
from ..permissions import can_change_contact, can_delete_contact
from ..services import merge_contacts, plan_merge

if TYPE_CHECKING:
    from .contacts import ContactAdmin

__all__ = ["MergeView"]


class MergeView:
    """``/admin/<app>/<contact>/merge/?ids=1,2``: compare, choose, preview, merge."""

    def __init__(self, model_admin: ContactAdmin) -> None:
        self.model_admin = model_admin
        self.model = model_admin.model

    def _url(self, name: str, *args: Any) -> str:
        opts = self.model._meta
        return reverse(f"{self.model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_{name}", args=args)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.model_admin.has_merge_contact_permission(request):
            raise PermissionDenied
        ids = [pk for pk in request.GET.get("ids", "").split(",") if pk]
        contacts = list(self.model_admin.get_queryset(request).filter(pk__in=ids).order_by("pk"))
        changelist = self._url("changelist")
        if len(contacts) < 2 or len(contacts) != len(set(ids)):
            self.model_admin.message_user(
                request, _("Select at least two contacts that still exist to merge them."), messages.ERROR
            )
            return HttpResponseRedirect(changelist)
        form = MergeForm(contacts, request.POST if request.method == "POST" else None)
        main = form.main_contact
        duplicates = form.duplicates
        # A merge changes main and deletes the duplicates: customer-managed contacts
        # take the same permission here as anywhere else.
        allowed = {True: can_change_contact, False: can_delete_contact}
        locked = [c for c in contacts if not allowed[c is main](request.user, c)]
        if locked:
            self.model_admin.message_user(
                request,
                _("%(contacts)s can't be merged by you: managed by the customer.")
                % {"contacts": ", ".join(str(c) for c in locked)},
                messages.ERROR,
            )
            return HttpResponseRedirect(changelist)
        plan: MergePlan | None = None
        error = None
        try:
            if request.method == "POST" and "_merge" in request.POST:
                merge_contacts(
                    main, duplicates, field_sources=form.field_sources, user=request.user, reason=form.reason_text
                )
                self.model_admin.message_user(
                    request,
                    ngettext(
                        "Merged %(count)d contact into %(main)s.",
                        "Merged %(count)d contacts into %(main)s.",
                        len(duplicates),
                    )
                    % {"count": len(duplicates), "main": main},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._url("change", main.pk))
            plan = plan_merge(main, duplicates, field_sources=form.field_sources)
        except MergeError as exc:
            error = str(exc)
            self.model_admin.message_user(request, error, messages.ERROR)
        context = {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Merge contacts"),
            "form": form,
            "contacts": contacts,
            "main": main,
            "rows": form.rows(plan),
            "plan": plan,
            "moves": [p for p in plan.relations if p] if plan else [],
            "error": error,
            "ids": ",".join(str(c.pk) for c in contacts),
            "reason": form.reason_text,
        }
        return TemplateResponse(request, "admin/customer_contacts/merge.html", context)
