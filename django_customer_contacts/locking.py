"""Row locks, in the one order every operation on a customer's contacts takes them.

Every operation that changes the contacts of one customer — a primary change, a merge,
a first contact claiming the primary role, deleting contacts (also when their customer
is deleted) — locks, inside its transaction:

1. the customer row (:func:`lock_customer`, :func:`lock_customers`), so operations on
   one customer queue there;
2. then the contacts it changes, in ascending pk order (:func:`lock_contacts`,
   :func:`lock_contact`), and re-reads them: what was read before the lock may have
   changed meanwhile (a contact merged away, deleted, made primary);
3. then, only to write an email address that ``EMAIL_UNIQUE`` rules, the row all writers
   of such addresses share — one per customer, or one for all in "global" mode
   (:func:`lock_email_addresses`).

Writing an email or phone changes one contact only: it locks that contact (step 2) and
no customer row, because the admin's change form saves the contact (locking its row)
before its emails and phones, and a customer lock taken after a contact lock could
deadlock with a merge. Skipping a step is safe; going back to an earlier one is not.

Taking locks in one order is what keeps two operations from deadlocking each other.
``select_for_update()`` is used without ``of=``, which is not portable. On PostgreSQL
a row that is updated but not deleted is locked ``FOR NO KEY UPDATE`` (``no_key=True``),
the lock its ``UPDATE`` takes: a transaction that has saved the row already (the admin
saves a contact, then its emails) then takes no stronger lock on it, which could
deadlock with a transaction waiting for the row. Rows about to be deleted are locked
``FOR UPDATE`` from the start.
SQLite has no row locks: it serialises writers, and the database constraints keep the
invariants there.

Deleting contacts goes through Django's deletion collector, which reads the rows it
will delete (emails, phones, the host's rows) before it deletes anything. So the locks
are taken before it reads: in ``AbstractContact.delete()`` and
``ContactQuerySet.delete()`` (:func:`lock_for_deletion`), and, when a customer is
deleted, in :func:`cascade_to_contacts`, the ``on_delete`` of the contact's
``customer`` — see "Concurrency" in the docs.

This module is the bottom of the app's import graph next to ``conf``: it imports no
model module, so models and operations can both use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib import import_module
from typing import TYPE_CHECKING, Any, TypeVar

from django.apps import apps
from django.db import connections, models, router
from django.db.models.deletion import CASCADE, Collector
from django.db.models.expressions import RawSQL

from . import get_contact_model, get_customer_model

if TYPE_CHECKING:
    from .models import AbstractContact

__all__ = [
    "cascade_to_contacts",
    "chunked",
    "db_for_write",
    "filter_by_keys",
    "lock_contact",
    "lock_contact_and_primary",
    "lock_contacts",
    "lock_contacts_compiled",
    "lock_customer",
    "lock_customers",
    "lock_deleted_customer",
    "lock_email_addresses",
    "lock_for_deletion",
    "lock_named",
    "one_round_trip",
]

_T = TypeVar("_T")

#: The name of the row writers of email addresses lock ("global" mode; per customer, with its pk).
EMAIL_ADDRESSES_LOCK = "email-addresses"


def db_for_write(instance: models.Model) -> str:
    """The database alias to change ``instance`` on: the one rule for every operation.

    The alias the instance was read from or saved to, unless a database router says
    otherwise; ``"default"`` for an unsaved instance without a router's opinion.
    """
    return router.db_for_write(type(instance), instance=instance)


def _for_update(queryset: models.QuerySet[Any, Any], using: str, no_key: bool) -> models.QuerySet[Any, Any]:
    no_key = no_key and connections[using].features.has_select_for_no_key_update
    return queryset.using(using).select_for_update(no_key=no_key)


def lock_customer(customer_id: Any, using: str, *, no_key: bool = True) -> models.Model:
    """Lock and return the customer row; raises the customer model's ``DoesNotExist``.

    Call inside ``transaction.atomic(using=using)``. ``no_key=False`` to delete it.
    """
    model = get_customer_model()
    # Compiled once per process: every merge and primary change starts here.
    statement = _customer_lock(using, no_key)
    with connections[using].cursor() as cursor:
        statement.execute(cursor, customer=customer_id)
        rows = statement.instances(cursor)
    if not rows:
        # The plugin puts DoesNotExist on concrete models only, and the customer model is the host's.
        raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")  # type: ignore[attr-defined]
    customer: models.Model = rows[0]
    return customer


def lock_customers(customer_ids: Iterable[Any], using: str, *, no_key: bool = True) -> dict[Any, models.Model]:
    """Lock the customer rows with these pks, in pk order; return those that exist, by pk."""
    ids = list(customer_ids)
    if not ids:
        return {}
    rows = _for_update(get_customer_model()._base_manager.filter(pk__in=ids), using, no_key).order_by("pk")
    return {customer.pk: customer for customer in rows}


def lock_contacts(
    pks: Iterable[Any], using: str, queryset: models.QuerySet[Any] | None = None, *, no_key: bool = False
) -> dict[Any, AbstractContact]:
    """Lock the contacts with these pks, in pk order, and return them fresh, by pk.

    Contacts that no longer exist are missing from the result. ``queryset`` (default:
    every contact, through the base manager) may add annotations to the rows read.
    ``no_key=True`` for contacts that are updated, not deleted (see above). Call after
    :func:`lock_customer`, inside the same transaction.
    """
    if queryset is None:
        queryset = get_contact_model()._base_manager.all()
    rows = _for_update(queryset.filter(pk__in=list(pks)), using, no_key).order_by("pk")
    return {contact.pk: contact for contact in rows}


def lock_contacts_compiled(
    pks: Sequence[Any], using: str, name: str, queryset: Callable[[], models.QuerySet[Any]], *, no_key: bool = False
) -> dict[Any, AbstractContact]:
    """:func:`lock_contacts` with ``queryset()``, its statement compiled once per process.

    ``name`` says what ``queryset()`` reads (its annotations): the statement is kept
    under it, for the model, the database and the number of pks — up to
    :data:`COMPILED_KEYS` of them; more are locked by :func:`lock_contacts`. Building and
    compiling a queryset with annotations costs Python several times what the
    statement costs the database: for a merge's lock, much of a small merge's time.
    """
    model = get_contact_model()
    connection = connections[using]
    # None: the pk of an instance deleted meanwhile, which matches no row.
    pks = list(dict.fromkeys(pk for pk in pks if pk is not None))
    if not pks:
        return {}
    if len(pks) > COMPILED_KEYS:
        return lock_contacts(pks, using, queryset(), no_key=no_key)

    def locked() -> models.QuerySet[Any]:
        keys = [Param(f"pk{index}", model._meta.pk) for index in range(len(pks))]
        return _for_update(queryset().filter(pk__in=keys), using, no_key).order_by("pk")

    statement = _compiled((name, model, using, connection.vendor, no_key, len(pks)), locked, using)
    with connection.cursor() as cursor:
        statement.execute(cursor, **{f"pk{index}": pk for index, pk in enumerate(pks)})
        return {contact.pk: contact for contact in statement.instances(cursor)}


def lock_contact(
    contact: AbstractContact, using: str, queryset: models.QuerySet[Any] | None = None, *, no_key: bool = False
) -> tuple[models.Model | None, AbstractContact | None]:
    """Lock the contact's customer, then the contact; return both, read after the locks.

    The contact is ``None`` when it no longer exists (deleted, or merged into another).
    The customer is the one the contact belongs to now: a contact moved to another
    customer since ``contact`` was read gets that customer locked too — the one case in
    which a customer lock is taken after a contact lock. ``no_key`` as for
    :func:`lock_contacts`. Call inside ``transaction.atomic(using=using)``.
    """
    customers = lock_customers([contact.customer_id], using)
    fresh = lock_contacts([contact.pk], using, queryset, no_key=no_key).get(contact.pk)
    if fresh is None:
        return customers.get(contact.customer_id), None
    if fresh.customer_id not in customers:
        customers.update(lock_customers([fresh.customer_id], using))
    return customers.get(fresh.customer_id), fresh


class Param(models.Expression):
    """A parameter of a statement compiled once (:class:`Compiled`), filled in on each run."""

    def __init__(self, name: str, output_field: models.Field[Any, Any]) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        return "%s", (self,)

    @staticmethod
    def fill(params: list[Any], values: dict[str, Any], connection: Any, *, for_save: bool = False) -> list[Any]:
        """A compiled statement's parameters with each ``Param`` replaced by its value,
        prepared as a query prepares it, or with ``for_save`` as ``save()`` does (a
        ``JSONField``'s ``None`` is SQL ``NULL``)."""
        return [
            (
                param.output_field.get_db_prep_save(values[param.name], connection)
                if for_save
                else param.output_field.get_db_prep_value(values[param.name], connection)
            )
            if isinstance(param, Param)
            else param
            for param in params
        ]


class Compiled:
    """A query compiled once per process (SQL with :class:`Param` placeholders), run
    as often as needed: what building and compiling a ``QuerySet`` would cost Python
    on every call — several times what running a small statement costs the database —
    is paid once. Its rows become model instances as the ``QuerySet``'s would.
    """

    def __init__(self, queryset: models.QuerySet[Any, Any], using: str) -> None:
        compiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        self.model = queryset.model
        self.sql = sql
        self.params = list(params)
        # The select of a model query: the concrete fields' columns, in order, then the
        # annotations (set on each instance by name, as the queryset would).
        self.expressions = [col for col, _sql, _alias in compiler.select]
        fields = compiler.klass_info["select_fields"]
        self.fields = slice(fields[0], fields[-1] + 1)
        self.attnames = [self.expressions[index].target.attname for index in fields]
        self.annotations = list(compiler.annotation_col_map.items())
        self.converters: list[tuple[int, list[Any], Any]] | None = None

    def execute(self, cursor: Any, **values: Any) -> None:
        """Run it on ``cursor``, with the ``Param`` values given by name."""
        cursor.execute(self.sql, Param.fill(self.params, values, cursor.db))

    def instances(self, cursor: Any) -> list[Any]:
        """The rows of its run on ``cursor``, as instances."""
        connection = cursor.db
        rows = cursor.fetchall()
        if self.converters is None:
            # Compiled for one database: its backend's converters, found once.
            self.converters = [
                (index, functions, expression)
                for index, expression in enumerate(self.expressions)
                if (
                    functions := connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
                )
            ]
        converters = self.converters
        model, attnames, fields, annotations, using = (
            self.model,
            self.attnames,
            self.fields,
            self.annotations,
            connection.alias,
        )
        instances = []
        for row in rows:
            if converters:
                row = list(row)
                for index, functions, expression in converters:
                    value = row[index]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[index] = value
            instance = model.from_db(using, attnames, row[fields])
            for name, index in annotations:
                setattr(instance, name, row[index])
            instances.append(instance)
        return instances


def chunked(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    """``items`` in order, in slices of ``size`` (the last may be shorter): one per statement or page."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def filter_by_keys(queryset: models.QuerySet[Any], column: str, pks: Sequence[Any]) -> Iterator[models.QuerySet[Any]]:
    """``queryset`` filtered on ``column`` in ``pks``: on PostgreSQL with one array
    parameter (psycopg parses each of thousands of placeholders otherwise); elsewhere
    integers written into the query, other pks as parameters in batches the database takes."""
    if connections[queryset.db].vendor == "postgresql":
        if all(type(pk) is int for pk in pks):
            # One text parameter the server reads as an array: psycopg would quote each
            # element of a list of thousands on the client.
            array = "{" + ",".join(map(str, pks)) + "}"
            yield queryset.filter(**{f"{column}__in": RawSQL("SELECT unnest(%s::bigint[])", [array])})
        else:
            yield queryset.filter(**{f"{column}__in": RawSQL("SELECT unnest(%s)", [list(pks)])})
        return
    if all(type(pk) is int for pk in pks):
        # Integers written into the query: no parameter to check, quote and send apiece.
        for chunk in chunked(pks, 100_000):
            yield queryset.filter(**{f"{column}__in": RawSQL(",".join(map(str, chunk)), [])})
        return
    size = min(connections[queryset.db].features.max_query_params or 10_000, 10_000) - 10
    for chunk in chunked(pks, size):
        yield queryset.filter(**{f"{column}__in": chunk})


@contextmanager
def one_round_trip(using: str) -> Iterator[None]:
    """Send the statements run inside together, and read their results at the end:
    psycopg 3's pipeline on PostgreSQL, where a database error is raised when the block
    ends (a cursor's rows are read after it); elsewhere nothing changes.

    The server still runs the statements one after the other, each with its own
    snapshot: a statement after a lock sees what committed before the lock was granted.
    """
    connection = connections[using]
    connection.ensure_connection()
    pipeline = getattr(connection.connection, "pipeline", None) if connection.vendor == "postgresql" else None
    # psycopg 3 only (``connection.pipeline``), with libpq 14 or later.
    if pipeline is None or not import_module("psycopg").Pipeline.is_supported():
        yield
        return
    with connection.wrap_database_errors, pipeline():
        yield


_COMPILED: dict[tuple[Any, ...], Compiled] = {}


def _compiled(key: tuple[Any, ...], queryset: Callable[[], models.QuerySet[Any]], using: str) -> Compiled:
    """The statement kept under ``key``, compiled from ``queryset()`` the first time."""
    statement = _COMPILED.get(key)
    if statement is None:
        statement = _COMPILED[key] = Compiled(queryset(), using)
    return statement


def _customer_lock(using: str, no_key: bool) -> Compiled:
    """The lock of one customer row (its pk the ``customer`` parameter), compiled once:
    :func:`lock_customer`'s, and :func:`lock_contact_and_primary`'s first statement."""
    model = get_customer_model()
    return _compiled(
        ("customer", model, using, connections[using].vendor, no_key),
        lambda: _for_update(model._base_manager.filter(pk=Param("customer", model._meta.pk)), using, no_key),
        using,
    )


#: The most pks :func:`lock_contacts_compiled` compiles a statement for.
COMPILED_KEYS = 10


def _primary_statements(model: type[models.Model], using: str) -> tuple[Compiled, Compiled] | None:
    """The customer lock and the contact-and-primary lock of
    :func:`lock_contact_and_primary`, compiled once per model and database; ``None``
    when the contact model's default manager filters, annotates, defers or joins (its
    own queries then)."""
    key = ("primary", model, using, connections[using].vendor)
    if key not in _COMPILED:
        query = model._default_manager.all().query
        if query.where or query.select_related or query.annotations or query.extra or query.deferred_loading[0]:
            return None
    mine = _compiled(
        key,
        lambda: _contact_and_primary(
            model._default_manager.all(),
            Param("contact", model._meta.pk),
            Param("customer", model._meta.get_field("customer").target_field),  # type: ignore[union-attr]
            using,
        ),
        using,
    )
    return _customer_lock(using, no_key=True), mine


def _contact_and_primary(
    queryset: models.QuerySet[Any], contact: Any, customer: Any, using: str
) -> models.QuerySet[Any]:
    """The lock of :func:`lock_contact_and_primary`: the contact and its customer's
    primary (the customer's rows of ``queryset``), in pk order. ``contact`` and
    ``customer`` are their pks, or :class:`Param` of a statement compiled once."""
    mine = queryset.filter(models.Q(pk=contact) | models.Q(is_primary=True), customer_id=customer)
    return _for_update(mine, using, True).order_by("pk")


def lock_contact_and_primary(
    contact: AbstractContact, using: str, queryset: models.QuerySet[Any] | None = None
) -> tuple[models.Model | None, AbstractContact | None, AbstractContact | None]:
    """Lock the contact's customer, then the contact and the customer's primary contact
    (in pk order, ``no_key``: they are updated); return the customer, the contact and the
    primary (``None``: none, or the contact itself), all read after the locks.

    Two statements where :func:`lock_contact` and a read of the primary take three: the
    contact and the primary are locked and read together, among the customer's contacts
    (by its index: no other customer's rows are touched). A contact no longer of that
    customer is then looked up as :func:`lock_contact` does — deleted, or moved to
    another customer, whose lock is then taken and whose primary is read (rare).
    ``queryset`` defaults to every contact, through the default manager. Call inside
    ``transaction.atomic(using=using)``.
    """
    statements = None
    if queryset is None:
        queryset = get_contact_model()._default_manager.all()
        statements = _primary_statements(queryset.model, using)
    if statements is not None:
        customer_lock, contacts_lock = statements
        with connections[using].cursor() as cursor:
            customer_lock.execute(cursor, customer=contact.customer_id)
            customers = {row.pk: row for row in customer_lock.instances(cursor)}
            contacts_lock.execute(cursor, customer=contact.customer_id, contact=contact.pk)
            rows = contacts_lock.instances(cursor)
    else:
        customers = lock_customers([contact.customer_id], using)
        rows = list(_contact_and_primary(queryset, contact.pk, contact.customer_id, using))
    found = {row.pk: row for row in rows}
    fresh = found.pop(contact.pk, None)
    if fresh is None:
        customer, fresh = lock_contact(contact, using, queryset, no_key=True)
        if fresh is None:
            return customer, None, None
        previous = (
            queryset.using(using).filter(customer_id=fresh.customer_id, is_primary=True).exclude(pk=fresh.pk).first()
        )
        return customer, fresh, previous
    return customers.get(fresh.customer_id), fresh, next(iter(found.values()), None)


def lock_for_deletion(queryset: models.QuerySet[Any], using: str) -> list[Any]:
    """Lock what deleting the contacts of ``queryset`` changes; return the pks to delete.

    Locks their customers in pk order, then the contacts in pk order, and returns the
    pks of those that still exist after the locks — ``queryset`` filters them again,
    so a contact that no longer matches it (made primary, say) is left out. Call
    inside ``transaction.atomic(using=using)``, and delete only these.
    """
    rows = list(queryset.order_by().values_list("pk", "customer_id"))
    if not rows:
        return []
    customers = lock_customers(sorted({customer_id for _pk, customer_id in rows}), using)
    contacts = lock_contacts([pk for pk, _customer_id in rows], using)
    moved = {contact.customer_id for contact in contacts.values()} - set(customers)
    if moved:  # moved to another customer since read: rare, and locked out of order
        lock_customers(sorted(moved), using)
    if not contacts:
        return []
    return list(queryset.filter(pk__in=list(contacts)).order_by().values_list("pk", flat=True))


def lock_email_addresses(using: str, customer_id: Any = None) -> None:
    """Lock the row the writers of ``customer_id``'s email addresses share (``None``: all).

    ``EMAIL_UNIQUE="customer"`` writers queue per customer, ``"global"`` writers on one
    row for all. Created on first use; an upsert, so writers that arrive together queue
    on the row instead of colliding on its insert. Call after the contact lock; take no
    customer or contact lock after it.
    """
    lock_named(EMAIL_ADDRESSES_LOCK if customer_id is None else f"{EMAIL_ADDRESSES_LOCK}:customer:{customer_id}", using)


def lock_named(name: str, using: str) -> None:
    """Lock the ``NamedLock`` row ``name``, created on first use: an upsert, so callers
    that arrive together queue on the row instead of colliding on its insert."""
    lock_model = apps.get_model("customer_contacts", "NamedLock")
    manager = lock_model._base_manager.using(using)
    upsert: dict[str, Any] = {"update_conflicts": True, "update_fields": ["name"]}
    if connections[using].features.supports_update_conflicts_with_target:
        upsert["unique_fields"] = ["name"]
    # PostgreSQL's and MariaDB's upserts lock the row they insert or update; SQLite needs no lock.
    manager.bulk_create([lock_model(name=name)], **upsert)


# -- deleting a customer ---------------------------------------------------------------------

#: Set on a customer instance whose contacts were locked while the collector read them.
_LOCKED_MARK = "_customer_contacts_locked"


def cascade_to_contacts(collector: Collector, field: models.Field[Any, Any], sub_objs: Any, using: str) -> None:
    """``on_delete`` of a contact's ``customer``: ``CASCADE``, taking the locks first.

    Django's deletion collector calls this when it is about to read the contacts of the
    customers it deletes, before it reads their emails, phones and the host's rows. In a
    transaction, it locks those customers, then their contacts in pk order, and
    cascades to the contacts read under the locks: an operation on them that committed
    meanwhile (a merge) is seen whole, one still running is waited for. Outside a
    transaction no lock can be held yet: :func:`lock_deleted_customer` then locks
    when the deletion starts writing.
    """
    if connections[using].in_atomic_block:
        customer_model = get_customer_model()._meta.concrete_model
        customers = [
            instance
            for model, instances in collector.data.items()
            if model._meta.concrete_model is customer_model
            for instance in instances
            if not getattr(instance, _LOCKED_MARK, False)
        ]
        lock_customers(sorted(customer.pk for customer in customers), using, no_key=False)
        for customer in customers:
            setattr(customer, _LOCKED_MARK, True)
        sub_objs = list(sub_objs.select_for_update().order_by("pk"))
    if sub_objs:
        CASCADE(collector, field, sub_objs, using)


# The collector hands over the query unread; this reads it, under the locks.
cascade_to_contacts.lazy_sub_objs = True  # type: ignore[attr-defined]


def lock_deleted_customer(customer: models.Model, using: str) -> None:
    """Lock a customer being deleted, then its contacts, unless the collector did.

    For a deletion collected outside a transaction (see :func:`cascade_to_contacts`),
    called when the deletion starts writing (``pre_delete``): the locks are then taken
    before the first row is deleted, in the one order, so the deletion can't deadlock
    with an operation on the customer's contacts.
    """
    if getattr(customer, _LOCKED_MARK, False):
        delattr(customer, _LOCKED_MARK)  # locked by cascade_to_contacts, for this deletion only
        return
    lock_customers([customer.pk], using, no_key=False)
    contacts = get_contact_model()._base_manager.using(using).filter(customer_id=customer.pk)
    list(contacts.select_for_update().order_by("pk").values_list("pk", flat=True))
