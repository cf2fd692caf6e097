"""Primary contacts: ``set_primary_contact``.

A customer's first contact becomes primary when it is saved (``AUTO_PRIMARY``, in
``AbstractContact.save()``); every later change of the primary contact goes through
:func:`set_primary_contact`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import get_contact_model, history
from .conf import app_settings
from .exceptions import PrimaryContactError
from .locking import db_for_write, lock_contact_and_primary
from .signals import primary_contact_changed

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from .models import AbstractContact

__all__ = ["set_primary_contact"]


def set_primary_contact(contact: AbstractContact, *, user: AbstractBaseUser | None = None) -> AbstractContact:
    """Make ``contact`` its customer's only primary contact, and return it.

    Locks the customer row, then the contact and the current primary (in pk order), and
    reads both after the locks, so two concurrent calls for one customer run one after
    the other, and a deletion or merge of the contact (which take the same locks) runs
    before or after, never in between. Raises
    ``PrimaryContactError`` when ``PRIMARY_CONTACT_ALLOWED`` refuses the customer or
    the contact is inactive or one-time; nothing is changed then. Sends
    ``primary_contact_changed`` (inside the transaction) only when the primary changed.

    Five statements when it changes something: the two locks, two ``UPDATE`` statements
    (the old primary, then the new: the database allows one primary at any moment) and
    one ``INSERT`` of both history rows. The rows are updated, not saved: Django's
    ``pre_save``/``post_save`` are not sent for them.
    """
    model = get_contact_model()
    using = db_for_write(contact)
    with transaction.atomic(using=using):
        customer, fresh, previous = lock_contact_and_primary(contact, using)
        if fresh is None or customer is None:
            raise PrimaryContactError(_("This contact no longer exists; it may have been deleted or merged meanwhile."))
        if not app_settings.primary_contact_allowed(customer):
            raise PrimaryContactError(_("This customer can't have a primary contact."))
        if not fresh.is_active:
            raise PrimaryContactError(_("An inactive contact can't be the primary contact."))
        if fresh.is_one_time:
            raise PrimaryContactError(_("A one-time contact can't be the primary contact."))
        if fresh.is_primary and previous is None:
            contact.is_primary = True
            return contact
        now = timezone.now()
        rows = model._base_manager.using(using)
        changed = [previous, fresh] if previous is not None else [fresh]
        for row in changed:
            row.is_primary = row is fresh
            row.modified = now
            rows.filter(pk=row.pk).update(is_primary=row.is_primary, modified=now)
        # History names the user given, else the request's (as a save() would record it).
        history_user = history.history_user(user)
        history.write_instance_history(model, [(row, "~", None) for row in changed], history_user, now, using)
        contact.is_primary = True
        contact.modified = now
        primary_contact_changed.send(sender=model, customer=customer, previous=previous, contact=contact, user=user)
    return contact
