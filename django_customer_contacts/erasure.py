"""GDPR erasure: ``anonymize_contact``.

Erasure removes the person, not the row: the contact stays, so invoices, tickets and
other host rows that point at it still hold, but nothing left in the app's tables —
the contact, its emails and phones, their history, merge snapshots, admin log —
names the person, holds their addresses or numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.apps import apps
from django.db import models, transaction
from django.utils.translation import gettext as _

from . import get_contact_model
from .exceptions import ErasureError
from .locking import db_for_write, lock_contacts
from .normalize import phone_spellings

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .models import AbstractContact

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


def _person_ids(contact_id: Any, using: str) -> set[Any]:
    """The contact and every contact merged into it, directly or through earlier merges."""
    from .models import MergeRecord

    ids = {contact_id}
    frontier = {contact_id}
    while frontier:
        merged: set[Any] = set()
        for merged_ids in (
            MergeRecord._default_manager.using(using)
            .filter(contact_id__in=frontier)
            .values_list("merged_ids", flat=True)
        ):
            merged.update(merged_ids or [])
        frontier = merged - ids
        ids |= frontier
    return ids


def _scrub_text(text: str, strings: Iterable[str]) -> str:
    for value in sorted(strings, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", ERASED_TEXT, text, flags=re.IGNORECASE)
    return text


def _scrub_snapshot(value: Any, strings: set[str]) -> Any:
    """Every string in a snapshot blanked; keys kept unless they hold an erased string."""
    if isinstance(value, dict):
        scrubbed = {}
        for index, (key, item) in enumerate(value.items()):
            if isinstance(key, str) and _scrub_text(key, strings) != key:
                key = f"erased-{index}"
            scrubbed[key] = _scrub_snapshot(item, strings)
        return scrubbed
    if isinstance(value, list):
        return [_scrub_snapshot(item, strings) for item in value]
    if isinstance(value, str):
        return ""
    return value


def anonymize_contact(
    contact: _Contact, *, user: AbstractBaseUser | None = None, unlink_user: bool = False
) -> _Contact:
    """Erase the person behind ``contact`` (GDPR), keeping the row so relations hold.

    In one transaction, locking the contact's row:

    * the contact's names, birthday, job title, notes, time zone, language and consent
      source are blanked (also the extra text fields of your own contact model); its
      name becomes ``"Anonymised #<pk>"``; every communication preference and the
      marketing consent are switched off; it leaves its notification categories and,
      unless it is the primary contact, becomes inactive;
    * its emails and phones are deleted;
    * the history rows of the contact, of the contacts merged into it and of every
      email and phone they ever had are scrubbed of those values;
    * the snapshots of merge records of contacts merged into it are blanked, and
      the person's names, addresses and numbers are cut from the merge reasons;
    * admin log entries show the new name.

    The erasure itself is one history row, by ``user``, with the reason
    ``"GDPR erasure"``. Tags and host relations stay.

    A contact linked to a user account raises ``ErasureError`` (a ``ContactError``) — erasing a contact
    doesn't erase the account — unless ``unlink_user=True``; the account itself is
    then yours to delete or anonymise. Returns the contact, refreshed.
    """
    from .models import ContactEmail, ContactPhone, MergeRecord

    if contact.pk is None:
        raise ErasureError(_("This contact isn't saved, so there is nothing to erase."))
    model = get_contact_model()
    using = db_for_write(contact)
    with transaction.atomic(using=using):
        fresh = lock_contacts([contact.pk], using, model._default_manager.all()).get(contact.pk)
        if fresh is None:
            raise ErasureError(_("This contact no longer exists."))
        if fresh.user_id is not None and not unlink_user:
            raise ErasureError(
                _(
                    "%(contact)s has a user account. Erasing the contact doesn't erase the account: "
                    "pass unlink_user=True to unlink it, then delete or anonymise the account."
                )
                % {"contact": fresh}
            )

        person_ids = _person_ids(fresh.pk, using)
        contact_history = model.history.using(using).filter(id__in=person_ids)
        email_history = ContactEmail.history.using(using)
        phone_history = ContactPhone.history.using(using)
        email_ids = set(email_history.filter(contact_id__in=person_ids).values_list("id", flat=True))
        email_ids.update(
            ContactEmail._default_manager.using(using).filter(contact_id=fresh.pk).values_list("pk", flat=True)
        )
        phone_ids = set(phone_history.filter(contact_id__in=person_ids).values_list("id", flat=True))
        phone_ids.update(
            ContactPhone._default_manager.using(using).filter(contact_id=fresh.pk).values_list("pk", flat=True)
        )

        # What to cut from free text: every name, address and number the person had.
        strings: set[str] = set()
        for row in contact_history.values_list("first_name", "middle_name", "last_name"):
            strings.update(part for part in row if part)
            full = " ".join(part for part in row if part)
            if full:
                strings.add(full)
        strings.update(email_history.filter(id__in=email_ids).values_list("email", flat=True))
        for number in phone_history.filter(id__in=phone_ids).values_list("number", flat=True):
            strings.update(phone_spellings(number))
        strings.discard("")

        # Deleting writes "-" history rows holding the values: scrubbed below.
        ContactEmail._default_manager.using(using).filter(contact_id=fresh.pk).delete()
        ContactPhone._default_manager.using(using).filter(contact_id=fresh.pk).delete()

        erased = _erased_values(model)
        for attname, value in erased.items():
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

        # History keeps the record of changes, not the person: every row of the
        # person's contacts gets the erased values (and the row's flags stay as they were).
        history_values = {
            attname: getattr(fresh, attname)
            for attname in [*erased, "name_key", "marketing_consent_source"]
            if hasattr(fresh, attname)
        }
        history_values["last_name"] = fresh.last_name
        contact_history.update(**history_values)
        for row in contact_history.exclude(history_change_reason__isnull=True).exclude(history_change_reason=""):
            scrubbed = _scrub_text(row.history_change_reason, strings)
            if scrubbed != row.history_change_reason:
                contact_history.filter(history_id=row.history_id).update(history_change_reason=scrubbed)
        email_history.filter(id__in=email_ids).update(email="", email_normalized="")
        phone_history.filter(id__in=phone_ids).update(number="")

        for record in MergeRecord._default_manager.using(using).filter(contact_id__in=person_ids):
            record.snapshots = _scrub_snapshot(record.snapshots, strings)
            record.reason = _scrub_text(record.reason, strings)
            record.save(update_fields=["snapshots", "reason"])

        _scrub_admin_log(model, person_ids, str(fresh), strings, using)
        _scrub_admin_log(ContactEmail, email_ids, "", strings, using)
        _scrub_admin_log(ContactPhone, phone_ids, "", strings, using)

    contact.refresh_from_db()
    return contact


def _scrub_admin_log(model: type[models.Model], ids: Iterable[Any], name: str, strings: set[str], using: str) -> None:
    """Admin log entries keep the object's name and, for inlines, the names of the
    emails and phones changed with it: rename the one, cut the others."""
    if not apps.is_installed("django.contrib.admin") or not ids:
        return
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.db_manager(using).get_for_model(model, for_concrete_model=False)
    entries = LogEntry.objects.using(using).filter(content_type=content_type, object_id__in=[str(pk) for pk in ids])
    entries.update(object_repr=name)
    for entry in entries.exclude(change_message="").only("pk", "change_message"):
        try:
            message = json.dumps(_scrub_strings(json.loads(entry.change_message), strings))
        except ValueError:  # a plain-text message from an older Django or your own code
            message = _scrub_text(entry.change_message, strings)
        if message != entry.change_message:
            LogEntry.objects.using(using).filter(pk=entry.pk).update(change_message=message)


def _scrub_strings(value: Any, strings: set[str]) -> Any:
    """Every string inside ``value`` with the erased strings cut out; the structure kept."""
    if isinstance(value, dict):
        return {key: _scrub_strings(item, strings) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_strings(item, strings) for item in value]
    if isinstance(value, str):
        return _scrub_text(value, strings)
    return value
