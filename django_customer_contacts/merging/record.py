"""The merge record: snapshots of everything a merge changes, as JSON."""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, Any, cast

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery
from django.utils.translation import gettext as _

from ..locking import Param
from ..models import ContactEmail, ContactPhone, MergeRecord, NotificationCategory, Tag

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .planner import MergePlan

__all__ = [
    "change_reason",
    "create_record",
    "json_value",
    "json_values",
    "keeps_other_side",
    "moved_json",
    "survivor_values",
]


def json_values(values: list[Any]) -> list[Any]:
    # Row keys are all of one type: integers, the common case, as they are.
    return values if not values or isinstance(values[0], int) else [json_value(v) for v in values]


def json_value(value: Any) -> Any:
    """``value`` as JSON can hold it: numbers, text, booleans and ``None`` as they are.

    Times keep their microseconds (``DjangoJSONEncoder`` cuts them to milliseconds): an
    undo puts back exactly what was.
    """
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, datetime.datetime | datetime.time):
        text = value.isoformat()
        return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
    try:
        return DjangoJSONEncoder().default(value)
    except TypeError:
        return str(value)  # a phone number: E.164


def keeps_other_side(model: type[models.Model]) -> bool:
    """Whether the snapshots keep the other side of these many-to-many links (by
    duplicate): the tags and notification categories. Of other links the record keeps
    only the row pks."""
    return model in (NotificationCategory.contacts.through, Tag.contacts.through)


def create_record(plan: MergePlan, user: AbstractBaseUser | None, reason: str) -> MergeRecord:
    by_model = {relation_plan.relation.model: relation_plan for relation_plan in plan.relations}
    categories = by_model.get(NotificationCategory.contacts.through)
    tags = by_model.get(Tag.contacts.through)
    snapshots: dict[str, dict[str, Any]] = {}
    for dup in plan.duplicates:
        dropped = {
            relation_plan.relation.label: relation_plan.rows[dup.pk]
            for relation_plan in plan.relations
            if not relation_plan.relation.is_contact_point and dup.pk in relation_plan.rows
        }
        snapshots[str(dup.pk)] = {
            "fields": {
                f.attname: json_value(getattr(dup, f.attname)) for f in dup._meta.concrete_fields if not f.generated
            },
            "emails": by_model[ContactEmail].rows.get(dup.pk, []) if ContactEmail in by_model else [],
            "phones": by_model[ContactPhone].rows.get(dup.pk, []) if ContactPhone in by_model else [],
            "notification_categories": categories.others.get(dup.pk, []) if categories else [],
            "tags": tags.others.get(dup.pk, []) if tags else [],
            "user": json_value(dup.user_id),
            "dropped": dropped,
        }
    record = MergeRecord(
        # The plugin types ``contact`` as the model the settings name (Contact); here
        # it is any contact model (AbstractContact).
        contact=plan.main,  # type: ignore[misc]
        merged_ids=[json_value(pk) for pk in plan.merged_ids],
        snapshots=snapshots,
        field_sources={name: json_value(pk) for name, pk in plan.sources.items()},
        survivor=survivor_values(plan),
        user=user,
        reason=reason,
    )
    _RecordInsert.compiled(plan.using).save(record, moved_json(plan))
    return record


def moved_json(plan: MergePlan) -> str:
    """The record's ``moved`` as JSON text: by relation, ``moved`` and ``dropped`` (row
    pks by duplicate pk) and, for rows with fields the move stamps with its time, their
    earlier values (``stamps``).

    Written as text so that the pks the database listed go in as it listed them
    (``RelationPlan.listed``): at 10,000 rows, reading them into Python and encoding them
    again took about as long as the SQLite statement that listed them.
    """
    relations = []
    for relation_plan in plan.relations:
        if not relation_plan:
            continue
        moved = ", ".join(f"{json.dumps(str(pk))}: {text}" for pk, text in relation_plan.moved_json().items())
        dropped = json.dumps({str(pk): json_values(pks) for pk, pks in relation_plan.dropped.items()})
        stamps = relation_plan.stamps
        stamped = f', "stamps": {json.dumps({str(pk): row for pk, row in stamps.items()})}' if stamps else ""
        relations.append(
            f'{json.dumps(relation_plan.relation.label)}: {{"moved": {{{moved}}}, "dropped": {dropped}{stamped}}}'
        )
    return "{" + ", ".join(relations) + "}"


