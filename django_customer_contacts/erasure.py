"""GDPR erasure: ``anonymize_contact``.

Erasure removes the person, not the row: the contact stays, so invoices, tickets and
other host rows that point at it still hold, but nothing left in the app's tables —
the contact, its emails and phones, their history, merge snapshots, admin log (the
contact's and its customer's) — names the person, holds their addresses or numbers.
A contact deleted earlier is erased from its pk: its row is gone, its traces aren't.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

import phonenumbers
from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models, router, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from . import get_contact_model, get_customer_model
from .duplicate_store import note_customers
from .exceptions import ErasureError, LinkedUserError
from .locking import db_for_write, lock_contacts, lock_customer
from .merging.undo_planner import ERASED
from .models import join_names
from .normalize import find_phone_numbers, parse_phone, parse_pk, phone_spellings

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .models import AbstractContact, MergeRecord

__all__ = [
    "ERASED_NAME",
    "ERASED_TEXT",
    "ERASURE_REASON",
    "ErasurePlan",
    "admin_log_about",
    "anonymize_contact",
    "merges_into",
    "plan_erasure",
    "records_merging_away",
]

_Contact = TypeVar("_Contact", bound="AbstractContact")

#: The contact's name after erasure; ``{pk}`` keeps two erased contacts from looking like duplicates.
ERASED_NAME = "Anonymised #{pk}"
#: What replaces an erased string inside free text (merge reasons, history change reasons).
ERASED_TEXT = "[erased]"
#: The change reason on the history row that erasure writes.
ERASURE_REASON = "GDPR erasure"

# Text fields that describe the record, not the person: kept.
_KEPT_FIELDS = {"managed_by", "preferred_channel", "scope_object_id"}
# Preferences switched off: an erased person is sent nothing.
_SWITCHED_OFF = (
    "email_allowed",
    "sms_allowed",
    "phone_allowed",
    "marketing_consent",
    "automated_followups",
    "receive_all_notifications",
)
_NAME_FIELDS = ("first_name", "middle_name", "last_name")


def _erased_values(model: type[models.Model]) -> dict[str, Any]:
    """The value every personal field of ``model`` gets: blank text, no dates.

    Works on the fields, not a fixed list, so the extra fields of a host's own contact
    model (a loyalty number, a second name) are erased too. Text fields with choices
    that can't be blank (``managed_by``, …) describe the record and are kept.
    """
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.is_relation or field.name in _KEPT_FIELDS:
            continue
        if isinstance(field, models.GeneratedField):
            continue
        if isinstance(field, models.CharField | models.TextField):
            if field.choices and not field.blank:
                continue
            values[field.attname] = None if field.null and not field.blank else ""
        elif isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
            if field.null:
                values[field.attname] = None
        elif isinstance(field, models.JSONField):
            values[field.attname] = field.get_default()
    return values


@overload
def anonymize_contact(
    contact: _Contact, *, user: AbstractBaseUser | None = None, unlink_user: bool = False
) -> _Contact | None: ...


@overload
def anonymize_contact(
    contact: object, *, user: AbstractBaseUser | None = None, unlink_user: bool = False
) -> AbstractContact | None: ...


def anonymize_contact(
    contact: object, *, user: AbstractBaseUser | None = None, unlink_user: bool = False
) -> AbstractContact | None:
    """Erase the person behind ``contact`` (GDPR), keeping the row so relations hold.

    ``contact`` is a contact, or the pk of one — also of a contact deleted earlier,
    whose history still holds the person. In one transaction, locking the customer
    row and then the contact's (the order of :mod:`~django_customer_contacts.locking`):

    * the contact's names, birthday, job title, notes, time zone, language and consent
      source are blanked (also the extra text fields of your own contact model); its
      name becomes ``"Anonymised #<pk>"``; every communication preference and the
      marketing consent are switched off; it leaves its notification categories and,
      unless it is the primary contact, becomes inactive;
    * its emails and phones are deleted;
    * the history rows of the contact, of the contacts merged into it and of every
      email and phone they ever had are scrubbed of those values, and the person's
      names, addresses and numbers are cut from their change reasons;
    * the snapshots of merge records of contacts merged into it are blanked (and its
      own snapshot, where it was merged into a contact since deleted), and the
      person's names, addresses and numbers are cut from the merge reasons;
    * admin log entries of the contact show the new name, and the person's names,
      addresses and numbers are cut from their messages and from those of its
      customer's entries (the customer page's inline names the contacts it changes).

    Numbers are cut however they were typed (``07912345678``, ``+44 7912-345678``).
    The erasure itself is one history row, by ``user``, with the reason
    ``"GDPR erasure"``. Tags and host relations stay. For a deleted contact the same
    happens without the row: nothing to blank, lock or write history for.

    Raises ``ErasureError`` (a ``ContactError``), changing nothing, for a contact
    linked to a user account — erasing a contact doesn't erase the account — unless
    ``unlink_user=True`` (the account is then yours to delete or anonymise); for a
    deleted contact that was merged into one that still exists (erase that one: it
    holds the data now); and for a pk no contact ever had. Returns the contact,
    refreshed, or ``None`` when its row no longer exists.
    """
    model = get_contact_model()
    pk, using = _contact_key(model, contact)
    with transaction.atomic(using=using):
        fresh = _lock_contact(model, pk, using)
        traces = _erasable_traces(model, pk, fresh, using, unlink_user=unlink_user)
        if fresh is not None:
            _erase_row(fresh, user=user, unlink_user=unlink_user, using=using)
            note_customers([fresh.customer_id], using)
        traces.erase(fresh)

    if fresh is None:
        return None
    if isinstance(contact, models.Model):
        contact.refresh_from_db()
        return contact  # type: ignore[return-value]  # the instance given: a contact
    return fresh


@dataclass(frozen=True)
class ErasurePlan:
    """What :func:`anonymize_contact` would erase for one contact, read without changing anything.

    For a confirmation page: the values named here are the person's, shown to the
    staff member who is about to erase them.
    """

    #: The contact's pk; ``contact`` is the contact, or ``None`` for one deleted earlier.
    pk: Any
    contact: AbstractContact | None
    #: ``(field's verbose name, value)`` of every personal field with a value, blanked.
    fields: list[tuple[str, str]]
    #: Verbose names of the communication preferences and consent now on, switched off.
    preferences: list[str]
    emails: list[str]
    #: Phone numbers in E.164.
    phones: list[str]
    #: Names of the notification categories the contact leaves.
    notification_categories: list[str]
    #: Whether the contact becomes inactive (a primary contact stays active).
    deactivated: bool
    #: The user account unlinked (``unlink_user=True``), as its ``str()``; ``""`` for none.
    unlinked_user: str
    #: Contacts merged into this one, directly or through earlier merges: erased with it.
    merged_contact_ids: list[Any]
    contact_history_rows: int
    email_history_rows: int
    phone_history_rows: int
    merge_records: int
    admin_log_entries: int


def plan_erasure(contact: object, *, unlink_user: bool = False) -> ErasurePlan:
    """What erasing ``contact`` (a contact or a pk) would change: nothing is changed or locked.

    Raises ``ErasureError`` exactly when :func:`anonymize_contact` would (one rule
    decides both); ``LinkedUserError`` for a contact with a user account unless
    ``unlink_user``. Erasure checks again under its locks: a plan is a preview.
    """
    model = get_contact_model()
    pk, using = _contact_key(model, contact)
    # The relations are declared on the related models (see models.py): names only mypy can't see.
    rows = model._base_manager.using(using).prefetch_related(*["emails", "phones", "notification_categories"])
    fresh = rows.select_related("user").filter(pk=pk).first()
    traces = _erasable_traces(model, pk, fresh, using, unlink_user=unlink_user)
    fields: list[tuple[str, str]] = []
    preferences: list[str] = []
    if fresh is not None:
        for attname in _erased_values(model):
            field = model._meta.get_field(attname)
            value = getattr(fresh, attname)
            if isinstance(field, models.Field) and field.editable and value not in (None, ""):
                shown = dict(field.flatchoices).get(value, value) if field.choices else value
                fields.append((str(field.verbose_name), str(shown)))
        preferences = [_verbose_name(model, name) for name in _SWITCHED_OFF if getattr(fresh, name)]
    return ErasurePlan(
        pk=pk,
        contact=fresh,
        fields=fields,
        preferences=preferences,
        emails=[point.email for point in fresh.emails.all()] if fresh else [],
        phones=[str(point.number) for point in fresh.phones.all()] if fresh else [],
        notification_categories=[category.name for category in fresh.notification_categories.all()] if fresh else [],
        deactivated=fresh is not None and fresh.is_active and not fresh.is_primary,
        unlinked_user=str(fresh.user) if fresh is not None and fresh.user is not None and unlink_user else "",
        merged_contact_ids=sorted(traces.person_ids - {pk}, key=str),
        contact_history_rows=traces.contact_history.count(),
        email_history_rows=traces.email_history.filter(id__in=traces.email_ids).count(),
        phone_history_rows=traces.phone_history.filter(id__in=traces.phone_ids).count(),
        merge_records=len(traces.records) + len(traces.undone) + len(traces.merged_away),
        admin_log_entries=traces.admin_log_count(),
    )


def _verbose_name(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    return str(field.verbose_name) if isinstance(field, models.Field) else name


def _contact_key(model: type[AbstractContact], contact: object) -> tuple[Any, str]:
    """The pk ``contact`` names and the database to erase it on; ``ErasureError`` if it names none."""
    if isinstance(contact, models.Model):
        if contact.pk is None:
            raise ErasureError(_("This contact isn't saved, so there is nothing to erase."))
        return contact.pk, db_for_write(contact)
    try:
        pk = parse_pk(model, contact)
    except ValueError as exc:
        raise ErasureError(str(exc)) from None
    return pk, router.db_for_write(model)


def _erasable_traces(
    model: type[AbstractContact], pk: Any, fresh: AbstractContact | None, using: str, *, unlink_user: bool
) -> _Traces:
    """The person's traces, or ``ErasureError`` when erasure refuses: every refusal is decided here."""
    if fresh is None:
        _refuse_merged_into_a_living_contact(pk, using)
    elif fresh.user_id is not None and not unlink_user:
        raise LinkedUserError(
            _(
                "%(contact)s has a user account. Erasing the contact doesn't erase the account: "
                "pass unlink_user=True to unlink it, then delete or anonymise the account."
            )
            % {"contact": fresh}
        )
    traces = _Traces(model, pk, fresh, using)
    if fresh is None and not traces.found:
        raise ErasureError(_("There is no contact #%(pk)s, and no history of one: nothing to erase.") % {"pk": pk})
    return traces


