"""The admin's merge page: pick the main contact and, field by field, the values to keep."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..exceptions import MergeError
from ..forms import MergeForm, merge_page_contacts
from ..merging import MergePlan
from ..permissions import change_refusal, delete_refusal
from ..services import plan_merge

if TYPE_CHECKING:
    from .contacts import ContactAdmin

__all__ = ["MergeView"]


class MergeView:
    """``/admin/<app>/<contact>/merge/?ids=1,2``: compare, choose, preview, merge."""

    def __init__(self, model_admin: ContactAdmin) -> None:
        self.model_admin = model_admin
        self.model = model_admin.model

    def _url(self, name: str, *args: Any) -> str:
        return self.model_admin._url(name, *args)

    def parse_ids(self, text: str) -> list[Any]:
        """The contact pks in ``ids=1,2``, each once; ``ValidationError`` for one that
        can't be a pk of the contact model (text, a fraction, out of the column's range)."""
        pk_field = self.model._meta.pk
        assert pk_field is not None  # a concrete model has a primary key
        ids: list[Any] = []
        for raw in text.split(","):
            if not raw.strip():
                continue
            try:
                pk = pk_field.to_python(raw.strip())
                pk_field.run_validators(pk)
            except ValidationError:
                raise ValidationError(
                    _("“%(value)s” is not a contact id. Select the contacts to merge in the contact list.")
                    % {"value": raw.strip()[:50]}
                ) from None
            if pk not in ids:
                ids.append(pk)
        return ids

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.model_admin.has_merge_contact_permission(request):
            raise PermissionDenied
        changelist = self._url("changelist")
        try:
            ids = self.parse_ids(request.GET.get("ids", ""))
        except ValidationError as exc:
            self.model_admin.message_user(request, exc.messages[0], messages.ERROR)
            return HttpResponseRedirect(changelist)
        contacts = list(merge_page_contacts(self.model_admin.get_queryset(request).filter(pk__in=ids)))
        if len(contacts) < 2 or len(contacts) != len(ids):
            self.model_admin.message_user(
                request, _("Select at least two contacts that still exist to merge them."), messages.ERROR
            )
            return HttpResponseRedirect(changelist)
        form = MergeForm(contacts, request.POST if request.method == "POST" else None)
        main = form.main_contact
        duplicates = form.duplicates
        # A merge changes main and deletes the duplicates: customer-managed contacts
        # take the same permission here as anywhere else.
        refusals = [(change_refusal if c is main else delete_refusal)(request.user, c) for c in contacts]
        reasons = list(dict.fromkeys(r for r in refusals if r is not None))
        if reasons:
            self.model_admin.message_user(
                request, _("The contacts were not merged. %(reasons)s") % {"reasons": " ".join(reasons)}, messages.ERROR
            )
            return HttpResponseRedirect(changelist)
        plan: MergePlan | None = None
        error = None
        try:
            if request.method == "POST" and "_merge" in request.POST:
                form.merge(user=request.user)
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
            "preview": form.preview(plan),
            "point_rows": form.point_rows(),
            # Django 6.1's admin styles breadcrumbs as a list (ol.breadcrumbs).
            "breadcrumbs_as_list": django.VERSION >= (6, 1),
            "error": error,
            "ids": ",".join(str(c.pk) for c in contacts),
            "reason": form.reason_text,
        }
        return TemplateResponse(request, "admin/customer_contacts/merge.html", context)
