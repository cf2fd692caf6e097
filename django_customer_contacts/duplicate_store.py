"""Duplicate detection's answers, kept per customer until the customer's contacts change.

Finding the groups of 100,000 contacts takes seconds (grouping every blocking key in
the database, comparing every candidate pair); reading them back takes a fraction of
that. So the scored search over all regular contacts, or over one customer's
(``find_duplicate_contacts(customer=…)``), keeps each customer's groups in a
:class:`~django_customer_contacts.models.DuplicateScan` row and finds again only those
of the customers whose contacts changed since.

What changed is written by the writers, in their own transaction: a
:class:`~django_customer_contacts.models.DuplicateChange` row naming the customer
(:func:`note_customers`, :func:`note_contacts`). Saving or deleting a contact, an email
address or a phone number and "Not duplicates" write one through signals; the app's
operations that write rows with ``update()`` or SQL (merging, undoing a merge, erasure,
``rebuild_match_keys``) write one themselves. A host that writes contacts around
``save()`` (``update()``, ``bulk_create()``, SQL) runs ``manage.py rebuild_match_keys``,
as it does for the blocking keys.

A change row is an INSERT: it takes no lock another writer waits for, so it leaves the
app's lock order alone (customer, then contacts by pk). The search, under a lock of its
own (a ``NamedLock``, so two searches don't interleave), reads the change rows it can
see, then the contacts, stores the groups and deletes exactly the change rows it read:
a change committed after that read keeps its row, and the customer's groups are found
again by the next search. Answers found with another ``min_score`` or by an older
matching (:data:`VERSION`) count as changed.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import connections, models, transaction
from django.db.models import Exists, OuterRef

from . import get_contact_model, get_customer_model
from .locking import chunked, lock_named
from .models import DuplicateChange, DuplicateScan

__all__ = ["VERSION", "Answers", "Found", "forget_answers", "note_contacts", "note_customers", "refreshing"]

#: The matching the stored groups were found by; raised when scores or groups change.
VERSION = 1

#: The lock the searches that store answers queue on.
LOCK_NAME = "duplicate-search"

_REASON_BITS = {"email": 1, "phone": 2, "name": 4, "birthday": 8}


# -- the writers' side ----------------------------------------------------------------------


def note_customers(customer_ids: Iterable[Any], using: str) -> None:
    """The contacts of these customers changed: their stored groups are found again.

    A plain ``INSERT`` of the customers' keys, as ``bulk_create()`` would write them
    without building an instance per row or reading the new pks back: every save of a
    contact, email or phone runs it (a merge's save of main spent 0.3 ms of Python on
    ``bulk_create()``, under a profiler).
    """
    ids = sorted({pk for pk in customer_ids if pk is not None}, key=str)
    if not ids:
        return
    connection = connections[using]
    meta = DuplicateChange._meta
    field = meta.get_field("customer")
    values = [field.get_db_prep_save(pk, connection) for pk in ids]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(meta.db_table)} ({quote(field.column)}) VALUES "
    with connection.cursor() as cursor:
        # 500 a statement: under every database's limit of parameters.
        for chunk in chunked(values, 500):
            cursor.execute(head + ", ".join(["(%s)"] * len(chunk)), chunk)


def note_contacts(contact_ids: Iterable[Any], using: str) -> None:
    """These contacts changed (by pk): their customers' stored groups are found again.

    The customers are read with a plain ``SELECT`` (a snapshot on MariaDB), not in the
    ``INSERT``: an ``INSERT … SELECT`` would lock the contacts' rows, out of the app's
    lock order for a writer that doesn't hold them."""
    ids = [pk for pk in {*contact_ids} if pk is not None]
    if ids:
        contacts = get_contact_model()._base_manager.using(using).filter(pk__in=ids)
        note_customers(contacts.values_list("customer_id", flat=True), using)


def forget_answers(using: str) -> None:
    """Every customer's stored groups are found again by the next search."""
    DuplicateScan._base_manager.using(using).all().delete()


# Signal receivers (connected in AppConfig.ready()).

_LOADED_CUSTOMER = "_customer_contacts_loaded_customer"