def _lock_contact(model: type[AbstractContact], pk: Any, using: str) -> AbstractContact | None:
    """Lock the contact's customer, then the contact, and return it re-read; ``None`` if gone."""
    rows = model._base_manager.using(using)
    customer_id = rows.filter(pk=pk).values_list("customer_id", flat=True).first()
    while customer_id is not None:
        # A customer deleted meanwhile took its contacts with it: the re-read says so.
        with suppress(ObjectDoesNotExist):
            lock_customer(customer_id, using)
        fresh = lock_contacts([pk], using, rows.all()).get(pk)
        if fresh is None or fresh.customer_id == customer_id:
            return fresh
        customer_id = fresh.customer_id  # moved to another customer meanwhile: lock that one
    return None


def _refuse_merged_into_a_living_contact(pk: Any, using: str) -> None:
    for record in records_merging_away(pk, using):
        # An undone merge gave the contact back its data: deleted since, it holds it no more.
        if record.contact_id is not None and record.undone_at is None:
            raise ErasureError(
                _(
                    "Contact #%(pk)s was merged into contact #%(main)s, which holds its data now: "
                    "erase contact #%(main)s instead."
                )
                % {"pk": pk, "main": record.contact_id}
            )


def records_merging_away(pk: Any, using: str) -> list[MergeRecord]:
    """The merge records in which the contact ``pk`` was merged away (snapshots are keyed by pk)."""
    from .models import MergeRecord

    key = str(pk)
    return [
        record
        for record in MergeRecord._default_manager.using(using).filter(snapshots__has_key=key)
        if key in {str(merged) for merged in record.merged_ids or []}
    ]


