"""``ContactFilterSet``: filtering and searching contacts, for the customer pages and hosts.

A django-filter ``FilterSet`` over any queryset of contacts (the customer pages pass one
customer's); a host's own page or API can use it as it is, or subclass it::

    from django_customer_contacts.filters import ContactFilterSet

    contacts = ContactFilterSet(request.GET, queryset=customer.contacts.all()).qs

Parameters: ``q`` (name, email address or phone number — part of a number too:
``ContactQuerySet.search()``), ``active`` (``yes``, ``no`` or ``all``; default ``yes``),
``one_time`` (``no``, ``yes`` or ``all``; default ``no``: one-time contacts belong to
their case), ``primary``, ``marketing_consent`` and ``unused`` (``yes``/``no``),
``managed_by`` (``provider``/``customer``), ``tag`` and ``category`` (pks; a contact
receives a category when it receives all notifications or that one). The defaults apply
when a parameter is missing: set :attr:`ContactFilterSet.defaults` in a subclass to
change them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .conf import app_settings
from .models import AbstractContact, NotificationCategory, Tag

if TYPE_CHECKING:
    from .querysets import ContactQuerySet

__all__ = ["ContactFilterSet"]

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
YES_NO_ALL = [*YES_NO, ("all", _("All"))]
ANY = _("Any")


class ContactFilterSet(django_filters.FilterSet):
    """Filters and free-text search (``q``) over a queryset of contacts."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    active = django_filters.ChoiceFilter(
        label=_("Active"), choices=YES_NO_ALL, method="filter_active", empty_label=None
    )
    primary = django_filters.ChoiceFilter(
        label=_("Primary contact"), choices=YES_NO, method="filter_primary", empty_label=ANY
    )
    managed_by = django_filters.ChoiceFilter(
        label=_("Managed by"), choices=AbstractContact.ManagedBy.choices, field_name="managed_by", empty_label=ANY
    )
    tag = django_filters.ModelChoiceFilter(
        label=_("Tag"), queryset=Tag.objects.all(), method="filter_tag", empty_label=ANY
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Receives notifications about"),
        queryset=NotificationCategory.objects.all(),
        method="filter_category",
        empty_label=ANY,
    )
    marketing_consent = django_filters.ChoiceFilter(
        label=_("Marketing consent"), choices=YES_NO, method="filter_marketing_consent", empty_label=ANY
    )
    unused = django_filters.ChoiceFilter(label=_("Unused"), choices=YES_NO, method="filter_unused", empty_label=ANY)
    one_time = django_filters.ChoiceFilter(
        label=_("One-time contacts"), choices=YES_NO_ALL, method="filter_one_time", empty_label=None
    )

    #: Values of parameters the request leaves out.
    defaults: dict[str, str] = {"active": "yes", "one_time": "no"}

    def __init__(self, data: QueryDict | dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> None:
        # Always bound, so the defaults apply to a page opened without parameters.
        values = QueryDict(mutable=True)
        if data is not None:
            if isinstance(data, QueryDict):
                values = data.copy()
            else:
                for key, value in data.items():
                    values.setlist(key, [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)])
        for name, value in self.defaults.items():
            if name not in values:
                values[name] = value
        super().__init__(values, *args, **kwargs)
        self.filters["unused"].label = _("Unused (not reached for %(days)d days)") % {
            "days": app_settings.unused_after_days
        }

    @staticmethod
    def _contacts(queryset: QuerySet[Any]) -> ContactQuerySet:
        # A queryset of the contact model: its ContactQuerySet.
        return cast("ContactQuerySet", queryset)

    def filter_search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return self._contacts(queryset).search(value)

    def filter_active(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == "all":
            return queryset
        return queryset.filter(is_active=value == "yes")

    def filter_primary(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(is_primary=value == "yes")

    def filter_marketing_consent(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(marketing_consent=value == "yes")

    def filter_tag(self, queryset: QuerySet[Any], name: str, value: Tag) -> QuerySet[Any]:
        return queryset.filter(_linked(Tag.contacts, value))

    def filter_category(self, queryset: QuerySet[Any], name: str, value: NotificationCategory) -> QuerySet[Any]:
        # As recipients() reads it: the category's contacts, and those who receive all.
        return queryset.filter(Q(receive_all_notifications=True) | Q(_linked(NotificationCategory.contacts, value)))

    def filter_unused(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == "yes":
            return self._contacts(queryset).unused()
        return queryset.exclude(pk__in=self._contacts(queryset.model._default_manager.all()).unused().values("pk"))

    def filter_one_time(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        contacts = self._contacts(queryset)
        if value == "yes":
            return contacts.one_time()
        if value == "no":
            return contacts.regular()
        return queryset


def _linked(relation: Any, target: Tag | NotificationCategory) -> Exists:
    """Whether a contact is linked to ``target`` through ``relation`` (``Tag.contacts``,
    ``NotificationCategory.contacts``): a subquery, so no contact is listed twice."""
    field = relation.field
    links = field.remote_field.through._default_manager.filter(
        **{field.m2m_field_name(): target, field.m2m_reverse_field_name(): OuterRef("pk")}
    )
    return Exists(links)
