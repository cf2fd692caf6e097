"""The subject-access export (GDPR articles 15 and 20): everything the app holds about one person.

"The person" is the one erasure reaches (:func:`~django_customer_contacts.erasure.merges_into`):
the contact and every contact merged into it, directly or through earlier merges that
weren't undone. The export is a JSON document whose shape is fixed by
:data:`FORMAT_VERSION` and described in the docs (:doc:`gdpr`); it holds nothing of
other contacts — not the values of contacts a merge into the person gave back when it
was undone, nor those of the contact the person was merged into.

It reads a fixed number of queries, whatever the number of emails, phones and history
rows (one more pair per level of merges into merges).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, router
from django.utils import timezone
from django.utils.translation import gettext as _

from . import get_contact_model
from .erasure import admin_log_about, merges_into, records_merging_away
from .exceptions import ContactError
from .merging.record import json_value
from .normalize import parse_pk

if TYPE_CHECKING:
    from .models import MergeRecord

__all__ = ["FORMAT", "FORMAT_VERSION", "SubjectAccessData", "subject_access_data", "subject_access_json"]

#: What the document is, in its ``format`` key.
FORMAT = "django-customer-contacts/subject-access"
#: Raised when a key is removed or changes meaning; new keys may appear in any version.
FORMAT_VERSION = 1

# Kept up to date by the app from other fields, never typed by anyone: not exported
# (nor the blocking keys of duplicate detection, models.MATCH_KEY_FIELDS: see _internal_fields()).
_DERIVED_FIELDS = {"name_key", "email_normalized", "primary_marker"}
# Who changed a row is the staff member's data, not the person's.
_STAFF_FIELDS = {"history_user", "history_user_id"}
_CONSENT_FIELDS = ("marketing_consent", "marketing_consent_at", "marketing_consent_source")
_LOG_ACTIONS = {1: "added", 2: "changed", 3: "deleted"}


class SubjectAccessData(TypedDict):
    """The export's top-level keys (format version 1); values are JSON (text, numbers, lists, dicts)."""

    format: str
    format_version: int
    exported_at: str
    contact_id: Any
    contact: dict[str, Any] | None
    customer: dict[str, Any] | None
    user_account: dict[str, Any] | None
    emails: list[dict[str, Any]]
    phones: list[dict[str, Any]]
    consent: dict[str, Any]
    notification_categories: list[dict[str, Any]]
    tags: list[str]
    merged_contact_ids: list[Any]
    merge_records: list[dict[str, Any]]
    history: dict[str, list[dict[str, Any]]]
    admin_log: list[dict[str, Any]]


def _internal_fields() -> set[str]:
    from .models import MATCH_KEY_FIELDS

    return _DERIVED_FIELDS | set(MATCH_KEY_FIELDS)


def _row(instance: models.Model) -> dict[str, Any]:
    """Every field the person could have typed or been given, by attname, as JSON."""
    internal = _internal_fields()
    return {
        field.attname: json_value(field.value_from_object(instance))
        for field in instance._meta.concrete_fields
        if field.name not in internal and not field.generated
    }


def _history_rows(history: models.QuerySet[Any]) -> list[dict[str, Any]]:
    left_out = _internal_fields() | _STAFF_FIELDS
    return [
        {name: json_value(value) for name, value in row.items() if name not in left_out}
        for row in history.order_by("history_date", "history_id").values()
    ]


def subject_access_data(contact: object) -> SubjectAccessData:
    """Everything the app holds about the person behind ``contact``, as JSON-ready data.

    ``contact`` is a contact or its pk — also the pk of a contact deleted earlier, whose
    history (and merge records) still hold the person. Raises ``ContactError`` for a key
    no contact ever had. Reads only; locks nothing.
    """
    from .models import ContactEmail, ContactPhone

    model = get_contact_model()
    if isinstance(contact, models.Model):
        if contact.pk is None:
            raise ContactError(_("This contact isn't saved, so the app holds nothing about it."))
        pk = contact.pk
    else:
        try:
            pk = parse_pk(model, contact)
        except ValueError as exc:
            raise ContactError(str(exc)) from None
    using = router.db_for_read(model)
    fresh = (
        model._base_manager.using(using)
        .select_related("customer", "user")
        # The relations are declared on the related models (see models.py): names only mypy can't see.
        .prefetch_related(*["emails", "phones", "notification_categories", "tags"])
        .filter(pk=pk)
        .first()
    )
    person_ids, merges, undone = merges_into(model, pk, using)
    contact_history = _history_rows(model.history.using(using).filter(id__in=person_ids))
    if fresh is None and not contact_history:
        raise ContactError(_("There is no contact #%(pk)s, and no history of one.") % {"pk": pk})
    email_history = _history_rows(
        ContactEmail.history.using(using)
        .filter(contact_id__in=person_ids)
        .exclude(id__in=_given_back(undone, ContactEmail))
    )
    phone_history = _history_rows(
        ContactPhone.history.using(using)
        .filter(contact_id__in=person_ids)
        .exclude(id__in=_given_back(undone, ContactPhone))
    )
    into = {record.pk for record in [*merges, *undone]}
    merged_away = [record for record in records_merging_away(pk, using) if record.pk not in into]

    consent: dict[str, Any] = {name: json_value(getattr(fresh, name, None)) for name in _CONSENT_FIELDS}
    consent["evidence"] = _consent_evidence(contact_history)
    user = fresh.user if fresh is not None else None
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": json_value(timezone.now()),
        "contact_id": json_value(pk),
        "contact": _row(fresh) if fresh is not None else None,
        "customer": {"id": json_value(fresh.customer_id), "name": str(fresh.customer)} if fresh is not None else None,
        "user_account": {"id": json_value(user.pk), "username": user.get_username()} if user is not None else None,
        "emails": [_row(point) for point in fresh.emails.all()] if fresh is not None else [],
        "phones": [_row(point) for point in fresh.phones.all()] if fresh is not None else [],
        "consent": consent,
        "notification_categories": (
            [{"code": c.code, "name": c.name} for c in fresh.notification_categories.all()] if fresh else []
        ),
        "tags": [tag.name for tag in fresh.tags.all()] if fresh is not None else [],
        "merged_contact_ids": sorted((json_value(merged) for merged in person_ids - {pk}), key=str),
        "merge_records": [
            *(_merge_into(record) for record in [*merges, *undone]),
            *(_merge_away(record, pk) for record in merged_away),
        ],
        "history": {"contact": contact_history, "emails": email_history, "phones": phone_history},
        "admin_log": _admin_log(
            using,
            {
                model: person_ids,
                ContactEmail: {row["id"] for row in email_history},
                ContactPhone: {row["id"] for row in phone_history},
            },
        ),
    }


