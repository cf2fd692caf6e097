"""The executor: ``merge_contacts`` carries out a plan.

**Write**, per relation one statement each: history of the rows that change (for
models with django-simple-history), the dropped rows, the move. Then the duplicates
are deleted, main is saved, and the contacts' history is written. Then
``contacts_merged`` is sent.

The number of queries grows with the number of relations, never with the number of
rows or duplicates. Rows are moved with ``QuerySet.update()`` and deleted with plain
``DELETE`` statements, so Django's per-row ``save``/``delete``/``m2m_changed`` signals
are not sent for them (nor for the deleted duplicates): ``contacts_merged`` is, with
the record of what moved.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.db import connections, models, transaction
from django.db.models import Case, F, Value, When
from django.db.models.lookups import In
from django.db.models.sql import UpdateQuery
from django.utils.translation import gettext as _

from .. import get_contact_model, history
from ..locking import Param, chunked, db_for_write
from ..signals import contacts_merged
from . import record as records
from .planner import MergePlan, RelationPlan, build_plan, check_arguments, max_query_params
from .relations import Relation, is_integer_field, rows_of, stamp_fields

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from ..models import AbstractContact, MergeRecord

__all__ = ["delete_duplicates", "delete_rows", "merge_contacts", "move_relation", "save_main", "write_contact_history"]


def merge_contacts(
    main: AbstractContact,
    duplicates: Iterable[AbstractContact | Any],
    *,
    field_sources: Mapping[str, AbstractContact | Any] | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    reason: str = "",
) -> MergeRecord:
    """Merge ``duplicates`` (contacts of main's customer) into ``main``; return the ``MergeRecord``.

    Main's fields: ``field_sources`` maps a field name to the contact (main or a
    duplicate, or its pk) whose value to keep. Otherwise main's non-blank values win and
    blanks are filled from the duplicates in the order given; opt-outs win
    (``email_allowed``, ``sms_allowed``, ``phone_allowed`` — from the contacts the
    channel applies to, see ``rules.channel_facts`` —, ``automated_followups``);
    the newest marketing consent evidence (consent, date and source together) is kept;
    ``last_contacted_at`` is the latest; a linked user moves to main when main has none.
    If a duplicate was the primary contact, main becomes primary.

    Every row of every installed model that points at a duplicate — foreign key,
    one-to-one, many-to-many in either direction, generic foreign key — is repointed at
    main. Emails and phones are de-duplicated (email case-insensitively, phones by
    E.164) and main keeps its primary ones. A row that would duplicate one main already
    has (the same many-to-many pair, a through row under a unique constraint) is dropped
    and kept in the record. Then the duplicates are deleted. History shows the deletions
    and main's change (and every moved or dropped row of a model with history) with the
    reason ``"Merge #<record pk>: …"``.

    Raises ``MergeError``, changing nothing, for an empty list, main among the
    duplicates, a contact that no longer exists, contacts of different customers, two
    linked users with no choice, a one-to-one that both hold, or a main that can't become
    primary. Locks the customer, then the contacts in pk order. Sends ``contacts_merged``
    inside the transaction: a receiver that raises undoes the merge.
    """
    model = get_contact_model()
    duplicate_ids = check_arguments(model, main, duplicates)
    using = db_for_write(main)
    user = history.history_user(user)
    with transaction.atomic(using=using):
        plan = build_plan(model, main, duplicate_ids, field_sources or {}, using)
        record = records.create_record(plan, user, reason)
        # One instant for the record, the rows' timestamps and history: an undo knows
        # a row the merge touched last by its ``modified``.
        now = record.created
        for relation_plan in plan.relations:
            if relation_plan:
                move_relation(relation_plan, plan, record, user, now)
        delete_duplicates(plan)
        save_main(plan)
        write_contact_history(plan, record, user, now)
        contacts_merged.send(sender=model, contact=plan.main, merged_ids=plan.merged_ids, record=record, user=user)
    for model_field in model._meta.concrete_fields:
        setattr(main, model_field.attname, getattr(plan.main, model_field.attname))
    if hasattr(main, "_prefetched_objects_cache"):
        main._prefetched_objects_cache = {}
    return record


def move_relation(
    relation_plan: RelationPlan, plan: MergePlan, record: MergeRecord, user: AbstractBaseUser | None, now: datetime
) -> None:
    """Repoint one relation's rows at main: history, dropped rows, then one UPDATE."""
    relation = relation_plan.relation
    dropped = relation_plan.dropped_pks
    if history.history_model_for(relation.model) is not None:
        history.write_history(
            relation.model,
            rows_of(relation, [relation.key(d) for d in plan.duplicates], plan.content_types, plan.using),
            _changes(relation, relation.key(plan.main), now, relation_plan.new_primary),
            dropped,
            user,
            now,
            moved_reason=records.change_reason(record, _("moved to contact %(pk)s") % {"pk": plan.main.pk}),
            dropped_reason=records.change_reason(
                record, _("removed, contact %(pk)s already has the same") % {"pk": plan.main.pk}
            ),
        )
    if dropped:
        # Dropped only after the record holds them (and history, above).
        delete_rows(relation.model, dropped, plan.using)
    if relation_plan.moved_count:
        _move_statement(relation, len(plan.duplicates), plan.content_types, relation_plan.new_primary, plan.using).run(
            plan, now, relation_plan.new_primary
        )


