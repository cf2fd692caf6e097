"""The planner: everything a merge will do, worked out from the locked rows before any write.

1. **Lock** the customer, then the contacts in pk order (see ``locking``), and check
   again that they all still exist and belong to that customer.
2. **Decide** main's field values (``rules``).
3. **Plan**: one query reads, for every relation that points at the contact model
   (``relations``), the duplicates' rows: which move to main, which would duplicate a
   row main already has (dropped), and which would give main a second row on a
   one-to-one (the merge is refused).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import itertools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, Exists, ExpressionWrapper, F, OuterRef, Q, Value, When
from django.db.models.functions import Cast, JSONObject
from django.db.models.lookups import Exact, In
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import get_contact_model
from ..exceptions import MergeError
from ..locking import chunked, lock_contacts_compiled, lock_customer
from .record import json_value, json_values, keeps_other_side
from .relations import Relation, contact_content_type_ids, contact_relations, is_integer_field, rows_of, stamp_fields
from .rules import channel_facts, contact_label, merged_values

if TYPE_CHECKING:
    from ..models import AbstractContact

__all__ = [
    "MergePlan",
    "RelationPlan",
    "build_plan",
    "check_arguments",
    "max_query_params",
    "plan_merge",
    "union_statements",
]

# Nested JSON objects keep each under PostgreSQL's 100-argument limit for functions.
_JSON_CHUNK = 50
# SQLite allows 500 SELECTs in one compound statement.
_UNION_CHUNK = 200


# -- the plan ---------------------------------------------------------------------------


@dataclass(eq=False)
class RelationPlan:
    """What a merge does to one relation: the rows that move and the rows dropped.

    ``moved`` and ``dropped`` map a duplicate's pk to row pks; ``rows`` holds the full
    rows of dropped rows (and of every contact point), ``others`` the other side of a
    many-to-many link (of links read one by one, and of tags and categories, which the
    record keeps: ``record.keeps_other_side``), both by duplicate pk. ``stamps`` holds,
    by row pk, the values of the fields the move stamps with its time
    (``relations.stamp_fields``) of the other rows that move, for an undo.

    ``listed`` holds, by duplicate pk, row pks that move as the database listed them:
    integers, comma-separated (in ascending order on PostgreSQL, in the order of the
    key's index elsewhere: see ``_KeyList``). ``moved`` reads them when it is first
    used; the record takes them as they are (see ``record.moved_json``): reading
    10,000 keys and writing them again took longer than the database took to list them.
    """

    relation: Relation
    dropped: dict[Any, list[Any]] = field(default_factory=dict)
    rows: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)
    others: dict[Any, list[Any]] = field(default_factory=dict)
    stamps: dict[Any, dict[str, Any]] = field(default_factory=dict)
    primaries: dict[Any, Any] = field(default_factory=dict)
    #: The contact point that becomes main's primary one, when main has none.
    new_primary: Any = None
    listed: dict[Any, str] = field(default_factory=dict, repr=False)
    _moved: dict[Any, list[Any]] = field(default_factory=dict, init=False, repr=False)

    @property
    def moved(self) -> dict[Any, list[Any]]:
        """The row pks that move, by duplicate pk (``listed`` read in)."""
        if self.listed:
            for dup_pk, text in self.listed.items():
                pks = self._moved.setdefault(dup_pk, [])
                pks.extend(_int_list(text))
                pks.sort()
            self.listed.clear()
        return self._moved

    def moved_json(self) -> dict[Any, str]:
        """The row pks that move, by duplicate pk, each list as JSON text (``listed``
        as the database listed it, unread)."""
        texts = {dup_pk: json.dumps(json_values(pks)) for dup_pk, pks in self._moved.items()}
        texts.update((dup_pk, f"[{text}]") for dup_pk, text in self.listed.items())
        return texts

    @property
    def moved_count(self) -> int:
        listed = sum(text.count(",") + 1 for text in self.listed.values())
        return listed + sum(len(pks) for pks in self._moved.values())

    @property
    def dropped_count(self) -> int:
        return sum(len(pks) for pks in self.dropped.values())

    @property
    def dropped_pks(self) -> list[Any]:
        return [pk for pks in self.dropped.values() for pk in pks]

    def __bool__(self) -> bool:
        return bool(self._moved or self.listed or self.dropped)


@dataclass(eq=False)
class MergePlan:
    """Everything a merge will do, worked out from the locked rows before any write."""

    main: AbstractContact
    duplicates: list[AbstractContact]
    #: The customer row, locked (the host's customer model).
    customer: models.Model
    #: Main's new field values, by attname (only those that change).
    values: dict[str, Any]
    #: For each changed field (by name), the pk of the contact its value comes from.
    sources: dict[str, Any]
    becomes_primary: bool
    relations: list[RelationPlan]
    using: str
    #: The content types a generic foreign key to a contact may name.
    content_types: list[int]

    @property
    def merged_ids(self) -> list[Any]:
        return [dup.pk for dup in self.duplicates]

    def describe(self) -> list[str]:
        """The plan in sentences, for people (``merge_contacts --dry-run``)."""
        lines = [
            _("Merge %(duplicates)s into %(main)s.")
            % {"duplicates": ", ".join(contact_label(d) for d in self.duplicates), "main": contact_label(self.main)}
        ]
        for name, source in self.sources.items():
            # get_field() is typed to return a reverse relation too; these names are fields.
            attname = cast("models.Field[Any, Any]", self.main._meta.get_field(name)).attname
            lines.append(
                _("%(field)s: %(value)r, from #%(source)s")
                % {"field": name, "value": self.values[attname], "source": source}
            )
        if self.becomes_primary:
            lines.append(_("%(main)s becomes the primary contact.") % {"main": contact_label(self.main)})
        for plan in self.relations:
            if plan:
                lines.append(
                    _("%(relation)s: %(moved)d moved, %(dropped)d dropped (main already has them)")
                    % {"relation": plan.relation.label, "moved": plan.moved_count, "dropped": plan.dropped_count}
                )
        return lines


def plan_merge(
    main: AbstractContact,
    duplicates: Iterable[AbstractContact | Any],
    *,
    field_sources: Mapping[str, AbstractContact | Any] | None = None,
) -> MergePlan:
    """Work out what ``merge_contacts`` would do, and change nothing.

    Raises ``MergeError`` for whatever ``merge_contacts`` would refuse. Locks the same
    rows as a merge while it reads, in a transaction of its own.
    """
    model = get_contact_model()
    duplicate_ids = check_arguments(model, main, duplicates)
    using = router.db_for_write(model, instance=main)
    with transaction.atomic(using=using):
        return build_plan(model, main, duplicate_ids, field_sources or {}, using)


def check_arguments(
    model: type[AbstractContact], main: AbstractContact, duplicates: Iterable[AbstractContact | Any] | None
) -> list[Any]:
    """The duplicates' pks, in the order given, once each; refusals that need no query."""
    if main is None or main.pk is None:
        raise MergeError(_("Save the main contact before merging other contacts into it."))
    ids: list[Any] = []
    for duplicate in duplicates or ():
        pk = getattr(duplicate, "pk", duplicate)
        if pk is None:
            raise MergeError(_("A contact that was never saved can't be merged."))
        try:
            pk = model._meta.pk.to_python(pk)
        except ValidationError:
            raise MergeError(_("%(pk)r is not a contact's key.") % {"pk": pk}) from None
        if pk == main.pk:
            raise MergeError(
                _("%(contact)s is the main contact, so it can't also be one of the duplicates merged into it.")
                % {"contact": contact_label(main)}
            )
        if pk not in ids:
            ids.append(pk)
    if not ids:
        raise MergeError(
            _("Choose at least one duplicate to merge into %(contact)s.") % {"contact": contact_label(main)}
        )
    return ids


def build_plan(
    model: type[AbstractContact],
    main: AbstractContact,
    duplicate_ids: list[Any],
    sources: Mapping[str, AbstractContact | Any],
    using: str,
) -> MergePlan:
    relations = contact_relations(model)
    fresh_main, duplicates, customer = _lock_merge_rows(model, main, duplicate_ids, relations, using)
    values, changed_sources, becomes_primary = merged_values(model, fresh_main, duplicates, sources)
    content_types = contact_content_type_ids(model, using)
    relation_plans = _plan_relations(relations, fresh_main, duplicates, content_types, using)
    return MergePlan(
        main=fresh_main,
        duplicates=duplicates,
        customer=customer,
        values=values,
        sources=changed_sources,
        becomes_primary=becomes_primary,
        relations=relation_plans,
        using=using,
        content_types=content_types,
    )


def _lock_merge_rows(
    model: type[AbstractContact], main: AbstractContact, duplicate_ids: list[Any], relations: list[Relation], using: str
) -> tuple[AbstractContact, list[AbstractContact], models.Model]:
    """Lock the customer, then the contacts in pk order; check what was read before.

    The lock order every operation on a customer's contacts takes (see ``locking``),
    so merges and primary changes of one customer queue at the customer row.
    """
    customer_model = model._meta.get_field("customer").related_model
    try:
        customer = lock_customer(main.customer_id, using)
    # The plugin puts DoesNotExist on concrete models only, and the customer model is the host's.
    except customer_model.DoesNotExist:  # type: ignore[attr-defined]
        raise MergeError(
            _("The customer of %(contact)s no longer exists.") % {"contact": contact_label(main)}
        ) from None
    # Whether each contact's channel preferences apply: an opt-out counts only where one does.
    locked = lock_contacts_compiled(
        [main.pk, *duplicate_ids], using, "merge", lambda: model._base_manager.annotate(**channel_facts(model))
    )
    if main.pk not in locked:
        raise MergeError(
            _("%(contact)s no longer exists; it may have been merged or deleted meanwhile.")
            % {"contact": contact_label(main)}
        )
    missing = [pk for pk in duplicate_ids if pk not in locked]
    if missing:
        raise MergeError(
            _(
                "Contact %(ids)s no longer exists; it may have been merged or deleted meanwhile. "
                "Reload the contacts and choose again."
            )
            % {"ids": ", ".join(f"#{pk}" for pk in missing)}
        )
    fresh_main = locked[main.pk]
    duplicates = [locked[pk] for pk in duplicate_ids]
    if fresh_main.customer_id != customer.pk:
        raise MergeError(
            _("%(contact)s was moved to another customer meanwhile. Reload the contacts and try again.")
            % {"contact": contact_label(fresh_main)}
        )
    strangers = [dup for dup in duplicates if dup.customer_id != fresh_main.customer_id]
    if strangers:
        raise MergeError(
            ngettext(
                "Only contacts of the same customer can be merged, and %(contacts)s is not of "
                "%(customer)s, the customer of %(main)s.",
                "Only contacts of the same customer can be merged, and %(contacts)s are not of "
                "%(customer)s, the customer of %(main)s.",
                len(strangers),
            )
            % {
                "contacts": ", ".join(contact_label(d) for d in strangers),
                "customer": customer,
                "main": contact_label(fresh_main),
            }
        )
    return fresh_main, duplicates, customer


def _plan_relations(
    relations: list[Relation],
    main: AbstractContact,
    duplicates: list[AbstractContact],
    content_types: list[int],
    using: str,
) -> list[RelationPlan]:
    """Read every duplicate's rows of every relation, in one query (a UNION).

    For each row: the relation, its pk, the duplicate it belongs to, the other side of
    a many-to-many link, whether it is a primary contact point, whether it collides with
    a row of main (or of an earlier duplicate) under a unique constraint — dropped — or
    on a one-to-one — refused — and, for dropped rows and contact points, the whole row.
    """
    plans = [RelationPlan(relation) for relation in relations]
    main_primary: set[int] = set()
    contacts = [main, *duplicates]
    owners = [{str(relation.key(dup)): dup.pk for dup in duplicates} for relation in relations]
    rows = _read_plan(relations, contacts, content_types, using, list_drops=True)
    if rows is None:  # a list of dropped links cut short: read them one by one
        rows = cast("list[tuple[Any, ...]]", _read_plan(relations, contacts, content_types, using, list_drops=False))
    # int() for the common integer keys: this runs once per row.
    read_pk: list[Callable[[Any], Any]] = [
        int if is_integer_field(r.model._meta.pk) else r.model._meta.pk.to_python for r in relations
    ]
    # The rows that collide, from their own branches (few): applied to their rows below;
    # the links dropped, listed (keys and other sides, by relation and owner), in bulk.
    marks: dict[tuple[int, Any], tuple[int, Any]] = {}
    dropped_lists: dict[tuple[int, Any], tuple[list[int], list[int]]] = {}
    for index, pk, owner, other, flags, row in rows:
        if flags & _LIST:
            if flags & _DROP:
                dropped_lists[index, owner] = (pk, other)
            continue
        if flags & (_DROP | _CLASH):
            pk = read_pk[index](pk)
            earlier_flags, earlier_row = marks.get((index, pk), (0, None))
            marks[index, pk] = (flags | earlier_flags, row if row is not None else earlier_row)
    marked: dict[int, set[Any]] = {}
    for index, pk in marks:
        marked.setdefault(index, set()).add(pk)
    clashes: list[tuple[Relation, Any]] = []

    def place(plan: RelationPlan, dup_pk: Any, pk: Any, flags: int, row: Any) -> None:
        """One row of a duplicate: moved or dropped, with what the record keeps of it."""
        relation = plan.relation
        if flags & _CLASH:
            clashes.append((relation, dup_pk))
        (plan.dropped if flags & _DROP else plan.moved).setdefault(dup_pk, []).append(pk)
        if row is not None and (flags & _DROP or relation.is_contact_point):
            plan.rows.setdefault(dup_pk, []).append(_row_values(relation.model, row))
        elif row is not None:
            plan.stamps[pk] = _row_values(relation.model, row)
        if flags & _PRIMARY and not flags & _DROP:
            plan.primaries[dup_pk] = pk

    def owner_pk(index: int, owner: Any) -> Any:
        dup_pk = owners[index].get(owner)
        if dup_pk is None:  # a key the database spells its own way (UUIDs on SQLite)
            dup_pk = owners[index][str(relations[index].field.to_python(owner))]
        return dup_pk

    # The dropped links, listed: their whole rows are their keys.
    for (index, owner), (drop_pks, drop_others) in dropped_lists.items():
        plan, dup_pk = plans[index], owner_pk(index, owner)
        relation = plan.relation
        key = relation.key(next(d for d in duplicates if d.pk == dup_pk))
        plan.dropped.setdefault(dup_pk, []).extend(drop_pks)
        plan.rows.setdefault(dup_pk, []).extend(_link_rows(relation, drop_pks, key, drop_others))

    for index, pk, owner, other, flags, row in rows:
        if flags & _MAIN_PRIMARY:
            main_primary.add(index)
            continue
        if flags & (_DROP | _CLASH):
            continue
        plan = plans[index]
        relation = plan.relation
        dup_pk = owner_pk(index, owner)
        if flags & _LIST:
            # A duplicate's rows of this relation as one list: the pks (and the other
            # side of a many-to-many link), comma-separated.
            count = flags // _COUNT
            text = _list_text(pk, count)
            lists_others = _lists_other_side(relation, flags)
            other_text = _list_text(other, count) if lists_others else None
            if lists_others and other_text is None:
                text = None  # cut short: read as if the keys' list were
            others = _int_list(other_text) if other_text is not None else None
            drops = dropped_lists.get((index, owner))
            if text is not None and index not in marked:
                # What moves is the list but the links dropped: kept as text (see
                # RelationPlan.listed); the database writes integers one way.
                if drops is not None:
                    gone_keys = {str(one) for one in drops[0]}
                    text = ",".join(itertools.filterfalse(gone_keys.__contains__, text.split(",")))
                if text:
                    plan.listed[dup_pk] = text
                if others is not None:
                    plan.others.setdefault(dup_pk, []).extend(others)
                continue
            if text is None:  # cut short (MariaDB): read the rows one by one
                dup = next(d for d in duplicates if d.pk == dup_pk)
                pks, others = _read_rows(relation, dup, content_types, using)
            else:
                pks = _int_list(text)
            gone: set[Any] = set(drops[0]) if drops is not None else set()
            if index in marked:
                collide = marked[index].intersection(pks)
                for one in collide:
                    if one in gone:  # dropped above; refused too if it is a one-to-one's
                        if marks[index, one][0] & _CLASH:
                            clashes.append((relation, dup_pk))
                        continue
                    place(plan, dup_pk, one, *marks[index, one])
                gone |= collide
            if gone:
                pks = [one for one in pks if one not in gone]
            if pks:
                plan.moved.setdefault(dup_pk, []).extend(pks)
            if others is not None:
                plan.others.setdefault(dup_pk, []).extend(others)
            continue
        pk = read_pk[index](pk)
        if index in marked:
            mark = marks.get((index, pk))
            if mark is not None:
                flags |= mark[0]
                if mark[1] is not None:
                    row = mark[1]
        place(plan, dup_pk, pk, flags, row)
        if other is not None:
            other_field = cast("models.Field[Any, Any]", relation.other_field)  # set where others are read
            plan.others.setdefault(dup_pk, []).append(other_field.to_python(other))
    if clashes:
        relation, dup_pk = clashes[0]
        dup = next(d for d in duplicates if d.pk == dup_pk)
        raise MergeError(
            _(
                "%(contact)s and another of the contacts being merged each have a %(what)s, and a contact "
                "can have only one. Delete or reassign one of them, then merge again."
            )
            % {"contact": contact_label(dup), "what": relation.model._meta.verbose_name}
        )
    for index, plan in enumerate(plans):
        # (``listed`` isn't read here: ``moved`` sorts it when it is read.)
        for pks in (*plan._moved.values(), *plan.dropped.values(), *plan.others.values()):
            pks.sort()
        if plan.relation.is_contact_point and plan.moved and index not in main_primary:
            # Main had none of these: the first duplicate's primary one takes over.
            candidates = [plan.primaries[d.pk] for d in duplicates if d.pk in plan.primaries]
            plan.new_primary = candidates[0] if candidates else min(pk for pks in plan.moved.values() for pk in pks)
    return plans


def _read_plan(
    relations: list[Relation],
    contacts: list[AbstractContact],
    content_types: list[int],
    using: str,
    *,
    list_drops: bool,
) -> list[tuple[Any, ...]] | None:
    """The plan's rows, with each listed row of dropped links (``_LIST | _DROP``) read:
    its keys and other sides as lists of integers; ``None`` when such a list was cut
    short (MariaDB's ``group_concat_max_len``)."""
    connection = connections[using]
    rows: list[tuple[Any, ...]] = []
    for sql, template in _plan_statements(relations, len(contacts) - 1, content_types, using, list_drops):
        params = [p.value(contacts, connection) if isinstance(p, _KeyMarker) else p for p in template]
        # One fetchall(): Django's iterator would fetch (and convert) 100 rows at a time.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows.extend(cursor.fetchall())
    if not list_drops:
        return rows
    read: list[tuple[Any, ...]] = []
    for row in rows:
        index, pk, owner, other, flags, _row = row
        if flags & _LIST and flags & _DROP:
            pk_text, other_text = _list_text(pk, flags // _COUNT), _list_text(other, flags // _COUNT)
            if pk_text is None or other_text is None:
                return None
            read.append((index, _int_list(pk_text), owner, _int_list(other_text), flags, None))
        else:
            read.append(row)
    return read


def _list_text(value: str | bytes | None, count: int) -> str | None:
    """A list's text (see ``_KeyList``) without its last comma; ``None`` if the database
    cut it short (MariaDB's ``group_concat_max_len``, ``max_allowed_packet``).

    ``count`` is the number of values, where the database can cut a list short (see
    ``listed()``); 0 elsewhere.
    """
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else value
    # Every value ends with a comma: a list cut short anywhere has fewer.
    if count and text.count(",") != count:
        return None
    return text[:-1]


def _int_list(text: str) -> list[int]:
    # Read by the JSON parser: faster than int() per value.
    values: list[int] = json.loads(f"[{text}]")
    return values


def _read_rows(
    relation: Relation, dup: AbstractContact, content_types: list[int], using: str
) -> tuple[list[Any], list[Any] | None]:
    """A duplicate's rows of one relation, one by one: when the list was cut short."""
    rows = rows_of(relation, [relation.key(dup)], content_types, using)
    if relation.other_field is None:
        return list(rows.values_list("pk", flat=True)), None
    pairs = list(rows.values_list("pk", relation.other_field.attname))
    return [pk for pk, _other in pairs], [other for _pk, other in pairs]


_COLUMNS = ("merge_relation", "merge_pk", "merge_owner", "merge_other", "merge_flags", "merge_row")

# The plan's statements by their shape: see _plan_statements().
_STATEMENTS: dict[tuple[Any, ...], list[tuple[str, list[Any]]]] = {}


@dataclass(frozen=True, eq=False)
class _KeyMarker:
    """Where a contact's key goes in a plan statement's parameters: the ``role``-th of
    main and the duplicates (0 is main), spelled as ``relation`` stores it."""

    relation: Relation
    role: int

    def value(self, contacts: list[AbstractContact], connection: BaseDatabaseWrapper) -> Any:
        return self.relation.field.get_db_prep_value(self.relation.key(contacts[self.role]), connection)


class _Key(models.Expression):
    """A contact's key in a plan statement, compiled to a parameter that is filled in
    for each merge (a ``_KeyMarker``)."""

    def __init__(self, relation: Relation, role: int) -> None:
        super().__init__(output_field=relation.field)
        self.relation = relation
        self.role = role

    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, Any]:
        return "%s", (_KeyMarker(self.relation, self.role),)


def _keys(relation: Relation, duplicates: int) -> tuple[_Key, list[_Key]]:
    """Main's key and the duplicates' keys, as placeholders."""
    return _Key(relation, 0), [_Key(relation, role) for role in range(1, duplicates + 1)]


def _plan_statements(
    relations: list[Relation], duplicates: int, content_types: list[int], using: str, list_drops: bool = True
) -> list[tuple[str, list[Any]]]:
    """The statements that read the plan (one, unless a database limit splits it), as
    SQL and parameters with the contacts' keys left as ``_KeyMarker``.

    Compiled once per process for each shape — the relations, the number of duplicates,
    the content types, the database — and then only run: building and compiling the
    statement of a dozen relations costs Python more than running it costs the database
    for thousands of rows.
    """
    connection = connections[using]
    shape = (
        using,
        connection.vendor,
        max_query_params(connection),
        duplicates,
        tuple(content_types),
        tuple((r.model._meta.label_lower, r.field.attname) for r in relations),
        list_drops,
    )
    statements = _STATEMENTS.get(shape)
    if statements is not None:
        return statements
    branches = [
        branch
        for index, relation in enumerate(relations)
        for branch in _plan_branches(index, relation, duplicates, content_types, using, list_drops)
    ]
    # Whether main has a primary email/phone (it keeps its own): read here, after the
    # locks, not with them — a statement that waited for a lock sees other tables as
    # they were when it started.
    branches += [
        _main_primary_branch(index, relation, using)
        for index, relation in enumerate(relations)
        if relation.is_contact_point
    ]
    statements = []
    for group in union_statements(branches, connection):
        first, *rest = group
        query = (first.union(*rest, all=True) if rest else first).order_by().query
        sql, params = query.get_compiler(using).as_sql()
        statements.append((sql, list(params)))
    _STATEMENTS[shape] = statements
    return statements


def max_query_params(connection: BaseDatabaseWrapper) -> int | None:
    """How many parameters one statement may bind on ``connection``; ``None``: no limit.

    SQLite's is set when it is built (and may be lowered per connection): asked of the
    connection, as Django 6.0 does; older Django assumes 999.
    """
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        getlimit = getattr(connection.connection, "getlimit", None)
        if getlimit is not None:
            limit: int = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            return limit
    return connection.features.max_query_params


def union_statements(
    branches: list[models.QuerySet[models.Model, tuple[Any, ...]]], connection: BaseDatabaseWrapper
) -> list[list[models.QuerySet[models.Model, tuple[Any, ...]]]]:
    """The branches grouped into UNIONs: one, unless a limit of the database splits them.

    Each branch binds a key per duplicate in a few places, so thousands of duplicates
    can exceed SQLite's parameter limit: branches then go into as many statements as
    the limit needs (a branch over the limit alone still fails).
    """
    limit = max_query_params(connection)
    groups: list[list[models.QuerySet[models.Model, tuple[Any, ...]]]] = [[]]
    size = 0
    for branch in branches:
        params = len(branch.query.get_compiler(connection=connection).as_sql()[1]) if limit else 0
        if groups[-1] and (len(groups[-1]) == _UNION_CHUNK or (limit and size + params > limit)):
            groups.append([])
            size = 0
        groups[-1].append(branch)
        size += params
    return [group for group in groups if group]


def _collision(relation: Relation, duplicates: int, content_types: list[int], one_to_one: bool) -> Q | None:
    """A condition true for a duplicate's row that collides with a row main (or an
    earlier duplicate row) already has, under one of the relation's unique sets.

    ``one_to_one`` picks the sets with no other fields (a contact holds one such row);
    the others are links that exist once per contact, like a many-to-many pair.
    """
    column = F(relation.field.attname)
    conditions = []
    for others, condition in relation.unique_sets:
        if bool(others) == one_to_one:
            continue
        main, keys = _keys(relation, duplicates)
        if duplicates == 1 and len(others) == 1:
            # The common case, a pair (a many-to-many link): only main's rows can
            # collide. Main's values are read once, as a list the database hashes or
            # sorts, instead of an index probe per row of the duplicate (SQLite ran the
            # EXISTS below per row: 1.1 ms of its 2.6 ms plan at 10,000 rows).
            of_main = relation.model._base_manager.filter(Exact(column, main))
            if relation.content_type_field is not None:  # relation.is_generic
                of_main = of_main.filter(**{f"{relation.content_type_field.name}__in": content_types})
            if condition is not None:
                of_main = of_main.filter(condition)
            in_main = Q(**{f"{others[0]}__in": of_main.values(others[0])})
            conditions.append(in_main & condition if condition is not None else in_main)
            continue
        holders = relation.model._base_manager.filter(
            Q(Exact(column, main)) | Q(In(column, keys), pk__lt=OuterRef("pk")),
            # Implied by the line above, and not correlated: the database reads only the
            # rows of these contacts (by the key's index) to join with, not the table.
            In(column, [main, *keys]),
            **{other: OuterRef(other) for other in others},
        )
        if relation.content_type_field is not None:  # relation.is_generic
            holders = holders.filter(**{f"{relation.content_type_field.name}__in": content_types})
        if condition is not None:
            conditions.append(Q(Exists(holders.filter(condition))) & condition)
        else:
            conditions.append(Q(Exists(holders)))
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


# A row's flags in the plan, as bits of one integer column. A _LIST row holds a
# duplicate's rows of a relation; on MariaDB/MySQL their number in the higher bits (x _COUNT).
_DROP, _CLASH, _PRIMARY, _MAIN_PRIMARY, _LIST, _COUNT = 1, 2, 4, 8, 16, 32


class _KeyList(models.Aggregate):
    """The values of an integer column, each followed by a comma, in one text. Where
    MariaDB cuts the list short (``group_concat_max_len``), the number of commas shows
    it, even when the cut falls inside the last value.

    The lists of one row come from one pass over the rows, so the other side of links
    pairs with their pks by position. PostgreSQL orders them by pk. MariaDB/MySQL and
    SQLite list them in the order the rows are read: the key's index, in which InnoDB
    and SQLite keep the rows of one key in pk order (ordering them cost MariaDB a sort
    per list: 2.7 ms of a 5.8 ms plan at 10,000 rows; SQLite before 3.44 can't).
    """

    output_field = models.TextField()

    def __init__(self, expression: str) -> None:
        super().__init__(F(expression), F("pk"))

    # Only on these databases (see _listed). The columns have no parameters.
    def as_postgresql(self, compiler: Any, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, Any]:
        value, pk = self._columns(compiler)
        # Ordering an array of integers, then writing it: 0.8 ms for 3,333 values, against
        # 1.2-1.8 ms for STRING_AGG(... ORDER BY).
        return f"ARRAY_TO_STRING(ARRAY_AGG({value} ORDER BY {pk}), ',') || ','", ()

    def as_mysql(self, compiler: Any, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, Any]:
        value, _pk = self._columns(compiler)
        return f"GROUP_CONCAT(CONCAT({value}, ',') SEPARATOR '')", ()

    def as_sqlite(self, compiler: Any, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, Any]:
        value, _pk = self._columns(compiler)
        return f"GROUP_CONCAT({value}) || ','", ()

    def _columns(self, compiler: Any) -> tuple[str, str]:
        (value, value_params), (pk, pk_params) = (compiler.compile(e) for e in self.source_expressions)
        assert not value_params and not pk_params  # columns, as __init__ makes them
        return value, pk


def _lists_other_side(relation: Relation, flags: int) -> bool:
    """Whether a list (``_LIST`` row) of a many-to-many's links carries their other
    side too: for dropped links (their whole row goes into the record) and where the
    record keeps it (``record.keeps_other_side``)."""
    return relation.other_field is not None and bool(flags & _DROP or keeps_other_side(relation.model))


def _listed(relation: Relation, using: str) -> bool:
    """Whether a relation's rows are read as one list per duplicate: rows the merge
    keeps nothing of but their integer keys (no contact points, no stamped fields)."""
    other = relation.other_field
    return (
        connections[using].vendor in ("postgresql", "mysql", "sqlite")
        and not relation.is_contact_point
        and not stamp_fields(relation.model)
        and is_integer_field(relation.model._meta.pk)
        and (other is None or is_integer_field(cast("models.ForeignKey[Any, Any]", other).target_field))
    )


def _flag(condition: Q | None, bit: int) -> models.Expression:
    if condition is None:
        return Value(0)
    return Case(When(condition, then=Value(bit)), default=Value(0))


def _row_json(model: type[models.Model], fields: list[models.Field[Any, Any]] | None = None) -> JSONObject:
    """The whole row (or these ``fields`` of it) as JSON, in chunks of fields (see ``_JSON_CHUNK``)."""
    if fields is None:
        fields = [f for f in model._meta.concrete_fields if not f.generated]
    chunks = chunked(fields, _JSON_CHUNK)
    return JSONObject(
        **{f"part{n}": JSONObject(**{f.attname: F(f.attname) for f in chunk}) for n, chunk in enumerate(chunks)}
    )


def _keys_are_the_row(relation: Relation) -> bool:
    """Whether a relation's rows hold nothing but their pk, the contact's key and the
    other side's (a many-to-many link table): the whole row is then known from its keys."""
    other = relation.other_field
    if other is None or not isinstance(relation.field, models.ForeignKey):
        return False
    if not is_integer_field(relation.field.target_field):  # the record keeps integers as read
        return False
    fields = {f.attname for f in relation.model._meta.concrete_fields}
    return fields == {relation.model._meta.pk.attname, relation.field.attname, other.attname}


def _link_rows(relation: Relation, pks: list[int], owner: Any, others: list[int]) -> list[dict[str, Any]]:
    """Link rows from their keys (see ``_keys_are_the_row``), as ``_row_values`` reads
    rows: integers, as read."""
    pk_name, owner_name = relation.model._meta.pk.attname, relation.field.attname
    other_name = cast("models.Field[Any, Any]", relation.other_field).attname
    return [{pk_name: pk, owner_name: owner, other_name: other} for pk, other in zip(pks, others, strict=True)]


def _plan_branches(
    index: int, relation: Relation, duplicates: int, content_types: list[int], using: str, list_drops: bool = True
) -> list[models.QuerySet[models.Model, tuple[Any, ...]]]:
    """The duplicates' rows of one relation; then, apart, those that collide.

    The first branch lists every row, with what the merge keeps of it: a contact point
    whole, another row the values of the fields the move stamps. A relation with unique
    sets gets a branch of the rows that would duplicate one of main's (dropped, with the
    whole row) and one of the rows that would give main a second one-to-one (refused).
    The collision tests sit in ``WHERE``, where the database joins (a semi-join on
    PostgreSQL) instead of probing an index for every row, and each runs once: tested
    per row in the select list, they made the statement look so costly to PostgreSQL
    that it spent most of its time compiling it (JIT).
    """
    keys = _keys(relation, duplicates)[1]
    rows = relation.model._base_manager.using(using).filter(In(F(relation.field.attname), keys))
    if relation.content_type_field is not None:  # relation.is_generic
        rows = rows.filter(**{f"{relation.content_type_field.name}__in": content_types})
    text = models.CharField()
    row: models.Expression
    if relation.is_contact_point:
        row = _row_json(relation.model)
    else:
        # The rows that move keep the earlier values of the fields the move stamps.
        stamps = stamp_fields(relation.model)
        row = _row_json(relation.model, stamps) if stamps else Value(None)

    def branch(
        queryset: models.QuerySet[models.Model], flags: models.Expression, row: models.Expression
    ) -> models.QuerySet[models.Model, tuple[Any, ...]]:
        columns = {
            "merge_relation": Value(index, output_field=models.IntegerField()),
            "merge_pk": Cast("pk", text),
            "merge_owner": Cast(relation.field.name, text),
            "merge_other": Cast(relation.other_field.name, text) if relation.other_field else Value(None, text),
            "merge_flags": ExpressionWrapper(flags, output_field=models.IntegerField()),
            "merge_row": ExpressionWrapper(row, output_field=models.TextField()),
        }
        # No ORDER BY, here or on the UNION: Django 6.1 refuses a compound query ordered
        # by the model's default ordering, and the plan doesn't depend on row order.
        # The plugin can't type annotate(**columns): its result is Any.
        selected: models.QuerySet[models.Model, tuple[Any, ...]] = (
            queryset.annotate(**columns).values_list(*columns).order_by()
        )
        return selected

    def listed(queryset: models.QuerySet[models.Model], flags: int) -> models.QuerySet[models.Model, tuple[Any, ...]]:
        """One row per duplicate: the database reads the rows, Python splits one text.

        The other side of the links is listed for dropped links (their whole row goes
        into the record) and where the record keeps it; else reading it only cost the
        database a read of each row besides the index (MariaDB: 1.9 ms against 0.5 ms
        for 3,333 links).
        """
        other_column = (
            relation.other_field.attname if relation.other_field and _lists_other_side(relation, flags) else None
        )
        # Only MariaDB/MySQL cut a list short; elsewhere the count isn't read, and cost
        # SQLite 0.1 ms for 3,333 rows.
        can_cut = connections[using].vendor == "mysql"
        lists = queryset.values(relation.field.attname).annotate(
            merge_relation=Value(index, output_field=models.IntegerField()),
            merge_pk=_KeyList("pk"),
            # An aggregate, not the column: grouped by the column alone, the rows come
            # in the order of its index, with no sort.
            merge_owner=Cast(models.Min(relation.field.attname), text),
            merge_other=_KeyList(other_column) if other_column else Value(None, text),
            merge_flags=ExpressionWrapper(
                Value(_LIST | flags) + models.Count("pk") * Value(_COUNT) if can_cut else Value(_LIST | flags),
                output_field=models.IntegerField(),
            ),
            merge_row=ExpressionWrapper(Value(None), output_field=models.TextField()),
        )
        selected: models.QuerySet[models.Model, tuple[Any, ...]] = lists.values_list(*_COLUMNS).order_by()
        return selected

    is_listed = _listed(relation, using)
    if is_listed:
        branches = [listed(rows, 0)]
    else:
        primary = _flag(Q(is_primary=True), _PRIMARY) if relation.is_contact_point else Value(0)
        branches = [branch(rows, primary, row)]
    drop = _collision(relation, duplicates, content_types, one_to_one=False)
    if drop is not None:
        if list_drops and is_listed and _keys_are_the_row(relation):
            # A link row is its keys: listed too, and put together in Python (_link_rows).
            branches.append(listed(rows.filter(drop), _DROP))
        else:
            branches.append(branch(rows.filter(drop), Value(_DROP), _row_json(relation.model)))
    clash = _collision(relation, duplicates, content_types, one_to_one=True)
    if clash is not None:
        branches.append(branch(rows.filter(clash), Value(_CLASH), Value(None)))
    return branches


def _main_primary_branch(index: int, relation: Relation, using: str) -> models.QuerySet[models.Model, tuple[Any, ...]]:
    """Main's primary row of a contact-point relation, flagged ``_MAIN_PRIMARY``."""
    text = models.CharField()
    rows = relation.model._base_manager.using(using).filter(
        Exact(F(relation.field.attname), _Key(relation, 0)), is_primary=True
    )
    columns = {
        "merge_relation": Value(index, output_field=models.IntegerField()),
        "merge_pk": Cast("pk", text),
        "merge_owner": Cast(relation.field.name, text),
        "merge_other": Value(None, text),
        "merge_flags": Value(_MAIN_PRIMARY, output_field=models.IntegerField()),
        "merge_row": ExpressionWrapper(Value(None), output_field=models.TextField()),
    }
    branch: models.QuerySet[models.Model, tuple[Any, ...]] = rows.annotate(**columns).values_list(*columns).order_by()
    return branch


def _row_values(model: type[models.Model], data: Any) -> dict[str, Any]:
    """A row read as JSON, with the values every backend spells its own way made equal."""
    if isinstance(data, str):
        data = json.loads(data)
    flat: dict[str, Any] = {}
    for part in data.values():
        flat.update(json.loads(part) if isinstance(part, str) else part)
    fields, integers = _fields_of(model)
    values = {}
    for attname, value in flat.items():
        if attname in integers and (value is None or type(value) is int):
            values[attname] = value  # as read: nothing to make equal (the common case of keys)
            continue
        model_field = fields[attname]
        with contextlib.suppress(ValidationError):  # else kept as read
            value = model_field.to_python(value)
        if isinstance(value, datetime.datetime) and settings.USE_TZ and timezone.is_naive(value):
            value = timezone.make_aware(value, datetime.UTC)
        values[attname] = json_value(value)
    return values


@functools.cache
def _fields_of(model: type[models.Model]) -> tuple[dict[str, models.Field[Any, Any]], frozenset[str]]:
    """A model's concrete fields by attname, and the attnames that hold integers (keys too)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    integers = frozenset(
        attname
        for attname, f in fields.items()
        if is_integer_field(f) or (isinstance(f, models.ForeignKey) and is_integer_field(f.target_field))
    )
    return fields, integers
