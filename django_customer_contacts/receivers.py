"""The app's own signal handlers, connected in ``AppConfig.ready()``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext as _

from .exceptions import PrimaryContactError
from .locking import lock_deleted_customer

if TYPE_CHECKING:
    from .models import AbstractContact


def protect_primary_contact(
    sender: type[AbstractContact],
    instance: AbstractContact,
    origin: models.Model | models.QuerySet[Any, Any] | None = None,
    **kwargs: Any,
) -> None:
    """Refuse to delete a primary contact while another contact could take over.

    Only deletions that start from contacts are checked (``contact.delete()`` or a
    contact ``QuerySet.delete()``): a deletion that cascades from the customer
    removes all its contacts and goes ahead. Another contact "could take over" when
    it is active, not one-time, and not deleted by the same call.
    """
    deleted_too: models.QuerySet[Any, dict[str, Any]] | list[Any]
    if isinstance(origin, models.QuerySet) and issubclass(origin.model, sender):
        deleted_too = origin.values("pk")
    elif isinstance(origin, sender):
        deleted_too = [instance.pk]
    else:
        return
    refusal = primary_deletion_refusal(instance, deleted_too, model=sender)
    if refusal is not None:
        raise PrimaryContactError(refusal)


def primary_deletion_refusal(
    contact: AbstractContact,
    deleted_too: models.QuerySet[Any, Any] | list[Any] | None = None,
    *,
    model: type[AbstractContact] | None = None,
) -> str | None:
    """Why ``contact`` can't be deleted (with ``deleted_too``, default: it alone), or ``None``.

    The rule :func:`protect_primary_contact` enforces, for a page to ask before it offers
    a deletion: the primary contact stays while another contact could take over. One query.
    """
    model = model or type(contact)
    manager = model._default_manager.using(contact._state.db)
    deleted = deleted_too if deleted_too is not None else [contact.pk]
    successors = manager.for_customer(contact.customer_id).active().exclude(pk__in=deleted)
    # One query, and from the database: the instance in hand may be stale (its
    # primary flag changed since it was loaded).
    refused = manager.filter(pk=contact.pk, is_primary=True).filter(models.Exists(successors))
    if not refused.exists():
        return None
    return _(
        "%(contact)s is the primary contact of this customer. Make another contact primary before deleting this one."
    ) % {"contact": contact}


def lock_customer_being_deleted(sender: type[models.Model], instance: models.Model, using: str, **kwargs: Any) -> None:
    """Lock the customer being deleted, then its contacts, before anything is deleted.

    Connected to the customer model. The collector has taken these locks already when
    it read the contacts in a transaction (``locking.cascade_to_contacts``); this is
    for a deletion collected outside one.
    """
    lock_deleted_customer(instance, using)
