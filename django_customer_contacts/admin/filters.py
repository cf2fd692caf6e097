"""List filters of the contact changelist."""

from __future__ import annotations

from collections.abc import Iterator
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import lookup_spawns_duplicates
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, ManyToManyField, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..conf import app_settings

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices
    from django_stubs_ext import StrOrPromise

    from ..querysets import ContactQuerySet

__all__ = ["ActiveFilter", "ContactChangeList", "MembershipFilter", "OneTimeFilter", "UnusedFilter"]


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


class MembershipFilter(admin.RelatedFieldListFilter):
    """Django's filter of a many-to-many relation (tags, notification categories), as an
    ``EXISTS`` on the through table instead of a join.

    The same choices and URL parameters (``tags__id__exact``, ``tags__isnull``). A join
    repeats a contact once per matching row, so the admin would add ``DISTINCT`` over
    every column; the ``EXISTS`` repeats nothing (:class:`ContactChangeList` knows it),
    and the database can walk the ordering's index, probing the through table's index
    for each contact, and stop at the page's end.
    """

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        relation = self.field
        declared = relation if isinstance(relation, ManyToManyField) else relation.field  # type: ignore[attr-defined]
        through = cast("type[models.Model]", declared.remote_field.through)
        if declared.model is queryset.model or issubclass(queryset.model, declared.model):
            own, other = declared.m2m_field_name(), declared.m2m_reverse_field_name()
        else:
            own, other = declared.m2m_reverse_field_name(), declared.m2m_field_name()
        links = through._default_manager.filter(**{own: OuterRef("pk")})
        # As Django's filters: any of a parameter's values, and every parameter.
        condition = Q()
        try:
            values = cast("list[Any]", self.used_parameters.get(self.lookup_kwarg, []))
            chosen = [Q(Exists(links.filter(**{other: value}))) for value in values]
            isnulls = cast("list[bool]", self.used_parameters.get(self.lookup_kwarg_isnull, []))
            empty = [~Q(Exists(links)) if isnull else Q(Exists(links)) for isnull in isnulls]
            for choices in (chosen, empty):
                if choices:
                    condition &= reduce(or_, choices)
        except (ValueError, ValidationError) as exc:
            raise IncorrectLookupParameters(exc) from exc
        return queryset.filter(condition) if condition else queryset


class ContactChangeList(ChangeList):
    """The contact changelist: no ``DISTINCT`` for a :class:`MembershipFilter`.

    Django adds ``DISTINCT`` when a filter of a many-to-many relation is in use; the
    membership filters test with ``EXISTS`` and repeat no row. Other parameters that
    follow a relation (typed into the URL) still get it.
    """

    def get_filters(self, request: HttpRequest) -> Any:
        specs, has_filters, remaining, may_have_duplicates, has_active = super().get_filters(request)
        if may_have_duplicates:
            may_have_duplicates = any(lookup_spawns_duplicates(self.lookup_opts, key) for key in remaining) or any(
                spec.used_parameters and lookup_spawns_duplicates(self.lookup_opts, spec.field_path)
                for spec in specs
                if isinstance(spec, admin.FieldListFilter) and not isinstance(spec, MembershipFilter)
            )
        return specs, has_filters, remaining, may_have_duplicates, has_active

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        if not self.multi_page or (self.show_all and self.can_show_all):
            # Django reads a list that fits on one page from the queryset, testing the
            # conditions again; the paginator may know the keys (admin/pagination.py).
            rows = getattr(self.paginator, "rows", None)
            if rows is not None:
                self.result_list = rows()
