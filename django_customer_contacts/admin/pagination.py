"""The contact changelist's paginator: a page of a million contacts at the cost of a page.

Four costs grow with the table in Django's own paginator, and this one avoids them:

* **The count.** ``COUNT(*)`` reads every matching row. Up to :data:`EXACT_COUNT_LIMIT`
  rows are counted exactly (the count reads at most that many keys);
  beyond, the count is the database's estimate: the table's row estimate for an
  unfiltered list, the planner's estimate of the matching rows for a filtered one
  (PostgreSQL and MariaDB; SQLite, and an estimate below the limit, are counted
  exactly). The number shown, and the number of pages, are approximate above the
  limit: the last pages of an overestimated list are empty, and the last page of an
  underestimated one is not cut short by the estimate.
* **The annotations of skipped rows.** A deep page (``?p=5000``) skips hundreds of
  thousands of rows; PostgreSQL computes the select list — the primary email and phone
  subqueries — for every skipped row. The page's keys are found first, in a subquery
  that reads only the ordering's index, and the annotations are computed for those
  rows alone. The first page's too: asked for it directly with a filter (a tag),
  PostgreSQL walks the ordering's index reading each contact's row from the table,
  where the keys' subquery tests the filter on the index alone. MariaDB can't take
  ``LIMIT`` in an ``IN`` subquery, and asked for the page directly it joins the
  customers first and sorts every contact: there the page's keys are a derived table
  (``IN (SELECT * FROM (SELECT * FROM (… LIMIT … OFFSET …) AS page_window LIMIT …) AS
  page_keys)``: the outer ``LIMIT`` keeps the optimizer from reckoning a later page's
  table at ``OFFSET + LIMIT`` rows and scanning every contact against it).
* **DISTINCT.** A filter across a many-to-many (tags, categories) makes the admin add
  ``DISTINCT`` over every column, the annotations included: the database must build
  every matching row before the first page. The page instead reads the contacts whose
  key is among the filtered keys, a semi-join that stops at the page's end.
* **Conditions tested twice.** A search (a trigram index scan on PostgreSQL) or a
  filter costs its time in the count and again in the page. The count reads the
  matching keys instead of counting them; up to :data:`EXACT_COUNT_LIMIT` of them,
  their number is the count, and the page is read from them, by key, without testing
  the conditions again (``locking.filter_by_keys()``: one array parameter on
  PostgreSQL, integers written into the query elsewhere; keys that aren't integers
  only as many as the database takes parameters in a query, else the page is read as
  below).

Each keeps the one query per page Django's paginator makes, and the count's.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db import connections, models
from django.db.models.expressions import RawSQL

from ..locking import filter_by_keys

__all__ = ["EXACT_COUNT_LIMIT", "ContactChangeListPaginator", "estimated_count"]

#: Lists up to this many contacts are counted exactly.
EXACT_COUNT_LIMIT = 10_000


def estimated_count(queryset: models.QuerySet[Any]) -> int | None:
    """The database's estimate of the rows ``queryset`` matches, or ``None`` (SQLite: no estimate).

    Unfiltered: the table's row estimate (PostgreSQL's ``reltuples``, MariaDB's
    ``TABLE_ROWS``), kept by ``ANALYZE`` and autovacuum. Filtered: the planner's
    estimate of the matching rows (``EXPLAIN``).
    """
    connection = connections[queryset.db]
    table = queryset.model._meta.db_table
    unfiltered = not queryset.query.where and not queryset.query.distinct
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if unfiltered:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
                row = cursor.fetchone()
                return max(int(row[0]), 0) if row else None
            sql, params = queryset.order_by().values("pk").query.sql_with_params()
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            return int(plan[0]["Plan"]["Plan Rows"])
        if connection.vendor == "mysql":
            if unfiltered:
                cursor.execute(
                    "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                    "AND TABLE_NAME = %s",
                    [table],
                )
                row = cursor.fetchone()
                return int(row[0]) if row and row[0] is not None else None
            sql, params = queryset.order_by().values("pk").query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            columns = [column[0] for column in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            # The first table read, and the share of its rows the conditions keep.
            first = rows[0]
            # The driver hands these back as text.
            return int(float(first.get("rows") or 0) * float(first.get("filtered") or 100) / 100)
    return None


class ContactChangeListPaginator(Paginator):  # type: ignore[type-arg]  # not generic at runtime
    """Django's paginator, with the count, the page and DISTINCT done as the module docstring says.

    ``root`` is the admin's unfiltered queryset (``ModelAdmin.get_queryset()``): a
    page of a ``DISTINCT`` list is read from it, by key.
    """

    def __init__(
        self,
        object_list: models.QuerySet[Any],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
        root: models.QuerySet[Any] | None = None,
    ) -> None:
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.root = root
        #: Whether :attr:`count` is the database's estimate rather than a count.
        self.estimated = False
        #: The matching keys, when the count read them (see the module docstring).
        self.keys: list[Any] | None = None
        #: The root queryset filtered on :attr:`keys`.
        self._keyed: models.QuerySet[Any] | None = None

    @cached_property
    def _rows(self) -> models.QuerySet[Any]:
        """The list's contacts without DISTINCT: the root queryset, by the filtered keys."""
        queryset = cast("models.QuerySet[Any]", self.object_list)
        query = queryset.query
        if not query.distinct or query.distinct_fields or self.root is None:
            return queryset
        return self._by_keys(queryset.order_by().values("pk"))

    def _by_keys(self, keys: Any) -> models.QuerySet[Any]:
        """The root queryset's rows whose key is among ``keys``, in the list's order."""
        assert self.root is not None
        return self._in_order(self.root.filter(pk__in=keys))

    def _in_order(self, rows: models.QuerySet[Any]) -> models.QuerySet[Any]:
        """``rows`` in the list's order, with its related rows."""
        query = cast("models.QuerySet[Any]", self.object_list).query
        rows = rows.order_by(*query.order_by)
        if query.select_related:
            related = query.select_related
            rows = rows.select_related(*_related_names(related)) if isinstance(related, dict) else rows.select_related()
        return rows

    @cached_property
    def count(self) -> int:
        """Exact up to :data:`EXACT_COUNT_LIMIT`, else the database's estimate (see the module docstring)."""
        bounded = self._rows.order_by().values_list("pk", flat=True)[: EXACT_COUNT_LIMIT + 1]
        if self.root is None:
            # No queryset to read a page from by key: the keys are only counted.
            found: list[Any] | None = None
            number = bounded.count()
        else:
            found = list(bounded)
            number = len(found)
        if number <= EXACT_COUNT_LIMIT:
            if found is not None:
                self._keyed = self._keyed_rows(found)
                if self._keyed is not None:
                    self.keys = found
            return number
        estimate = estimated_count(self._rows)
        if estimate is None or estimate <= EXACT_COUNT_LIMIT:
            # No estimate (SQLite), or one the bounded count proves wrong (no statistics
            # yet): counted exactly after all.
            return self._rows.count()
        self.estimated = True
        return estimate

    def rows(self) -> models.QuerySet[Any]:
        """Every row of the list, in its order: read by key when the count read the keys.

        The admin shows a list that fits on one page (or "Show all") without asking for
        a page: :class:`~django_customer_contacts.admin.filters.ContactChangeList` asks
        this instead.
        """
        if self._keyed is not None:
            return self._in_order(self._keyed)
        return cast("models.QuerySet[Any]", self.object_list).all()

    def _keyed_rows(self, keys: list[Any]) -> models.QuerySet[Any] | None:
        """The root queryset filtered on ``keys`` in one query (``locking.filter_by_keys()``),
        or ``None`` when the database can't take that many in one (keys that aren't
        integers, beyond its parameters per query)."""
        assert self.root is not None
        filtered = list(filter_by_keys(self.root, "pk", keys))
        return filtered[0] if len(filtered) == 1 else None

    def page(self, number: Any) -> Page:  # type: ignore[type-arg]
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count and not self.estimated:
            # An estimate may be low: a page is never cut short by it.
            top = self.count
        if top <= bottom:
            # The first page of an empty list: no keys to read (an empty slice can't be
            # written as a derived table).
            return cast("Page[Any]", self._get_page(self.object_list.none(), number, self))  # type: ignore[attr-defined]
        if self.keys is not None and self._keyed is not None:
            # The matching keys are known: the conditions aren't tested again.
            window = self._in_order(self._keyed)
            if len(self.keys) > top - bottom:
                # The page's keys first, as below: MariaDB would compute the annotations
                # of every matching row before sorting them.
                window = self._by_keys(_page_keys(window.values("pk")[bottom:top], top - bottom))
            return cast("Page[Any]", self._get_page(window, number, self))  # type: ignore[attr-defined]
        rows = self._rows
        keys = rows.values("pk")[bottom:top]
        if not connections[rows.db].features.allow_sliced_subqueries_with_in:
            # MariaDB and MySQL take no LIMIT in an IN subquery: the page's keys are a
            # derived table. Asked for the page directly, MariaDB joins the customers
            # first and sorts every contact.
            window = rows.filter(pk__in=_page_keys(keys, top - bottom))
        else:
            # Only the page's rows get the annotations; the first page's keys are read
            # from the ordering's index alone (see the module docstring).
            window = rows.filter(pk__in=keys)
        return cast("Page[Any]", self._get_page(window, number, self))  # type: ignore[attr-defined]  # not in the stubs


def _page_keys(keys: models.QuerySet[Any, Any], size: int) -> RawSQL:
    """A page's ``keys`` (a sliced ``values("pk")``) as a derived table, for ``pk__in``.

    MariaDB and MySQL take no ``LIMIT`` in an ``IN`` subquery, but take a derived table
    that has one. MariaDB's optimizer reckons such a table holds ``OFFSET + LIMIT`` rows
    and, for a later page, would scan every contact against it; the derived table around
    it, limited to the page's ``size``, tells it the page's number of rows: it then
    looks the page's contacts up by key.
    """
    sql, params = keys.query.sql_with_params()
    return RawSQL(f"SELECT * FROM (SELECT * FROM ({sql}) AS page_window LIMIT {int(size)}) AS page_keys", params)


def _related_names(related: dict[str, Any], prefix: str = "") -> list[str]:
    """``select_related()``'s names from a query's nested ``select_related`` dict."""
    names = []
    for name, nested in related.items():
        path = f"{prefix}{name}"
        names.append(path)
        names.extend(_related_names(nested, f"{path}__"))
    return names
