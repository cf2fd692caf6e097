"""``TagAdmin`` and ``NotificationCategoryAdmin``: the labels staff put on contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .. import get_contact_model
from ..models import NotificationCategory, Tag

if TYPE_CHECKING:
    from typing import TypedDict

    from django.utils.safestring import SafeString
    from django_stubs_ext import WithAnnotations

    class _ContactCount(TypedDict):
        contact_count: int

    # Django's admin classes can't be subscripted at runtime: generic for type checkers only.
    _TagAdminBase = admin.ModelAdmin[Tag]
    _CategoryAdminBase = admin.ModelAdmin[NotificationCategory]
else:
    _TagAdminBase = _CategoryAdminBase = admin.ModelAdmin

__all__ = ["NotificationCategoryAdmin", "TagAdmin"]


class ContactCountMixin:
    """A "contacts" column: how many contacts carry the row, linked to them on the contact list.

    Counted in the changelist's one query (an annotation), so the page costs the same
    whatever the number of rows. ``contacts_filter`` is the contact list's filter for one row.
    """

    contacts_filter: str
    admin_site: admin.AdminSite

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]  # ModelAdmin's
        counted: QuerySet[Any] = rows.annotate(contact_count=Count("contacts", distinct=True))
        return counted

    @admin.display(description=_("contacts"), ordering="contact_count")
    def contacts_link(self, row: WithAnnotations[Any, _ContactCount]) -> SafeString | int:
        count: int = row.contact_count
        opts = get_contact_model()._meta
        try:
            url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:  # the contact admin is the host's, on another site
            return count
        # All of them, as counted: inactive contacts too.
        query = urlencode({self.contacts_filter: row.pk, "active": "all"})
        return format_html('<a href="{}?{}">{}</a>', url, query, count)


class TagAdmin(ContactCountMixin, _TagAdminBase):
    """Tags: create, rename, delete; each with how many contacts carry it."""

    contacts_filter = "tags__id__exact"
    fields = ["name"]
    list_display = ["name", "contacts_link"]
    search_fields = ["name"]
    ordering = ["name"]


class NotificationCategoryAdmin(ContactCountMixin, _CategoryAdminBase):
    """Notification categories. The code is what the host's code asks for (``recipients(category="billing")``):
    set once, when the category is created, and read-only after."""

    contacts_filter = "notification_categories__id__exact"
    fields = ["name", "code"]
    list_display = ["name", "code", "contacts_link"]
    search_fields = ["name", "code"]
    ordering = ["name"]
    prepopulated_fields = {"code": ["name"]}

    def get_readonly_fields(self, request: HttpRequest, obj: NotificationCategory | None = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "code"] if obj is not None else readonly

    def get_prepopulated_fields(self, request: HttpRequest, obj: NotificationCategory | None = None) -> dict[str, Any]:
        # A read-only field can't be prepopulated.
        return dict(super().get_prepopulated_fields(request, obj)) if obj is None else {}