def _changes(relation: Relation, main_key: Any, now: Any, new_primary: Any) -> dict[str, Any]:
    """What the move sets: main's key, the stamps, and for contact points who is primary."""
    changes: dict[str, Any] = {relation.field.attname: main_key}
    for model_field in stamp_fields(relation.model):
        changes[model_field.attname] = now
    if relation.is_contact_point:
        changes["is_primary"] = (
            Case(When(pk=new_primary, then=Value(True)), default=Value(False)) if new_primary is not None else False
        )
    return changes


class _Move:
    """A relation's move, ``UPDATE ... SET <key> = main WHERE <key> IN (the duplicates)``,
    compiled once per shape (see :func:`_move_statement`), else the queryset's update."""

    def __init__(self, relation: Relation, duplicates: int, content_types: list[int], using: str, primary: bool):
        self.relation = relation
        self.using = using
        self.sql = ""
        self.params: list[Any] = []
        keys = [Param(f"key{index}", relation.field) for index in range(duplicates)]
        rows = relation.model._base_manager.using(using).filter(In(F(relation.field.attname), keys))
        if relation.content_type_field is not None:  # relation.is_generic
            rows = rows.filter(**{f"{relation.content_type_field.name}__in": content_types})
        pk_field = relation.model._meta.pk
        changes = _changes(
            relation, Param("main", relation.field), None, Param("primary", pk_field) if primary else None
        )
        stamps = stamp_fields(relation.model)
        self.stamps = [model_field.attname for model_field in stamps]
        for model_field in stamps:
            changes[model_field.attname] = Param(f"now_{model_field.attname}", model_field)
        query = cast(UpdateQuery, rows.order_by().query.chain(UpdateQuery))
        query.add_update_values(changes)
        if not query.get_related_updates():  # fields of a parent model (multi-table inheritance): not compiled
            sql, params = query.get_compiler(using).as_sql()
            self.sql, self.params = sql, list(params)

    def run(self, plan: MergePlan, now: datetime, new_primary: Any) -> None:
        relation = self.relation
        if not self.sql:
            rows = rows_of(relation, [relation.key(d) for d in plan.duplicates], plan.content_types, plan.using)
            rows.update(**_changes(relation, relation.key(plan.main), now, new_primary))
            return
        values = {f"key{index}": relation.key(dup) for index, dup in enumerate(plan.duplicates)}
        values.update(main=relation.key(plan.main), primary=new_primary)
        values.update((f"now_{attname}", now) for attname in self.stamps)
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, Param.fill(self.params, values, connection))


_MOVES: dict[tuple[Any, ...], _Move] = {}


