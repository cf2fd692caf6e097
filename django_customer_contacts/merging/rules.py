"""Field rules: which value of each field the merged contact keeps.

``field_sources`` first, then the rules :func:`~.executor.merge_contacts` documents.
Pure Python on the locked rows: no queries. The facts the rules need beyond the
rows' own fields (whether a contact's channel preference applies) are annotations the
planner adds to the query that locks the rows (:func:`channel_facts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Exists, ExpressionWrapper, OuterRef, Q
from django.utils.translation import gettext as _

from .. import get_contact_model
from ..exceptions import MergeError
from ..history import history_model_for
from ..querysets import contact_point_models

if TYPE_CHECKING:
    from ..models import AbstractContact

__all__ = [
    "CHANNEL_PREFERENCES",
    "CONSENT",
    "NOT_MERGED",
    "OPT_OUTS",
    "channel_facts",
    "contact_label",
    "mergeable_fields",
    "merged_values",
]

#: Fields that describe the row, not the person: never taken from a duplicate.
NOT_MERGED = frozenset(
    {"customer", "is_primary", "name_key", "created", "modified", "scope_content_type", "scope_object_id"}
)
#: Communication preferences: one contact's "no" is the merged contact's "no".
OPT_OUTS = ("email_allowed", "sms_allowed", "phone_allowed", "automated_followups")
#: The preferences about a channel, which apply to a contact only once it has had a
#: point of that kind (see :func:`channel_facts`). ``automated_followups`` always applies.
CHANNEL_PREFERENCES = ("email_allowed", "sms_allowed", "phone_allowed")
#: Marketing consent travels as one piece of evidence: from the contact that gave it last.
CONSENT = ("marketing_consent", "marketing_consent_at", "marketing_consent_source")


def contact_label(contact: Any) -> str:
    return f"{contact} (#{contact.pk})"


def mergeable_fields(model: type[models.Model] | None = None) -> list[models.Field[Any, Any]]:
    """The contact fields whose value a merge chooses (``field_sources`` keys).

    Every editable field of the contact model — a host's own fields too — but the
    ones that describe the row rather than the person (``NOT_MERGED``).
    """
    model = model or get_contact_model()
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and not f.generated and f.editable and f.name not in NOT_MERGED
    ]


def _applies(name: str) -> str:
    return f"merge_applies_{name}"


def channel_facts(model: type[AbstractContact]) -> dict[str, ExpressionWrapper[Q]]:
    """Annotations saying, per channel preference, whether it applies to a contact.

    ``email_allowed``, ``sms_allowed`` and ``phone_allowed`` start off and are ticked
    when the contact gets its first email, phone or mobile. Off on a contact that never
    had a point of that kind means "never applicable", not "opted out". A preference
    applies when the contact has a point of that kind (an email; any phone; a mobile
    for SMS), or when its history shows the preference on at some time (it was allowed
    and then switched off: an opt-out, also after the point was removed). Only contacts
    a preference applies to can opt a merge out of that channel.

    For the query that locks the rows, so the rules need no query of their own.
    """
    emails, phones = contact_point_models(model)
    has_point: dict[str, models.QuerySet[Any]] = {
        "email_allowed": emails._default_manager.filter(contact=OuterRef("pk")),
        "phone_allowed": phones._default_manager.filter(contact=OuterRef("pk")),
        "sms_allowed": phones._default_manager.filter(contact=OuterRef("pk"), kind=phones.Kind.MOBILE),
    }
    history = history_model_for(model)
    facts: dict[str, ExpressionWrapper[Q]] = {}
    for name, points in has_point.items():
        condition = Q(Exists(points))
        if history is not None:
            condition |= Q(Exists(history._default_manager.filter(id=OuterRef("pk"), **{name: True})))
        facts[_applies(name)] = ExpressionWrapper(condition, output_field=models.BooleanField())
    return facts


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def merged_values(
    model: type[AbstractContact],
    main: AbstractContact,
    duplicates: list[AbstractContact],
    sources: Mapping[str, AbstractContact | Any],
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Main's new field values: ``field_sources``, then the rules of ``merge_contacts``.

    Returns the values that change (by attname), the pk of the contact each came from
    (by field name) and whether main becomes the primary contact.
    """
    contacts = [main, *duplicates]
    by_pk = {contact.pk: contact for contact in contacts}
    mergeable = {f.name: f for f in mergeable_fields(model)}
    chosen: dict[str, Any] = {}
    for name, source in sources.items():
        if name not in mergeable:
            raise MergeError(
                _("%(field)s can't be chosen when merging. Fields you can choose: %(fields)s.")
                % {"field": name, "fields": ", ".join(sorted(mergeable))}
            )
        pk = getattr(source, "pk", source)
        if pk not in by_pk:
            raise MergeError(
                _("The value of %(field)s must come from the main contact or one of the duplicates, not #%(pk)s.")
                % {"field": name, "pk": pk}
            )
        chosen[name] = by_pk[pk]

    def rule(name: str, attname: str) -> Any:
        values = [(getattr(contact, attname), contact) for contact in contacts]
        if name in CHANNEL_PREFERENCES:
            # Without the planner's facts (a caller of its own), every contact counts.
            opted_out = [c for value, c in values if not value and getattr(c, _applies(name), True)]
            allowed = [c for value, c in values if value]
            return (opted_out or allowed or [main])[0]
        if name in OPT_OUTS:
            return next((contact for value, contact in values if not value), main)
        if name in CONSENT:
            return consent_source
        if name == "last_contacted_at":
            contacted = [(value, contact) for value, contact in values if value is not None]
            return max(contacted, key=lambda pair: pair[0])[1] if contacted else main
        if name == "user":
            users = {value for value, _contact in values if value is not None}
            if len(users) > 1:
                raise MergeError(
                    _(
                        "%(contacts)s each have a user account, and a contact can have only one. Choose "
                        "the one to keep with field_sources={'user': contact}, or unlink the other first."
                    )
                    % {"contacts": ", ".join(contact_label(c) for v, c in values if v is not None)}
                )
        return next((contact for value, contact in values if not _is_blank(value)), main)

    dated = [(c.marketing_consent_at, c) for c in contacts if c.marketing_consent_at is not None]
    # max() keeps the first of equal dates: main before the duplicates, in their order.
    consent_source = max(dated, key=lambda pair: pair[0])[1] if dated else main

    values: dict[str, Any] = {}
    changed_sources: dict[str, Any] = {}
    for name, model_field in mergeable.items():
        attname = model_field.attname
        source = chosen.get(name) or rule(name, attname)
        value = getattr(source, attname)
        if value != getattr(main, attname):
            values[attname] = value
            changed_sources[name] = source.pk

    becomes_primary = not main.is_primary and any(dup.is_primary for dup in duplicates)
    if main.is_primary or becomes_primary:
        if not values.get("is_active", main.is_active):
            raise MergeError(
                _(
                    "%(main)s would be the primary contact but is inactive. Activate it, or choose "
                    "an active contact as the main one."
                )
                % {"main": contact_label(main)}
            )
        if main.is_one_time:
            raise MergeError(
                _(
                    "%(main)s is a one-time contact, so it can't take over as the primary contact. "
                    "Choose the primary contact as the main one."
                )
                % {"main": contact_label(main)}
            )
    return values, changed_sources, becomes_primary