class _MovedText(Param):
    """``moved`` in the record's INSERT: JSON text, written as it is given."""

    def as_postgresql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        return "%s::jsonb", (self,)


class _RecordInsert:
    """The record's ``INSERT``, compiled once per database, run as ``save()`` runs one.

    ``save()`` built and compiled the statement for every merge: more Python than the
    database took to write a record of 10,000 keys. This sends ``pre_save``, writes the
    row with its fields' values as ``save()`` prepares them (and ``moved`` as the JSON
    text given, see ``moved_json``), reads the new pk and sends ``post_save``.
    """

    def __init__(self, using: str) -> None:
        self.using = using
        connection = connections[using]
        meta = MergeRecord._meta
        self.fields = [f for f in meta.concrete_fields if f is not meta.pk]
        self.returns = connection.features.can_return_columns_from_insert
        placeholders = MergeRecord()
        for model_field in self.fields:
            param = Param(model_field.attname, model_field)
            if model_field.attname == "moved":
                param = _MovedText("moved", models.TextField())
            setattr(placeholders, model_field.attname, param)
        query = InsertQuery(MergeRecord)
        # raw: the placeholders as they are, not the fields' pre_save() (``created``'s time).
        query.insert_values(self.fields, [placeholders], raw=True)
        compiler = query.get_compiler(using)
        compiler.returning_fields = [meta.pk] if self.returns else None
        ((self.sql, params),) = compiler.as_sql()
        self.params: list[Any] = list(params)

    @classmethod
    def compiled(cls, using: str) -> _RecordInsert:
        key = (using, connections[using].vendor)
        insert = _INSERTS.get(key)
        if insert is None:
            insert = _INSERTS[key] = cls(using)
        return insert

    def save(self, record: MergeRecord, moved: str) -> None:
        """Write ``record``, a new instance, with ``moved`` (JSON text) as its ``moved``."""
        using, meta = self.using, MergeRecord._meta
        connection = connections[using]
        pre_save.send(sender=MergeRecord, instance=record, raw=False, using=using, update_fields=None)
        values = {model_field.attname: model_field.pre_save(record, True) for model_field in self.fields}
        values["moved"] = moved
        with connection.cursor() as cursor:
            cursor.execute(self.sql, Param.fill(self.params, values, connection, for_save=True))
            if self.returns:  # RETURNING the pk: PostgreSQL, SQLite, MariaDB
                (pk,) = cursor.fetchone()
            else:
                # A primary key always has a column.
                pk = connection.ops.last_insert_id(cursor, meta.db_table, cast(str, meta.pk.column))
        record.pk = pk
        record._state.adding = False
        record._state.db = using
        # Read from the database when first used, as a deferred field is: the merge
        # itself doesn't read it back (see moved_json).
        del record.moved
        post_save.send(sender=MergeRecord, instance=record, created=True, update_fields=None, raw=False, using=using)


_INSERTS: dict[tuple[str, str], _RecordInsert] = {}


def survivor_values(plan: MergePlan) -> dict[str, Any]:
    """Main's pk, and its values before and after the merge of the fields the merge changes."""
    main = plan.main
    before = {attname: json_value(getattr(main, attname)) for attname in plan.values}
    after = {attname: json_value(value) for attname, value in plan.values.items()}
    before["is_primary"] = main.is_primary
    after["is_primary"] = main.is_primary or plan.becomes_primary
    before["modified"] = json_value(main.modified)
    return {"pk": json_value(main.pk), "before": before, "after": after}


def change_reason(record: MergeRecord, text: str) -> str:
    return _("Merge #%(record)s: %(what)s") % {"record": record.pk, "what": text}
