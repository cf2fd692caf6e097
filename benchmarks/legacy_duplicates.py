"""The exact-only detection of version 0.1 (before scored matching), verbatim, for the benchmark.

Kept to measure the old grouping query beside the new one in the same run: a recursive
query over shared keys, then the contacts read with ``in_bulk``. Not part of the app.
"""
# ruff: noqa

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models.expressions import RawSQL

from django_customer_contacts import get_contact_model
from django_customer_contacts.models import ContactEmail, ContactPhone

if TYPE_CHECKING:
    from django_customer_contacts.models import AbstractContact

__all__ = ["REASONS", "DuplicateGroup", "find_duplicate_contacts"]

#: What can link two contacts.
REASONS = frozenset({"email", "phone", "name"})


@dataclass(frozen=True)
class DuplicateGroup:
    """Contacts of one customer that are likely the same person.

    ``contacts`` is ordered by pk; ``reasons`` says what links them: a subset of
    ``{"email", "phone", "name"}``.
    """

    contacts: list[AbstractContact]
    reasons: frozenset[str]

    @property
    def customer_id(self) -> Any:
        return self.contacts[0].customer_id

    def __iter__(self) -> Iterator[AbstractContact]:
        return iter(self.contacts)

    def __len__(self) -> int:
        return len(self.contacts)


def find_duplicate_contacts(queryset: models.QuerySet[AbstractContact] | None = None) -> list[DuplicateGroup]:
    """Groups of likely duplicate contacts, within each customer.

    ``queryset`` limits the search to some contacts (one customer's, the active ones);
    by default every regular contact takes part (one-time contacts are left out).
    Groups are ordered by their first contact's pk, and their contacts come from
    ``queryset`` (so its ``select_related()`` and ``prefetch_related()`` apply). Two
    queries, whatever the number of contacts (SQLite reads the contacts in batches of 999).
    """
    model = get_contact_model()
    if queryset is None:
        # One-time contacts exist for one case each: not duplicates of the regular ones.
        queryset = model._default_manager.regular()
    using = queryset.db
    connection = connections[using]
    try:
        scope_sql, scope_params = (
            queryset.order_by().values_list("pk", "customer_id", "name_key").query.get_compiler(using).as_sql()
        )
    except EmptyResultSet:  # queryset.none()
        return []

    quote = connection.ops.quote_name

    def exact(column: str) -> str:
        # MySQL and MariaDB compare text with the column's collation, which ignores
        # case and accents: the keys are normalised already, and must match exactly.
        return f"CAST({column} AS BINARY)" if connection.vendor == "mysql" else column

    def column_of(model: type[models.Model], name: str) -> str:
        # get_field() is typed to return a reverse relation too, and a field's column as
        # optional (it is set when the field joins its model): these are concrete fields.
        return cast(str, cast("models.Field[Any, Any]", model._meta.get_field(name)).column)

    def shared_key(model: type[models.Model], name: str) -> tuple[str, str]:
        """A key column, and the condition that keeps only values more than one row holds.

        The condition is checked on the whole table, with the index: it throws out most
        rows before anything is joined or grouped by customer.
        """
        table, column = quote(model._meta.db_table), quote(column_of(model, name))
        repeated = (
            f"SELECT {exact(column)} FROM {table} WHERE {column} <> '' GROUP BY {exact(column)} HAVING COUNT(*) > 1"
        )
        return column, f"{exact('k.' + column)} IN ({repeated})"

    def contact_column(model: type[models.Model]) -> str:
        return quote(column_of(model, "contact"))

    # A contact holds each key once (unique constraints), so COUNT(*) counts contacts.
    email, email_repeated = shared_key(ContactEmail, "email_normalized")
    phone, phone_repeated = shared_key(ContactPhone, "number")
    sql = f"""
        WITH RECURSIVE
        scope (contact_id, customer_id, name_key) AS ({scope_sql}),
        contact_keys AS (
            SELECT contact_id, customer_id, 'name' AS kind, {exact("name_key")} AS value
            FROM scope
            WHERE {exact("name_key")} IN (
                SELECT {exact("name_key")} FROM scope WHERE name_key <> '' GROUP BY {exact("name_key")}
                HAVING COUNT(*) > 1
            )
            UNION ALL
            SELECT s.contact_id, s.customer_id, 'email', {exact("k." + email)}
            FROM {quote(ContactEmail._meta.db_table)} k JOIN scope s ON s.contact_id = k.{contact_column(ContactEmail)}
            WHERE {email_repeated}
            UNION ALL
            SELECT s.contact_id, s.customer_id, 'phone', {exact("k." + phone)}
            FROM {quote(ContactPhone._meta.db_table)} k JOIN scope s ON s.contact_id = k.{contact_column(ContactPhone)}
            WHERE {phone_repeated}
        ),
        shared AS (
            SELECT customer_id, kind, value, MIN(contact_id) AS anchor
            FROM contact_keys
            GROUP BY customer_id, kind, value
            HAVING COUNT(*) > 1
        ),
        members AS (
            SELECT k.contact_id, g.anchor, g.kind
            FROM contact_keys k
            JOIN shared g ON g.customer_id = k.customer_id AND g.kind = k.kind AND g.value = k.value
        ),
        walk (root, anchor) AS (
            SELECT DISTINCT anchor, anchor FROM shared
            UNION
            SELECT w.root, m2.anchor
            FROM walk w
            JOIN members m1 ON m1.anchor = w.anchor
            JOIN members m2 ON m2.contact_id = m1.contact_id
        ),
        components AS (
            SELECT anchor, MIN(root) AS component FROM walk GROUP BY anchor
        )
        SELECT m.contact_id, m.kind, c.component
        FROM members m JOIN components c ON c.anchor = m.anchor
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, scope_params)
        rows = cursor.fetchall()

    to_pk = model._meta.pk.to_python
    components: dict[Any, tuple[set[Any], set[str]]] = {}
    for contact_id, kind, component in rows:
        ids, reasons = components.setdefault(to_pk(component), (set(), set()))
        ids.add(to_pk(contact_id))
        reasons.add(kind.decode() if isinstance(kind, bytes) else kind)
    contacts = _contacts_by_pk(queryset, [pk for ids, _reasons in components.values() for pk in ids])
    groups = [
        DuplicateGroup(contacts=[contacts[pk] for pk in sorted(ids)], reasons=frozenset(reasons))
        for ids, reasons in components.values()
    ]
    return sorted(groups, key=lambda group: group.contacts[0].pk)


def _contacts_by_pk(queryset: models.QuerySet[AbstractContact], pks: list[Any]) -> dict[Any, AbstractContact]:
    """``queryset.in_bulk(pks)``; on PostgreSQL with the pks as one array parameter.

    A large ``IN (%s, %s, …)`` costs psycopg a parse of every placeholder (a quarter of
    a second for 15,000 contacts); an array is one parameter.
    """
    if not pks or connections[queryset.db].vendor != "postgresql":
        return queryset.in_bulk(pks)
    return {contact.pk: contact for contact in queryset.filter(pk__in=RawSQL("SELECT unnest(%s)", [pks]))}