def subject_access_json(contact: object, *, indent: int | None = 2) -> str:
    """:func:`subject_access_data` as a JSON document (UTF-8 text, keys in a fixed order)."""
    return json.dumps(subject_access_data(contact), cls=DjangoJSONEncoder, ensure_ascii=False, indent=indent)


def _given_back(undone: list[MergeRecord], model: type[models.Model]) -> list[Any]:
    """The rows of ``model`` (emails, phones) merges into the person moved to them and their
    undo moved back: the contacts they came from own them, also while they were the person's."""
    label = f"{model._meta.label_lower}.contact"
    return [
        pk
        for record in undone
        for pks in ((record.moved or {}).get(label) or {}).get("moved", {}).values()
        for pk in pks
    ]


def _consent_evidence(contact_history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history rows where a contact's marketing consent, its time or its source changed."""
    evidence: list[dict[str, Any]] = []
    last: dict[Any, tuple[Any, ...]] = {}
    for row in contact_history:
        values = tuple(row.get(name) for name in _CONSENT_FIELDS)
        if last.get(row["id"], (False, None, "")) != values:
            evidence.append(
                {
                    "contact_id": row["id"],
                    "recorded_at": row["history_date"],
                    **dict(zip(_CONSENT_FIELDS, values, strict=True)),
                    "change_reason": row.get("history_change_reason") or "",
                }
            )
        last[row["id"]] = values
    return evidence


def _merge_into(record: MergeRecord) -> dict[str, Any]:
    """A merge into the person: all of it is theirs — unless undone, when the merged
    contacts became people of their own again and only the survivor's values are theirs."""
    undone = record.undone_at is not None
    return {
        "id": record.pk,
        "role": "survivor",
        "created": json_value(record.created),
        "undone_at": json_value(record.undone_at),
        "merged_ids": record.merged_ids,
        "survivor": record.survivor,
        "field_sources": record.field_sources,
        # Snapshots and reasons of an undone merge describe the contacts it gave back.
        "snapshots": {} if undone else record.snapshots,
        "reason": "" if undone else record.reason,
    }


def _merge_away(record: MergeRecord, pk: Any) -> dict[str, Any]:
    """A merge of the person into another contact: only the person's own snapshot."""
    key = str(pk)
    return {
        "id": record.pk,
        "role": "merged",
        "created": json_value(record.created),
        "undone_at": json_value(record.undone_at),
        "merged_ids": [merged for merged in record.merged_ids or [] if str(merged) == key],
        "survivor": {},
        "field_sources": {},
        "snapshots": {key: (record.snapshots or {}).get(key, {})},
        "reason": "",
    }


def _admin_log(using: str, ids_by_model: dict[type[models.Model], set[Any]]) -> list[dict[str, Any]]:
    """Django admin's log entries about the person's contacts, emails and phones (not who wrote them)."""
    entries = admin_log_about(ids_by_model, using)
    if entries is None:
        return []
    return [
        {
            "action_time": json_value(entry.action_time),
            "action": _LOG_ACTIONS.get(entry.action_flag, str(entry.action_flag)),
            "object_type": f"{entry.content_type.app_label}.{entry.content_type.model}" if entry.content_type else "",
            "object_id": entry.object_id,
            "object": entry.object_repr,
            "change_message": entry.get_change_message(),
        }
        for entry in entries.select_related("content_type").order_by("action_time", "pk")
    ]
