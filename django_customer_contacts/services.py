"""Operations on contacts that span rows. Each runs in one transaction.

The public entry point for all of them. ``set_primary_contact`` lives here; the others
live in modules of their own and are re-exported:

- :func:`merge_contacts` (``merging``) and :func:`find_duplicate_contacts` (``duplicates``),
- :func:`record_communication` (``communication``), :func:`enable_login` (``accounts``),
- :func:`anonymize_contact` (``gdpr``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from . import get_contact_model, get_customer_model
from .accounts import enable_login
from .communication import record_communication
from .conf import app_settings
from .duplicates import find_duplicate_contacts
from .exceptions import PrimaryContactError
from .gdpr import anonymize_contact
from .merging import merge_contacts
from .signals import primary_contact_changed

__all__ = [
    "anonymize_contact",
    "enable_login",
    "find_duplicate_contacts",
    "merge_contacts",
    "record_communication",
    "set_primary_contact",
]


def _lock_customer(customer_id: Any, using: str | None = None):
    """Lock the customer row: every primary change of one customer queues here.

    ``select_for_update()`` without ``of=``/``no_key=`` (not portable). SQLite has no
    row locks; there the unique constraint alone keeps one primary.
    """
    customer_model = get_customer_model()
    return customer_model._default_manager.using(using).select_for_update().get(pk=customer_id)


def _save_as(instance: Any, user: Any, update_fields: list[str]) -> None:
    """Save, crediting ``user`` in history; without one, history keeps the request's user."""
    if user is None:
        instance.save(update_fields=update_fields)
        return
    instance._history_user = user
    try:
        instance.save(update_fields=update_fields)
    finally:
        del instance._history_user


def set_primary_contact(contact: Any, *, user: Any = None) -> Any:
    """Make ``contact`` its customer's only primary contact, and return it.

    Locks the customer row, then re-reads the contact and the current primary, so
    two concurrent calls for one customer run one after the other. Raises
    ``PrimaryContactError`` when ``PRIMARY_CONTACT_ALLOWED`` refuses the customer or
    the contact is inactive or one-time; nothing is changed then. Sends
    ``primary_contact_changed`` (inside the transaction) only when the primary changed.
    """
    model = get_contact_model()
    using = contact._state.db
    with transaction.atomic(using=using):
        customer = _lock_customer(contact.customer_id, using)
        try:
            fresh = model._default_manager.using(using).get(pk=contact.pk)
        except model.DoesNotExist:
            raise PrimaryContactError(_("This contact no longer exists.")) from None
        if not app_settings.primary_contact_allowed(customer):
            raise PrimaryContactError(_("This customer can't have a primary contact."))
        if not fresh.is_active:
            raise PrimaryContactError(_("An inactive contact can't be the primary contact."))
        if fresh.is_one_time:
            raise PrimaryContactError(_("A one-time contact can't be the primary contact."))
        previous = (
            model._default_manager.using(using)
            .filter(customer_id=fresh.customer_id, is_primary=True)
            .exclude(pk=fresh.pk)
            .first()
        )
        if fresh.is_primary and previous is None:
            contact.is_primary = True
            return contact
        if previous is not None:
            previous.is_primary = False
            _save_as(previous, user, ["is_primary", "modified"])
        contact.is_primary = True
        _save_as(contact, user, ["is_primary", "modified"])
        primary_contact_changed.send(sender=model, customer=customer, previous=previous, contact=contact, user=user)
    return contact


def _claim_first_primary(contact: Any, save: Callable[[], None]) -> None:
    """Save a new contact, making it primary if its customer has none (``AUTO_PRIMARY``).

    Called by ``AbstractContact.save()``. Locks the customer row so two first
    contacts created at once can't both claim it.
    """
    model = type(contact)
    using = contact._state.db or "default"
    with transaction.atomic(using=using):
        customer = _lock_customer(contact.customer_id, using)
        claim = (
            app_settings.primary_contact_allowed(customer)
            and not model._default_manager.using(using)
            .filter(customer_id=contact.customer_id, is_primary=True)
            .exists()
        )
        contact.is_primary = claim
        save()
        if claim:
            primary_contact_changed.send(sender=model, customer=customer, previous=None, contact=contact, user=None)
