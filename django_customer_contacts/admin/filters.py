"""List filters of the contact changelist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..conf import app_settings

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from ..querysets import ContactQuerySet

__all__ = ["OneTimeFilter", "UnusedFilter"]


class OneTimeFilter(admin.SimpleListFilter):
    title = _("one-time")
    parameter_name = "one_time"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        contacts = cast("ContactQuerySet", queryset)  # the contact changelist's
        if self.value() == "yes":
            return contacts.one_time()
        if self.value() == "no":
            return contacts.regular()
        return queryset


class UnusedFilter(admin.SimpleListFilter):
    title = _("unused")
    parameter_name = "unused"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("Unused for %(days)d days") % {"days": app_settings.unused_after_days})]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        contacts = cast("ContactQuerySet", queryset)  # the contact changelist's
        return contacts.unused() if self.value() == "yes" else queryset
