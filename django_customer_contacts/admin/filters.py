"""List filters of the contact changelist."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..conf import app_settings

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices
    from django.contrib.admin.views.main import ChangeList
    from django_stubs_ext import StrOrPromise

    from ..querysets import ContactQuerySet

__all__ = ["ActiveFilter", "OneTimeFilter", "UnusedFilter"]


class ActiveFilter(admin.SimpleListFilter):
    """Active contacts unless asked otherwise: "Inactive" or "All" is kept in the URL, so
    across pages, sorting and searches."""

    title = _("status")
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, StrOrPromise]]:
        return [("inactive", _("Inactive")), ("all", _("All"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "all":
            return queryset
        return queryset.filter(is_active=self.value() != "inactive")

    def choices(self, changelist: ChangeList) -> Iterator[_ListFilterChoices]:
        # Django's first choice ("All") removes the parameter: here that is "Active".
        yield {
            "selected": self.value() not in ("inactive", "all"),
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Active"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


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
