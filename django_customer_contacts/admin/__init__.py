"""The Django admin for contacts. Importing it registers nothing.

``ContactAdmin``
    The contact changelist and change form, with the merge page and the actions.
``ContactInline``
    A customer's contacts, for the host's own customer ``ModelAdmin``.
``MergeRecordAdmin``
    The merge records, read-only, with the **Undo merge** page.
``TagAdmin``, ``NotificationCategoryAdmin``
    The tags and notification categories staff put on contacts.

The app registers the contact admin itself, once, in ``AppConfig.ready()``
(:func:`register_contact_admin`): the class named by the ``CONTACT_ADMIN_CLASS``
option, ``ContactAdmin`` by default. Name your own subclass there to use it instead,
or set the option to ``None`` and register the contact model yourself, on any site.
``MergeRecordAdmin`` is registered there too (:func:`register_merge_record_admin`),
unless the host registered ``MergeRecord`` itself, and so are ``TagAdmin`` and
``NotificationCategoryAdmin`` (:func:`register_label_admins`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.utils.module_loading import import_string

from .. import get_contact_model
from ..conf import app_settings
from ..models import MergeRecord, NotificationCategory, Tag
from .contacts import ContactAdmin, ContactEmailInline, ContactPhoneInline, delete_selected
from .customers import ContactInline, ContactInlineFormSet
from .filters import ActiveFilter, OneTimeFilter, UnusedFilter
from .merge import MergeView
from .merge_records import MergeRecordAdmin
from .tags import NotificationCategoryAdmin, TagAdmin

if TYPE_CHECKING:
    from ..models import AbstractContact

__all__ = [
    "ActiveFilter",
    "ContactAdmin",
    "ContactEmailInline",
    "ContactInline",
    "ContactInlineFormSet",
    "ContactPhoneInline",
    "MergeRecordAdmin",
    "MergeView",
    "NotificationCategoryAdmin",
    "OneTimeFilter",
    "TagAdmin",
    "UnusedFilter",
    "delete_selected",
    "register_contact_admin",
    "register_label_admins",
    "register_merge_record_admin",
]


def register_contact_admin(site: admin.AdminSite | None = None) -> type[admin.ModelAdmin[AbstractContact]] | None:
    """Register the contact model on ``site`` (default: ``admin.site``) with ``CONTACT_ADMIN_CLASS``.

    Does nothing when the option is ``None`` or the model is registered on that site
    already (by the host's own ``admin.py``). Returns the class registered, if any.
    """
    site = site if site is not None else admin.site
    path = app_settings.contact_admin_class
    model = get_contact_model()
    if path is None or site.is_registered(model):
        return None
    admin_class: type[admin.ModelAdmin[AbstractContact]] = import_string(path) if isinstance(path, str) else path
    site.register(model, admin_class)
    return admin_class


def register_merge_record_admin(site: admin.AdminSite | None = None) -> bool:
    """Register ``MergeRecordAdmin`` on ``site`` (default: ``admin.site``); ``False`` when
    ``MergeRecord`` is registered there already (by the host)."""
    site = site if site is not None else admin.site
    if site.is_registered(MergeRecord):
        return False
    site.register(MergeRecord, MergeRecordAdmin)
    return True


def register_label_admins(site: admin.AdminSite | None = None) -> list[type[Any]]:
    """Register ``TagAdmin`` and ``NotificationCategoryAdmin`` on ``site`` (default:
    ``admin.site``), each unless the host registered that model there already.
    Returns the models registered."""
    site = site if site is not None else admin.site
    registered: list[type[Any]] = []
    if not site.is_registered(Tag):
        site.register(Tag, TagAdmin)
        registered.append(Tag)
    if not site.is_registered(NotificationCategory):
        site.register(NotificationCategory, NotificationCategoryAdmin)
        registered.append(NotificationCategory)
    return registered
