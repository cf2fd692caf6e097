"""The merge record: snapshots of everything a merge changes, as JSON."""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import gettext as _

from ..models import ContactEmail, ContactPhone, MergeRecord, NotificationCategory, Tag

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .planner import MergePlan

__all__ = [
    "JSONText",
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
    # The plugin types ``contact`` and ``user`` as the models the settings name (Contact,
    # User); here they are any contact and user model (AbstractContact, AbstractBaseUser).
    record: MergeRecord = MergeRecord._default_manager.using(plan.using).create(  # type: ignore[misc]
        contact=plan.main,
        merged_ids=[json_value(pk) for pk in plan.merged_ids],
        snapshots=snapshots,
        moved=JSONText(moved_json(plan)),
        field_sources={name: json_value(pk) for name, pk in plan.sources.items()},
        survivor=survivor_values(plan),
        user=user,
        reason=reason,
    )
    # Read from the database when first used, as a deferred field is: the merge itself
    # doesn't read it back (see moved_json).
    del record.moved
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


class JSONText(models.Expression):
    """A JSON document written as it is given, already encoded (a ``JSONField``'s value)."""

    output_field = models.JSONField()

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, tuple[str]]:
        return "%s", (self.text,)

    def as_postgresql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, tuple[str]]:
        return "%s::jsonb", (self.text,)


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
