"""The admin's merge page: pick the main contact and, field by field, the values to keep."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .exceptions import MergeError
from .merging import merge_contacts, mergeable_fields, plan_merge
from .permissions import can_change_contact, can_delete_contact


def _display(contact: Any, field: Any) -> str:
    value = getattr(contact, field.name)
    if field.choices:
        value = getattr(contact, f"get_{field.name}_display")()
    return "" if value in (None, "") else str(value)


class MergeView:
    """``/admin/<app>/<contact>/merge/?ids=1,2``: compare, choose, preview, merge."""

    def __init__(self, model_admin: Any) -> None:
        self.model_admin = model_admin
        self.model = model_admin.model

    def __call__(self, request: Any) -> Any:
        if not self.model_admin.has_merge_contact_permission(request):
            raise PermissionDenied
        ids = [pk for pk in request.GET.get("ids", "").split(",") if pk]
        contacts = list(self.model_admin.get_queryset(request).filter(pk__in=ids).order_by("pk"))
        changelist = reverse(
            f"{self.model_admin.admin_site.name}:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist"
        )
        if len(contacts) < 2 or len(contacts) != len(set(ids)):
            self.model_admin.message_user(
                request, _("Select at least two contacts that still exist to merge them."), messages.ERROR
            )
            return HttpResponseRedirect(changelist)
        by_pk = {str(contact.pk): contact for contact in contacts}
        default_main = next((c for c in contacts if c.is_primary), contacts[0])
        main = by_pk.get(request.POST.get("main", ""), default_main)
        duplicates = [contact for contact in contacts if contact is not main]
        fields = [f for f in mergeable_fields(self.model) if len({_display(c, f) for c in contacts}) > 1]
        field_sources = {
            f.name: by_pk[request.POST[f"field_{f.name}"]]
            for f in fields
            if request.POST.get(f"field_{f.name}") in by_pk
        }
        plan = error = None
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
        try:
            if request.method == "POST" and "_merge" in request.POST:
                merge_contacts(
                    main,
                    duplicates,
                    field_sources=field_sources,
                    user=request.user,
                    reason=request.POST.get("reason", ""),
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
                return HttpResponseRedirect(
                    reverse(
                        f"{self.model_admin.admin_site.name}:{self.model._meta.app_label}_"
                        f"{self.model._meta.model_name}_change",
                        args=[main.pk],
                    )
                )
            plan = plan_merge(main, duplicates, field_sources=field_sources)
        except MergeError as exc:
            error = str(exc)
            self.model_admin.message_user(request, error, messages.ERROR)
        rows = []
        for f in fields:
            chosen = plan.sources.get(f.name, main.pk) if plan else main.pk
            if f.name in field_sources:
                chosen = field_sources[f.name].pk
            rows.append(
                {
                    "name": f.name,
                    "label": f.verbose_name,
                    "cells": [{"contact": c, "value": _display(c, f), "chosen": c.pk == chosen} for c in contacts],
                }
            )
        context = {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Merge contacts"),
            "contacts": contacts,
            "main": main,
            "rows": rows,
            "plan": plan,
            "moves": [p for p in plan.relations if p] if plan else [],
            "error": error,
            "ids": ",".join(str(c.pk) for c in contacts),
            "reason": request.POST.get("reason", ""),
        }
        return TemplateResponse(request, "admin/customer_contacts/merge.html", context)