def _move_statement(
    relation: Relation, duplicates: int, content_types: list[int], new_primary: Any, using: str
) -> _Move:
    """The move of a relation's rows, compiled once per process for each shape: the
    relation, the number of duplicates, the content types, the database, whether a
    contact point becomes primary. Building and compiling ``QuerySet.update()`` for
    each relation cost Python more than running the statement of a small merge."""
    primary = relation.is_contact_point and new_primary is not None
    shape = (
        using,
        connections[using].vendor,
        relation.model,
        relation.field.attname,
        duplicates,
        tuple(content_types),
        primary,
    )
    move = _MOVES.get(shape)
    if move is None:
        move = _MOVES[shape] = _Move(relation, duplicates, content_types, using, primary)
    return move


def delete_duplicates(plan: MergePlan) -> None:
    """Delete the duplicates, whose rows have all moved, with one statement."""
    delete_rows(type(plan.main), plan.merged_ids, plan.using)


def delete_rows(model: type[models.Model], pks: Iterable[Any], using: str) -> None:
    """``DELETE`` the rows with these pks: no signals, no cascade, no history.

    For rows the merge has accounted for already (in its record and history). One
    statement — on PostgreSQL with the pks as one array parameter (a long ``IN (%s, …)``
    costs psycopg a parse of every placeholder), on SQLite integer pks as one JSON
    array (likewise for Django's placeholder rewriting) —, else one per
    ``max_query_params`` keys where the database limits them.
    """
    connection = connections[using]
    pk_field = model._meta.pk
    values = list(pks)
    integers = is_integer_field(pk_field) and all(type(pk) is int for pk in values)
    if not integers:
        values = [pk_field.get_db_prep_value(pk, connection) for pk in values]
    if not values:
        return
    quote = connection.ops.quote_name
    # A primary key always has a column.
    sql = f"DELETE FROM {quote(model._meta.db_table)} WHERE {quote(cast(str, pk_field.column))} "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql + f"= ANY(%s::{pk_field.rel_db_type(connection)}[])", [values])
            return
        if connection.vendor == "sqlite" and integers:
            cursor.execute(sql + "IN (SELECT value FROM json_each(%s))", [json.dumps(values)])
            return
        size = max_query_params(connection) or len(values)
        for chunk in chunked(values, size):
            cursor.execute(sql + "IN (" + ", ".join(["%s"] * len(chunk)) + ")", chunk)


def save_main(plan: MergePlan) -> None:
    """Save main's merged values. An UPDATE only: it fails rather than re-insert main."""
    main = plan.main
    for attname, value in plan.values.items():
        setattr(main, attname, value)
    if plan.becomes_primary:
        main.is_primary = True
    fields = list(plan.sources)
    if plan.becomes_primary:
        fields.append("is_primary")
    # simple-history's hook: main's history is written with the duplicates' below.
    main.skip_history_when_saving = True  # type: ignore[attr-defined]
    try:
        # TimeStampedModel adds ``modified`` to a non-empty list; main is touched either way.
        # Its post_save also notes that the customer's contacts changed (duplicate_store):
        # the duplicates' rows are deleted and moved in SQL, without signals.
        main.save(update_fields=fields or ["modified"])
    finally:
        del main.skip_history_when_saving  # type: ignore[attr-defined]


def write_contact_history(plan: MergePlan, record: MergeRecord, user: AbstractBaseUser | None, now: datetime) -> None:
    """One history row for main's change and one per deleted duplicate, in one INSERT."""
    ids = ", ".join(str(pk) for pk in plan.merged_ids)
    merged_into = records.change_reason(record, _("merged into contact %(pk)s") % {"pk": plan.main.pk})
    history.write_instance_history(
        type(plan.main),
        [
            (plan.main, "~", records.change_reason(record, _("contacts %(ids)s merged into this one") % {"ids": ids})),
            *((dup, "-", merged_into) for dup in plan.duplicates),
        ],
        user,
        now,
        plan.using,
    )