def merges_into(
    model: type[AbstractContact], contact_id: Any, using: str
) -> tuple[set[Any], list[MergeRecord], list[MergeRecord]]:
    """The contact and every contact merged into it, directly or through earlier merges,
    the merge records that did it, and the records of such merges undone since.

    A record names its surviving contact until that contact is deleted (the link is
    then set to ``NULL``). The merge wrote the survivor's history row and the merged
    contacts' ``"-"`` rows at one instant, though, which still links them: merges into a
    contact deleted since are found too. The contacts of an undone merge are people of
    their own again: not followed.
    """
    from .models import MergeRecord

    records = MergeRecord._default_manager.using(using)
    ids = {contact_id}
    found: dict[Any, MergeRecord] = {}
    frontier = {contact_id}
    while frontier:
        linked = list(records.filter(contact_id__in=frontier))
        instants = model.history.using(using).filter(id__in=frontier).values("history_date")
        merged_then = set(
            model.history.using(using)
            .filter(history_type="-", history_date__in=instants)
            .exclude(id__in=ids)
            .values_list("id", flat=True)
        )
        if merged_then:
            keys = Q()
            for pk in merged_then:
                keys |= Q(snapshots__has_key=str(pk))
            merged_then_keys = {str(pk) for pk in merged_then}
            linked += [
                record
                for record in records.filter(keys, contact_id__isnull=True)
                if merged_then_keys & {str(merged) for merged in record.merged_ids or []}
            ]
        merged: set[Any] = set()
        for record in linked:
            if record.pk not in found:
                found[record.pk] = record
                if record.undone_at is None:
                    merged.update(record.merged_ids or [])
        frontier = merged - ids
        ids |= frontier
    records_found = list(found.values())
    return (
        ids,
        [record for record in records_found if record.undone_at is None],
        [record for record in records_found if record.undone_at is not None],
    )


