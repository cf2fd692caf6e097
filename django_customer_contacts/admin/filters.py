"""List filters of the contact changelist."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..conf import app_settings

__all__ = ["OneTimeFilter", "UnusedFilter"]


class OneTimeFilter(admin.SimpleListFilter):
    title = _("one-time")
    parameter_name = "one_time"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: Any, queryset: Any) -> Any:
        if self.value() == "yes":
            return queryset.one_time()
        if self.value() == "no":
            return queryset.regular()
        return queryset


class UnusedFilter(admin.SimpleListFilter):
    title = _("unused")
    parameter_name = "unused"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Unused for %(days)d days") % {"days": app_settings.unused_after_days})]

    def queryset(self, request: Any, queryset: Any) -> Any:
        return queryset.unused() if self.value() == "yes" else queryset
