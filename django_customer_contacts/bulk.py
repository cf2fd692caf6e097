"""Changing many contacts at once: tags, notification categories, communication preferences.

Each operation takes a queryset of contacts and changes those of them that need it, in
the same number of statements however many there are. Every contact it changes gets a
history row (``"~"``) whose change reason says what changed ("Tag “VIP” added"): tags
and categories are not fields of the contact (see "History" in the docs), so the
reason is where history shows them. Each returns how many contacts changed; a contact
that already was as asked is left alone, without a history row.

Locks, inside one transaction: the customers of the selected contacts (pk order), then
the contacts (pk order). The queryset is read again after the locks, so a contact that
no longer matches it — deleted, or made customer-managed when the queryset leaves those
out (:func:`~django_customer_contacts.permissions.changeable_contacts`) — is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.db import models, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .history import history_user, write_history
from .locking import lock_contacts, lock_customers
from .models import NotificationCategory, Tag

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from .models import AbstractContact

    Contacts = models.QuerySet[AbstractContact]
    User = AbstractBaseUser | AnonymousUser | None

__all__ = [
    "PREFERENCE_FIELDS",
    "add_tag",
    "opt_in_category",
    "opt_out_category",
    "remove_tag",
    "set_preferences",
]

#: The communication preferences :func:`set_preferences` sets.
PREFERENCE_FIELDS = ("email_allowed", "sms_allowed", "phone_allowed", "preferred_channel", "automated_followups")


def add_tag(contacts: Contacts, tag: Tag, *, user: User = None) -> int:
    """Tag ``contacts`` with ``tag``; returns how many had it not. Locks as the module says."""
    with transaction.atomic(using=_using(contacts)):
        pks, using = _lock(contacts)
        having = _having(contacts.model, using, pks, tags=tag)
        changed = [pk for pk in pks if pk not in having]
        tag.contacts.add(*changed)
        _record(contacts.model, using, changed, {}, user, _("Tag “%(tag)s” added") % {"tag": tag})
    return len(changed)


def remove_tag(contacts: Contacts, tag: Tag, *, user: User = None) -> int:
    """Take ``tag`` off ``contacts``; returns how many had it. Locks as the module says."""
    with transaction.atomic(using=_using(contacts)):
        pks, using = _lock(contacts)
        changed = sorted(_having(contacts.model, using, pks, tags=tag))
        tag.contacts.remove(*changed)
        _record(contacts.model, using, changed, {}, user, _("Tag “%(tag)s” removed") % {"tag": tag})
    return len(changed)


def opt_in_category(contacts: Contacts, category: NotificationCategory, *, user: User = None) -> int:
    """Have ``contacts`` receive ``category``'s notifications; returns how many did not.

    A contact that receives all notifications already receives it: it is left alone.
    Locks as the module says.
    """
    with transaction.atomic(using=_using(contacts)):
        pks, using = _lock(contacts)
        receiving = _having(contacts.model, using, pks, notification_categories=category)
        receiving |= _having(contacts.model, using, pks, receive_all_notifications=True)
        changed = [pk for pk in pks if pk not in receiving]
        category.contacts.add(*changed)
        reason = _("Opted in to “%(category)s”") % {"category": category}
        _record(contacts.model, using, changed, {}, user, reason)
    return len(changed)


def opt_out_category(contacts: Contacts, category: NotificationCategory, *, user: User = None) -> int:
    """Stop ``contacts`` receiving ``category``'s notifications; returns how many did.

    A contact that received all notifications then receives every other category, each
    chosen: "receive all notifications" is turned off. Locks as the module says; one
    statement per other category, whatever the number of contacts.
    """
    with transaction.atomic(using=_using(contacts)):
        pks, using = _lock(contacts)
        having = _having(contacts.model, using, pks, notification_categories=category)
        receiving_all = _having(contacts.model, using, pks, receive_all_notifications=True)
        category.contacts.remove(*having)
        if receiving_all:
            for other in NotificationCategory._default_manager.using(using).exclude(pk=category.pk):
                other.contacts.add(*receiving_all)
        reason = _("Opted out of “%(category)s”") % {"category": category}
        _record(
            contacts.model, using, sorted(having | receiving_all), {"receive_all_notifications": False}, user, reason
        )
    return len(having | receiving_all)


def set_preferences(contacts: Contacts, values: Mapping[str, Any], *, user: User = None) -> int:
    """Set the communication preferences in ``values`` (names from
    :data:`PREFERENCE_FIELDS`) on ``contacts``; returns how many had other values.

    Raises ``ValidationError`` for a value the field refuses (an unknown channel) and
    ``ValueError`` for a name that is not a preference, before changing anything.
    Locks as the module says.
    """
    model = contacts.model
    unknown = sorted(set(values) - set(PREFERENCE_FIELDS))
    if unknown:
        raise ValueError(f"Not communication preferences: {', '.join(unknown)}")
    cleaned = {
        name: cast("models.Field[Any, Any]", model._meta.get_field(name)).clean(value, None)
        for name, value in values.items()
    }
    if not cleaned:
        return 0
    reason = _("Communication preferences changed")
    with transaction.atomic(using=_using(contacts)):
        pks, using = _lock(contacts)
        differing = model._base_manager.using(using).filter(pk__in=pks).exclude(Q(**cleaned))
        changed = sorted(differing.values_list("pk", flat=True))
        _record(model, using, changed, cleaned, user, reason)
    return len(changed)


# -- shared steps -----------------------------------------------------------------------


def _using(contacts: Contacts) -> str:
    return router.db_for_write(contacts.model)


def _lock(contacts: Contacts) -> tuple[list[Any], str]:
    """Lock the contacts' customers, then the contacts; the pks of those ``contacts``
    still holds after the locks, and the database."""
    using = _using(contacts)
    selected = contacts.using(using).order_by()
    rows = list(selected.values_list("pk", "customer_id"))
    lock_customers({customer for _pk, customer in rows}, using)
    locked = lock_contacts([pk for pk, _customer in rows], using, no_key=True)
    return sorted(selected.filter(pk__in=list(locked)).values_list("pk", flat=True)), using


def _having(model: type[models.Model], using: str, pks: list[Any], **condition: Any) -> set[Any]:
    """Which of the contacts ``pks`` meet ``condition``."""
    return set(model._base_manager.using(using).filter(pk__in=pks, **condition).values_list("pk", flat=True))


def _record(
    model: type[models.Model],
    using: str,
    changed: list[Any],
    changes: dict[str, Any],
    user: User,
    reason: str,
) -> None:
    """History of the ``changed`` contacts with ``changes`` (and ``modified`` now), then the update."""
    if not changed:
        return
    now: datetime = timezone.now()
    fields = {**changes, "modified": now}
    rows = model._base_manager.using(using).filter(pk__in=changed)
    write_history(model, rows, fields, [], history_user(user), now, moved_reason=reason, dropped_reason="")
    rows.update(**fields)