def remember_customer(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """``post_init`` of contacts: the customer as loaded, for a save that moves the contact."""
    instance.__dict__[_LOADED_CUSTOMER] = instance.__dict__.get("customer_id")


def contact_saved(sender: type[models.Model], instance: Any, using: str, **kwargs: Any) -> None:
    """``post_save``/``post_delete`` of contacts: its customer (both, if it moved) changed."""
    before = instance.__dict__.get(_LOADED_CUSTOMER)
    note_customers([instance.customer_id, before], using)
    instance.__dict__[_LOADED_CUSTOMER] = instance.customer_id


def point_saved(sender: type[models.Model], instance: Any, using: str, **kwargs: Any) -> None:
    """``post_save``/``post_delete`` of email addresses and phone numbers."""
    contact = instance._state.fields_cache.get("contact")  # add_email() and forms set it
    if contact is not None and contact.pk == instance.contact_id:
        note_customers([contact.customer_id], using)
    else:
        note_contacts([instance.contact_id], using)


def dismissal_saved(sender: type[models.Model], instance: Any, using: str, **kwargs: Any) -> None:
    """``post_save``/``post_delete`` of "Not duplicates"."""
    pk_field = get_contact_model()._meta.pk
    assert pk_field is not None
    contacts = []
    for text in (instance.first_contact_id, instance.second_contact_id):
        try:
            contacts.append(pk_field.to_python(text))
        except ValidationError:  # not a pk of this model: names no contact
            continue
    note_contacts(contacts, using)


# -- the search's side --------------------------------------------------------------------------

#: A stored link: ``(first pk, second pk, score, reasons)``.
Link = tuple[Any, Any, float, frozenset[str]]


#: A contact's names as stored: ``(title, first_name, middle_name, last_name)``.
Names = tuple[str, str, str, str]


class Found(NamedTuple):
    """A customer's groups, stored or found: each group's links, and by contact its names
    and the values too many contacts of the customer share to count as evidence."""

    customer_id: Any
    groups: list[list[Link]]
    names: dict[Any, Names]
    common: dict[Any, set[tuple[str, Any]]]


class Answers:
    """What :func:`refreshing` read: the current answers by customer, and ``stale``,
    the customers whose groups are to be found again and given to :meth:`add`."""

    def __init__(self, pk_field: Any) -> None:
        self.stale: set[Any] = set()
        self._texts: dict[Any, str] = {}
        self._found: dict[Any, dict[str, Any]] = {}  # by stale customer, what to store
        self._seen: list[Any] = []
        integer = isinstance(pk_field, models.IntegerField)
        self._to_pk = (lambda value: value) if integer else pk_field.to_python  # JSON keeps integers
        self._key_to_pk = int if integer else pk_field.to_python  # an object's keys are text

    def add(self, found: Found) -> None:
        """The groups found for a stale customer."""
        data: dict[str, Any] = {
            "g": [
                [[first, second, score, _bits(reasons)] for first, second, score, reasons in links]
                for links in found.groups
            ],
            "n": {str(pk): list(names) for pk, names in found.names.items()},
        }
        if found.common:
            data["c"] = {
                str(pk): sorted([kind, str(key)] for kind, key in values) for pk, values in found.common.items()
            }
        self._found[found.customer_id] = data

    def customers(self) -> Iterator[Found]:
        """Every customer's groups, stored or found."""
        to_pk, key_to_pk = self._to_pk, self._key_to_pk
        for customer_id, text in self._texts.items():
            data = json.loads(text)
            yield Found(
                customer_id,
                [
                    [(to_pk(first), to_pk(second), score, _reasons(bits)) for first, second, score, bits in links]
                    for links in data["g"]
                ],
                {key_to_pk(key): tuple(values) for key, values in data["n"].items()},
                {
                    key_to_pk(key): {(kind, value) for kind, value in values}
                    for key, values in data.get("c", {}).items()
                },
            )

    def _store(self, min_score: float, using: str) -> None:
        """Store the stale customers' answers; forget the change notes read."""
        ordered = sorted(self.stale, key=str)
        for customer_id in ordered:
            if customer_id in self._found:
                self._texts[customer_id] = json.dumps(self._found[customer_id], separators=(",", ":"))
        scans = DuplicateScan._base_manager.using(using)
        for chunk in chunked(ordered, 500):
            scans.filter(customer_id__in=chunk).delete()
        scans.bulk_create(
            [
                DuplicateScan(
                    customer_id=customer_id,
                    version=VERSION,
                    min_score=min_score,
                    groups=self._texts.get(customer_id, ""),
                )
                for customer_id in ordered
            ],
            batch_size=1000,
        )
        changes = DuplicateChange._base_manager.using(using)
        for chunk in chunked(sorted(self._seen), 1000):
            changes.filter(id__in=chunk).delete()


@contextlib.contextmanager
def refreshing(customer_id: Any, min_score: float, using: str) -> Iterator[Answers]:
    """The stored answers of every customer (``customer_id`` ``None``) or of one, for
    ``min_score``: in the block, find the groups of ``answers.stale`` and :meth:`~Answers.add`
    them; on leaving it they are stored. In a transaction, under the search's lock."""
    with transaction.atomic(using=using):
        lock_named(LOCK_NAME, using)
        answers = Answers(get_contact_model()._meta.pk)
        scans = DuplicateScan._base_manager.using(using)
        changes = DuplicateChange._base_manager.using(using)
        customers = get_customer_model()._base_manager.using(using)
        if customer_id is not None:
            scans = scans.filter(customer_id=customer_id)
            changes = changes.filter(customer_id=customer_id)
        else:
            # A customer deleted in SQL left its row (no constraint, see DuplicateScan): no answer.
            scans = scans.filter(Exists(customers.filter(pk=OuterRef("customer_id"))))
        seen = list(changes.values_list("id", "customer_id"))
        answers._seen = [change_id for change_id, _customer in seen]
        stale = answers.stale
        stale.update(customer for _id, customer in seen)
        known = set()
        for customer, version, score, text in scans.values_list("customer_id", "version", "min_score", "groups"):
            known.add(customer)
            if version != VERSION or score != min_score:
                stale.add(customer)
            elif text and customer not in stale:
                answers._texts[customer] = text
        if customer_id is not None:
            if customer_id not in known:
                stale.add(customer_id)
        else:
            stale.update(customers.exclude(pk__in=scans.values("customer_id")).values_list("pk", flat=True))
        yield answers
        if stale:
            answers._store(min_score, using)


def _bits(reasons: Iterable[str]) -> int:
    return sum(_REASON_BITS[reason] for reason in reasons)


def _reasons(bits: int) -> frozenset[str]:
    return frozenset(reason for reason, bit in _REASON_BITS.items() if bits & bit)
