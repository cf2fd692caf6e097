"""The merge record: snapshots of everything a merge changes, as JSON."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext as _

from ..models import ContactEmail, ContactPhone, MergeRecord, NotificationCategory, Tag

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .planner import MergePlan

__all__ = ["change_reason", "create_record", "json_value", "json_values", "keeps_other_side", "survivor_values"]


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
    moved = {
        relation_plan.relation.label: {
            "moved": {str(pk): json_values(pks) for pk, pks in relation_plan.moved.items()},
            "dropped": {str(pk): json_values(pks) for pk, pks in relation_plan.dropped.items()},
            # Only for rows with fields the move stamps with its time: their earlier values.
            **({"stamps": {str(pk): row for pk, row in relation_plan.stamps.items()}} if relation_plan.stamps else {}),
        }
        for relation_plan in plan.relations
        if relation_plan
    }
    # The plugin types ``contact`` and ``user`` as the models the settings name (Contact,
    # User); here they are any contact and user model (AbstractContact, AbstractBaseUser).
    return MergeRecord._default_manager.using(plan.using).create(  # type: ignore[misc]
        contact=plan.main,
        merged_ids=[json_value(pk) for pk in plan.merged_ids],
        snapshots=snapshots,
        moved=moved,
        field_sources={name: json_value(pk) for name, pk in plan.sources.items()},
        survivor=survivor_values(plan),
        user=user,
        reason=reason,
    )


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