def admin_log_about(
    ids_by_model: Mapping[type[models.Model], Iterable[Any]], using: str
) -> models.QuerySet[Any] | None:
    """Django admin's log entries about these objects (pks by model); ``None`` without the admin."""
    if not apps.is_installed("django.contrib.admin"):
        return None
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    types = ContentType.objects.db_manager(using).get_for_models(*ids_by_model, for_concrete_models=False)
    condition = Q()
    for model, ids in ids_by_model.items():
        keys = [str(pk) for pk in ids if pk is not None]
        if keys:
            condition |= Q(content_type=types[model], object_id__in=keys)
    return LogEntry.objects.using(using).filter(condition) if condition else LogEntry.objects.using(using).none()


def _erase_row(fresh: AbstractContact, *, user: AbstractBaseUser | None, unlink_user: bool, using: str) -> None:
    """Blank the living contact, delete its emails and phones, write the erasure's history row."""
    from .models import ContactEmail, ContactPhone

    # Deleting writes "-" history rows holding the values: scrubbed with the rest.
    ContactEmail._default_manager.using(using).filter(contact_id=fresh.pk).delete()
    ContactPhone._default_manager.using(using).filter(contact_id=fresh.pk).delete()
    for attname, value in _erased_values(type(fresh)).items():
        setattr(fresh, attname, value)
    fresh.last_name = ERASED_NAME.format(pk=fresh.pk)
    for name in _SWITCHED_OFF:
        setattr(fresh, name, False)
    if not fresh.is_primary:
        fresh.is_active = False
    if unlink_user:
        fresh.user = None
    # simple-history's hooks, read when the row is saved.
    fresh._history_user = user  # type: ignore[attr-defined]
    fresh._change_reason = ERASURE_REASON  # type: ignore[attr-defined]
    fresh.save(using=using)
    fresh.notification_categories.clear()


