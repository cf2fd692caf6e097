"""The contact's history page as a person reads it.

django-simple-history's page lists a contact's versions with what changed. Here the
changes read as the contact page shows values — "Title: Mr → Dr", "Language: English",
"Yes"/"No" — without the app's bookkeeping fields, a row written without a user says
"system", and the history of the contact's email addresses and phone numbers is listed
below the contact's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.utils.text import capfirst
from simple_history.template_utils import HistoricalRecordContextHelper

from ..forms import display_field_value
from ..history import history_model_for
from ..models import ContactEmail, ContactPhone

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = ["ContactHistoryHelper", "PointChange", "point_history"]

#: Fields of a contact point whose changes history shows (the rest is bookkeeping).
POINT_FIELDS = {ContactEmail: ["email", "kind", "is_primary"], ContactPhone: ["number", "kind", "is_primary"]}


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    return cast("models.Field[Any, Any]", model._meta.get_field(name))


def _change(model_field: models.Field[Any, Any], old: Any, new: Any) -> dict[str, str]:
    return {
        "field": str(capfirst(model_field.verbose_name)),
        "old": display_field_value(model_field, old),
        "new": display_field_value(model_field, new),
    }


class ContactHistoryHelper(HistoricalRecordContextHelper):  # type: ignore[misc]  # simple-history is untyped
    """A version's changes in words: choice labels, language names, "Yes"/"No"; fields
    nobody edits (``modified``, the duplicate-detection key) left out."""

    def context_for_delta_changes(self, delta: Any) -> list[dict[str, str]]:
        changes = []
        for change in delta.changes:
            model_field = _field(self.model, change.field)
            if model_field.editable:
                changes.append(_change(model_field, change.old, change.new))
        return changes


@dataclass
class PointChange:
    """One history row of an email address or phone number, for the contact's history page."""

    when: datetime
    what: StrOrPromise
    action: str
    value: str
    user: Any
    reason: str
    changes: list[dict[str, str]] = field(default_factory=list)


def point_history(contact_pk: Any) -> list[PointChange]:
    """Every history row of the contact's email addresses and phone numbers, newest
    first, each with what changed since the row before it. Two queries."""
    rows: list[tuple[datetime, int, PointChange]] = []
    for model, names in POINT_FIELDS.items():
        history = history_model_for(model)
        if history is None:
            continue
        value_field = _field(model, names[0])
        # History rows: simple-history's attributes, unknown to the type checker.
        records: models.QuerySet[Any] = history._default_manager.filter(contact_id=contact_pk).select_related(
            "history_user"
        )
        previous: dict[Any, Any] = {}
        for record in records.order_by("history_date", "history_id"):
            before = previous.get(record.id)
            previous[record.id] = record
            changes = []
            if before is not None and record.history_type == "~":
                for name in names:
                    old, new = getattr(before, name), getattr(record, name)
                    if old != new:
                        changes.append(_change(_field(model, name), old, new))
            entry = PointChange(
                when=record.history_date,
                what=capfirst(str(model._meta.verbose_name)),
                action=str(record.get_history_type_display()),
                value=display_field_value(value_field, getattr(record, names[0])),
                user=record.history_user,
                reason=record.history_change_reason or "",
                changes=changes,
            )
            rows.append((record.history_date, record.history_id, entry))
    rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
    return [entry for _when, _id, entry in rows]
