"""Primary contacts: ``set_primary_contact``.

A customer's first contact becomes primary when it is saved (``AUTO_PRIMARY``, in
``AbstractContact.save()``); every later change of the primary contact goes through
:func:`set_primary_contact`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.db import connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import get_contact_model, history
from .conf import app_settings
from .exceptions import PrimaryContactError
from .locking import db_for_write, lock_contact_and_primary, one_round_trip
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

    Four round trips to the database when it changes something: the customer lock; the
    lock and read of the contact and the old primary; the change (the old primary
    demoted first, then the contact promoted: the database allows one primary at any
    moment) and both history rows; the commit. The statements are SQL compiled or
    written once per process: on PostgreSQL the two ``UPDATE`` statements and the
    history ``INSERT`` go in one round trip (psycopg 3's pipeline), on MariaDB/MySQL
    one ``UPDATE ... ORDER BY`` changes both rows. The rows are updated, not saved:
    Django's ``pre_save``/``post_save`` are not sent for them.
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
        changed = [previous, fresh] if previous is not None else [fresh]
        for row in changed:
            row.is_primary = row is fresh
            row.modified = now
        # History names the user given, else the request's (as a save() would record it).
        history_user = history.history_user(user)
        with one_round_trip(using):
            _update_primary(model, changed, now, using)
            # The rows as updated, copied in the database (previous first, as they changed).
            pks = [row.pk for row in changed]
            if not history.copy_history(model, pks, history_user, now, using, order_by="is_primary"):
                history.write_instance_history(model, [(row, "~", None) for row in changed], history_user, now, using)
        contact.is_primary = True
        contact.modified = now
        primary_contact_changed.send(sender=model, customer=customer, previous=previous, contact=contact, user=user)
    return contact


def _update_primary(model: type[AbstractContact], rows: list[AbstractContact], now: datetime, using: str) -> None:
    """Set each row's ``is_primary`` and ``modified`` as in memory, the old primary first
    (the database allows one primary at any moment), with SQL written here.

    On MariaDB/MySQL, which check a unique constraint row by row in the order an
    ``UPDATE`` visits the rows, one ``UPDATE ... ORDER BY is_primary DESC``; elsewhere
    one statement per row, in order.
    """
    connection = connections[using]
    meta = model._meta
    quote = connection.ops.quote_name
    # Concrete fields always have a column.
    is_primary, modified, pk_field = (
        cast("models.Field[Any, Any]", field)
        for field in (meta.get_field("is_primary"), meta.get_field("modified"), meta.pk)
    )
    table, pk = quote(meta.db_table), quote(cast(str, pk_field.column))
    flag, stamp = quote(cast(str, is_primary.column)), quote(cast(str, modified.column))
    when = modified.get_db_prep_save(now, connection)
    keys = [pk_field.get_db_prep_value(row.pk, connection) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "mysql" and len(rows) == 2:
            cursor.execute(
                f"UPDATE {table} SET {flag} = ({pk} = %s), {stamp} = %s WHERE {pk} IN (%s, %s) ORDER BY {flag} DESC",
                [keys[-1], when, *keys],
            )
            return
        cursor.executemany(
            f"UPDATE {table} SET {flag} = %s, {stamp} = %s WHERE {pk} = %s",
            [
                [is_primary.get_db_prep_save(row.is_primary, connection), when, key]
                for row, key in zip(rows, keys, strict=True)
            ],
        )
