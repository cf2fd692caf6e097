"""Row locks, in the one order every operation on a customer's contacts takes them.

An operation that changes the contacts of one customer (a primary change, a merge, a
first contact claiming the primary role) locks, inside its transaction:

1. the customer row (:func:`lock_customer`), so operations on one customer queue there;
2. then the contacts it changes, in ascending pk order (:func:`lock_contacts`), and
   re-reads them: what was read before the lock may have changed meanwhile.

Taking locks in one order is what keeps two operations from deadlocking each other.
``select_for_update()`` is used without ``of=`` or ``no_key=``, which are not portable.
SQLite has no row locks: it serialises writers, and the database constraints keep the
invariants there.

This module is the bottom of the app's import graph next to ``conf``: it imports no
model module, so models and operations can both use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import models, router

from . import get_contact_model, get_customer_model

if TYPE_CHECKING:
    from .models import AbstractContact

__all__ = ["db_for_write", "lock_contacts", "lock_customer"]


def db_for_write(instance: models.Model) -> str:
    """The database alias to change ``instance`` on: the one rule for every operation.

    The alias the instance was read from or saved to, unless a database router says
    otherwise; ``"default"`` for an unsaved instance without a router's opinion.
    """
    return router.db_for_write(type(instance), instance=instance)


def lock_customer(customer_id: Any, using: str) -> models.Model:
    """Lock and return the customer row; raises the customer model's ``DoesNotExist``.

    Call inside ``transaction.atomic(using=using)``.
    """
    customer_model = get_customer_model()
    return customer_model._default_manager.using(using).select_for_update().get(pk=customer_id)


def lock_contacts(
    pks: Iterable[Any], using: str, queryset: models.QuerySet[Any] | None = None
) -> dict[Any, AbstractContact]:
    """Lock the contacts with these pks, in pk order, and return them fresh, by pk.

    Contacts that no longer exist are missing from the result. ``queryset`` (default:
    every contact, through the base manager) may add annotations to the rows read.
    Call after :func:`lock_customer`, inside the same transaction.
    """
    if queryset is None:
        queryset = get_contact_model()._base_manager.all()
    rows = queryset.using(using).select_for_update().filter(pk__in=list(pks)).order_by("pk")
    return {contact.pk: contact for contact in rows}