def _marked_erased(snapshot: Any) -> Any:
    return {**snapshot, ERASED: True} if isinstance(snapshot, dict) else snapshot


class _Scrubber:
    """Cuts the person's strings out of free text: every spelling of a name, address or number.

    Numbers are also found by reading the text the way libphonenumber does, so
    ``07912-345-678`` goes as well as the spellings ``phone_spellings()`` lists.
    """

    def __init__(self, strings: Iterable[str], numbers: Iterable[str], regions: Iterable[str]) -> None:
        ordered = sorted({string for string in strings if string.strip()}, key=len, reverse=True)
        # Runs of spaces inside a name or number match any run of whitespace.
        alternatives = [r"\s+".join(re.escape(word) for word in string.split()) for string in ordered]
        self.pattern = (
            re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE) if alternatives else None
        )
        self.numbers = set(numbers)
        self.regions = sorted(set(regions))

    def text(self, text: str) -> str:
        if self.numbers and any(char.isdigit() for char in text):
            spans = sorted(
                (start, end) for start, end, number in find_phone_numbers(text, self.regions) if number in self.numbers
            )
            merged: list[list[int]] = []
            for start, end in spans:
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            for start, end in reversed(merged):
                text = f"{text[:start]}{ERASED_TEXT}{text[end:]}"
        return self.pattern.sub(ERASED_TEXT, text) if self.pattern else text

    def structure(self, value: Any) -> Any:
        """Every string inside ``value`` (JSON: dicts, lists) scrubbed; the structure kept."""
        if isinstance(value, dict):
            return {key: self.structure(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.structure(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def blanked(self, value: Any) -> Any:
        """Every string in a snapshot blanked; keys kept unless they hold an erased string."""
        if isinstance(value, dict):
            scrubbed = {}
            for index, (key, item) in enumerate(value.items()):
                if isinstance(key, str) and self.text(key) != key:
                    key = f"erased-{index}"
                scrubbed[key] = self.blanked(item)
            return scrubbed
        if isinstance(value, list):
            return [self.blanked(item) for item in value]
        if isinstance(value, str):
            return ""
        return value


class _Traces:
    """Where the person behind contact ``pk`` is recorded, and how to erase it.

    Read when built (before anything changes); :meth:`erase` rewrites them.
    """

    def __init__(self, model: type[AbstractContact], pk: Any, fresh: AbstractContact | None, using: str) -> None:
        from .models import ContactEmail, ContactPhone

        self.model, self.pk, self.using = model, pk, using
        self.person_ids, self.records, self.undone = merges_into(model, pk, using)
        self.contact_history = model.history.using(using).filter(id__in=self.person_ids)
        self.email_history = ContactEmail.history.using(using)
        self.phone_history = ContactPhone.history.using(using)
        emails = ContactEmail._default_manager.using(using).filter(contact_id=pk)
        phones = ContactPhone._default_manager.using(using).filter(contact_id=pk)
        self.email_ids = set(self.email_history.filter(contact_id__in=self.person_ids).values_list("id", flat=True))
        self.email_ids.update(emails.values_list("pk", flat=True))
        self.phone_ids = set(self.phone_history.filter(contact_id__in=self.person_ids).values_list("id", flat=True))
        self.phone_ids.update(phones.values_list("pk", flat=True))
        # Merges into the person: every snapshot is theirs. A merge of the person into a
        # contact deleted since: only their own snapshot.
        into = {record.pk for record in [*self.records, *self.undone]}
        self.merged_away = [record for record in records_merging_away(pk, using) if record.pk not in into]
        self.customer_ids = set(self.contact_history.values_list("customer_id", flat=True))

        # Every name the person went by, whole (as str() shows it) and in parts.
        names: list[tuple[str, ...]] = list(self.contact_history.values_list(*_NAME_FIELDS))
        snapshots = [snapshot for record in self.records for snapshot in (record.snapshots or {}).values()] + [
            (record.snapshots or {}).get(str(pk), {}) for record in self.merged_away
        ]
        # The person's own values before and after merges into them.
        snapshots += [
            (record.survivor or {}).get(when) or {}
            for record in [*self.records, *self.undone]
            for when in ("before", "after")
        ]
        for snapshot in snapshots:
            fields = snapshot.get("fields", snapshot) if isinstance(snapshot, dict) else {}
            if any(name in fields for name in _NAME_FIELDS):
                names.append(tuple(str(fields.get(name) or "") for name in _NAME_FIELDS))
        addresses = set(self.email_history.filter(id__in=self.email_ids).values_list("email", flat=True))
        addresses.update(emails.values_list("email", flat=True))
        numbers = [
            str(number) for number in self.phone_history.filter(id__in=self.phone_ids).values_list("number", flat=True)
        ]
        numbers.extend(str(number) for number in phones.values_list("number", flat=True))
        if fresh is not None:
            self.customer_ids.add(fresh.customer_id)
            names.append(tuple(getattr(fresh, name) for name in _NAME_FIELDS))
        for snapshot in snapshots:
            if isinstance(snapshot, dict):
                addresses.update(str(row.get("email") or "") for row in snapshot.get("emails", []) or [])
                numbers.extend(str(row.get("number") or "") for row in snapshot.get("phones", []) or [])

        # Not the names an earlier erasure gave, and not initials: they name nobody.
        erased_names = {ERASED_NAME.format(pk=pk) for pk in self.person_ids}
        full_names = {join_names(*row) for row in names}
        full_names -= erased_names
        parts = {" ".join(part.split()) for row in names for part in row if part and len(part.strip()) > 1}
        parts -= erased_names
        spellings: set[str] = set()
        e164: set[str] = set()
        regions: set[str] = set()
        for number in numbers:
            spellings.update(phone_spellings(number))
            parsed = parse_phone(number)
            if parsed is not None and parsed.is_valid():
                e164.add(parsed.as_e164)
                regions.add(phonenumbers.region_code_for_number(parsed) or "")
        regions.discard("")
        contact_points = addresses | spellings
        #: For text about the person: their names, also in parts, addresses and numbers.
        self.scrubber = _Scrubber(full_names | parts | contact_points, e164, regions)
        #: For text about their customer, which names its other contacts too: whole names only.
        self.customer_scrubber = _Scrubber(full_names | contact_points, e164, regions)
        self.found = bool(
            self.contact_history.exists()
            or self.email_ids
            or self.phone_ids
            or self.records
            or self.undone
            or self.merged_away
        )

    def erase(self, fresh: AbstractContact | None) -> None:
        from .models import ContactEmail, ContactPhone

        erased = _erased_values(self.model)
        if fresh is None:
            # No row left to take the values from: the ones erasure gives a row.
            fresh = self.model()
            fresh.pk = self.pk
            for attname, value in erased.items():
                setattr(fresh, attname, value)
            fresh.last_name = ERASED_NAME.format(pk=self.pk)
            fresh.set_derived_keys()
        # History keeps the record of changes, not the person: every row of the
        # person's contacts gets the erased values (and the row's flags stay as they were).
        history_values = {
            attname: getattr(fresh, attname)
            for attname in [*erased, "name_key", "marketing_consent_source"]
            if hasattr(fresh, attname)
        }
        history_values["last_name"] = fresh.last_name
        self.contact_history.update(**history_values)
        self.email_history.filter(id__in=self.email_ids).update(email="", email_normalized="")
        self.phone_history.filter(id__in=self.phone_ids).update(number="")
        for history in (
            self.contact_history,
            self.email_history.filter(id__in=self.email_ids),
            self.phone_history.filter(id__in=self.phone_ids),
        ):
            self._scrub_change_reasons(history)

        # Blanked snapshots (and the survivor's values) are marked: a merge can't be undone
        # from them (see merging.undo).
        for record in self.records:
            record.snapshots = {
                key: _marked_erased(self.scrubber.blanked(snapshot))
                for key, snapshot in (record.snapshots or {}).items()
            }
            record.survivor = self._blanked_survivor(record)
            record.reason = self.scrubber.text(record.reason)
            record.save(update_fields=["snapshots", "survivor", "reason"])
        for record in self.undone:
            # An undone merge into the person: the other contacts' snapshots are theirs.
            record.snapshots = self.scrubber.structure(record.snapshots)
            record.survivor = self._blanked_survivor(record)
            record.reason = self.scrubber.text(record.reason)
            record.undo_reason = self.scrubber.text(record.undo_reason)
            record.undo_notes = self.scrubber.structure(record.undo_notes)
            record.save(update_fields=["snapshots", "survivor", "reason", "undo_reason", "undo_notes"])
        for record in self.merged_away:
            key = str(self.pk)
            snapshots = dict(record.snapshots or {})
            own = _marked_erased(self.scrubber.blanked(snapshots.pop(key, {})))
            record.snapshots = {**self.scrubber.structure(snapshots), key: own}
            record.reason = self.scrubber.text(record.reason)
            record.undo_reason = self.scrubber.text(record.undo_reason)
            record.undo_notes = self.scrubber.structure(record.undo_notes)
            record.save(update_fields=["snapshots", "reason", "undo_reason", "undo_notes"])

        name = str(fresh)
        self._scrub_admin_log(self.model, self.person_ids, self.scrubber, name=name)
        self._scrub_admin_log(ContactEmail, self.email_ids, self.scrubber, name="")
        self._scrub_admin_log(ContactPhone, self.phone_ids, self.scrubber, name="")
        self._scrub_admin_log(get_customer_model(), self.customer_ids, self.customer_scrubber)

    def _blanked_survivor(self, record: MergeRecord) -> dict[str, Any]:
        """The person's values before and after a merge into them, blanked; their pk kept."""
        survivor = dict(record.survivor or {})
        pk = survivor.pop("pk", None)
        return {**_marked_erased(self.scrubber.blanked(survivor)), "pk": pk}

    def _scrub_change_reasons(self, history: models.QuerySet[Any]) -> None:
        rows = history.exclude(history_change_reason__isnull=True).exclude(history_change_reason="")
        for history_id, reason in rows.values_list("history_id", "history_change_reason"):
            scrubbed = self.scrubber.text(reason)
            if scrubbed != reason:
                history.filter(history_id=history_id).update(history_change_reason=scrubbed)

    def admin_log_count(self) -> int:
        from .models import ContactEmail, ContactPhone

        entries = admin_log_about(
            {self.model: self.person_ids, ContactEmail: self.email_ids, ContactPhone: self.phone_ids}, self.using
        )
        return entries.count() if entries is not None else 0

    def _scrub_admin_log(
        self, model: type[models.Model], ids: Iterable[Any], scrubber: _Scrubber, *, name: str | None = None
    ) -> None:
        """Cut the person from the log entries of these objects; rename them to ``name`` if given.

        Entries keep the object's name and, for inlines, the names of the objects changed
        with it: the contact's own entries name its emails and phones, its customer's
        entries name the contacts the customer page changed.
        """
        ids = [str(pk) for pk in ids if pk is not None]
        if not apps.is_installed("django.contrib.admin") or not ids:
            return
        from django.contrib.admin.models import LogEntry
        from django.contrib.contenttypes.models import ContentType

        using = self.using
        content_type = ContentType.objects.db_manager(using).get_for_model(model, for_concrete_model=False)
        entries = LogEntry.objects.using(using).filter(content_type=content_type, object_id__in=ids)
        if name is not None:
            entries.update(object_repr=name)
        for pk, change_message in entries.exclude(change_message="").values_list("pk", "change_message"):
            try:
                message = json.dumps(scrubber.structure(json.loads(change_message)))
            except ValueError:  # a plain-text message from an older Django or your own code
                message = scrubber.text(change_message)
            if message != change_message:
                LogEntry.objects.using(using).filter(pk=pk).update(change_message=message)
