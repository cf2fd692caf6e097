"""Primary contacts: ``set_primary_contact``.

A customer's first contact becomes primary when it is saved (``AUTO_PRIMARY``, in
``AbstractContact.save()``); every later change of the primary contact goes through
:func:`set_primary_contact`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from . import get_contact_model
from .conf import app_settings
from .exceptions import PrimaryContactError
from .history import save_as
from .locking import db_for_write, lock_contact
from .signals import primary_contact_changed

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from .models import AbstractContact

__all__ = ["set_primary_contact"]


def set_primary_contact(contact: AbstractContact, *, user: AbstractBaseUser | None = None) -> AbstractContact:
    """Make ``contact`` its customer's only primary contact, and return it.

    Locks the customer row, then the contact, and re-reads the contact and the current
    primary, so two concurrent calls for one customer run one after the other, and a
    deletion or merge of the contact (which take the same locks) runs before or after,
    never in between. Raises
    ``PrimaryContactError`` when ``PRIMARY_CONTACT_ALLOWED`` refuses the customer or
    the contact is inactive or one-time; nothing is changed then. Sends
    ``primary_contact_changed`` (inside the transaction) only when the primary changed.
    """
    model = get_contact_model()
    using = db_for_write(contact)
    with transaction.atomic(using=using):
        customer, fresh = lock_contact(contact, using, model._default_manager.all(), no_key=True)
        if fresh is None or customer is None:
            raise PrimaryContactError(_("This contact no longer exists; it may have been deleted or merged meanwhile."))
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
            save_as(previous, user, update_fields=["is_primary"])
        contact.is_primary = True
        save_as(contact, user, update_fields=["is_primary"])
        primary_contact_changed.send(sender=model, customer=customer, previous=previous, contact=contact, user=user)
    return contact
