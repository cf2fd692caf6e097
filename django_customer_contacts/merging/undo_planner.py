"""Working out an undo: ``build_undo_plan`` locks, checks and plans, from the ``MergeRecord``.

The record holds what the merge changed: every field of each merged contact, their
emails and phones, the pks of the rows that moved and the whole rows that were dropped,
and main's values before and after (``survivor``). The plan puts that back:

1. **Lock** what a merge locks, in the same order: the customer, then the surviving
   contact (the merged contacts don't exist; their pks are checked, not locked).
   Re-read the record under the lock: an undo that committed meanwhile is seen.
2. **Decide** main's values (those the merge changed and nobody since) and who is the
   primary contact.
3. **Check**, in one query (a UNION, as the planner's): every moved row still exists
   and still points at the surviving contact; no restored pk and no unique value is
   taken; the rows the merge dropped can be re-created. Any doubt is a refusal
   (``UnmergeError`` and its subclasses), with nothing changed.

``undo`` carries the plan out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections, models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import get_contact_model, history
from ..exceptions import (
    AlreadyUndoneError,
    ErasedSinceError,
    UnmergeConflictError,
    UnmergeError,
    UnmergeOrderError,
)
from ..locking import chunked, lock_contacts, lock_customer
from ..models import DERIVED_KEY_SOURCES, MATCH_KEY_FIELDS, ContactEmail, MergeRecord
from .planner import max_query_params, union_statements
from .record import json_value
from .relations import Relation, contact_content_type_ids, contact_relations, is_integer_field, stamp_fields
from .rules import CONSENT, contact_label

if TYPE_CHECKING:
    from ..models import AbstractContact

__all__ = [
    "ERASED",
    "RelationUndo",
    "UnmergePlan",
    "build_undo_plan",
    "relation_words",
    "statement_chunks",
]

#: Set by erasure (``anonymize_contact``) on the snapshots and survivor values it blanks.
ERASED = "erased"


# -- the plan ---------------------------------------------------------------------------


@dataclass(eq=False)
class RelationUndo:
    """What an undo does to one relation: rows moved back, rows re-created.

    ``moved`` maps a restored contact's pk to the pks of its rows that go back to it;
    ``created`` to the whole rows (by attname) that the merge dropped and that are
    inserted again. For contact points, ``primary`` holds the rows that are their
    contact's primary one again, and ``promote`` the main's point that takes over as
    its primary when the primary one goes back. ``stamps`` holds, by row pk, the values
    before the merge of the fields the merge stamped with its time
    (``relations.stamp_fields``), for the rows nobody changed since.
    """

    relation: Relation
    moved: dict[Any, list[Any]] = field(default_factory=dict)
    created: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)
    primary: set[Any] = field(default_factory=set)
    stamps: dict[Any, dict[str, Any]] = field(default_factory=dict)
    promote: Any = None

    @property
    def moved_count(self) -> int:
        return sum(len(pks) for pks in self.moved.values())

    @property
    def created_count(self) -> int:
        return sum(len(rows) for rows in self.created.values())

    @property
    def moved_pks(self) -> list[Any]:
        return [pk for pks in self.moved.values() for pk in pks]

    @property
    def created_pks(self) -> list[Any]:
        pk_name = self.relation.model._meta.pk.attname
        return [row[pk_name] for rows in self.created.values() for row in rows]

    def __bool__(self) -> bool:
        return bool(self.moved or self.created)


@dataclass(eq=False)
class UnmergePlan:
    """Everything an undo will do, worked out from the locked rows before any write."""

    record: MergeRecord
    #: The surviving contact, locked; its attributes hold the values it will have.
    main: AbstractContact
    customer: models.Model
    #: The merged contacts as they will be re-inserted (unsaved, with their pks).
    contacts: list[AbstractContact]
    #: Main's values to write, by attname.
    main_values: dict[str, Any]
    #: What stays as it is, in sentences (kept in ``record.undo_notes``).
    notes: list[str]
    relations: list[RelationUndo]
    using: str
    #: The restored contact that is the primary contact again, if any.
    primary: AbstractContact | None = None

    @property
    def restored_ids(self) -> list[Any]:
        return [contact.pk for contact in self.contacts]

    def describe(self) -> list[str]:
        """The undo in sentences, for people (``unmerge_contacts --dry-run``, the admin)."""
        lines = [
            _("Undo merge #%(record)s: restore %(contacts)s, merged into %(main)s.")
            % {
                "record": self.record.pk,
                "contacts": ", ".join(contact_label(c) for c in self.contacts),
                "main": contact_label(self.main),
            }
        ]
        by_pk = {contact.pk: contact for contact in self.contacts}
        for plan in self.relations:
            for pk in sorted(set(plan.moved) | set(plan.created), key=str):
                moved, created = len(plan.moved.get(pk, [])), len(plan.created.get(pk, []))
                lines.append(
                    _("%(what)s: %(moved)d back to %(contact)s, %(created)d re-created (the merge had dropped them)")
                    % {
                        "what": relation_words(plan.relation),
                        "moved": moved,
                        "created": created,
                        "contact": contact_label(by_pk[pk]),
                    }
                )
        for attname, value in self.main_values.items():
            if attname in ("modified", "name_key", *MATCH_KEY_FIELDS):
                continue
            lines.append(
                _("%(field)s of %(main)s: back to %(value)r")
                % {"field": _field_label(self.main, attname), "main": contact_label(self.main), "value": value}
            )
        if self.primary is not None:
            lines.append(_("%(contact)s is the primary contact again.") % {"contact": contact_label(self.primary)})
        lines.extend(self.notes)
        return lines


def relation_words(relation: Relation) -> str:
    """A relation in plain words: "invoices", "links to tags", "email addresses"."""
    opts = relation.model._meta
    if relation.other_field is not None:
        other = cast("models.ForeignKey[Any, Any]", relation.other_field).related_model._meta
        return _("links to %(things)s") % {"things": other.verbose_name_plural}
    siblings = [r for r in contact_relations() if r.model is relation.model]
    if len(siblings) > 1:
        return _("%(things)s (%(field)s)") % {"things": opts.verbose_name_plural, "field": relation.name}
    return str(opts.verbose_name_plural)


def _field_label(contact: models.Model, attname: str) -> str:
    for model_field in contact._meta.concrete_fields:
        if model_field.attname == attname:
            return str(model_field.verbose_name)
    return attname


# -- working it out ----------------------------------------------------------------------


def build_undo_plan(record: MergeRecord, using: str) -> UnmergePlan:
    """Lock, re-read ``record`` and check; return the plan. Inside ``transaction.atomic(using)``.

    ``record`` as read before (it names the customer to lock): it is read again after the lock.
    """
    model = get_contact_model()
    records = MergeRecord._default_manager.using(using)
    _refuse_undone(record)
    _refuse_erased(record)
    merged = _merged_pks(model, record)
    customer_id = _customer_id(model, record, merged)
    customer_model = model._meta.get_field("customer").related_model
    try:
        customer = lock_customer(customer_id, using)
    # The plugin puts DoesNotExist on concrete models only, and the customer model is the host's.
    except customer_model.DoesNotExist:  # type: ignore[attr-defined]
        raise UnmergeConflictError(
            _("The customer of merge #%(record)s was deleted since, with its contacts: there is nothing to undo.")
            % {"record": record.pk}
        ) from None
    # What was read before the lock may have changed: an undo or erasure committed meanwhile.
    fresh = records.filter(pk=record.pk).first()
    if fresh is None:
        raise UnmergeError(_("There is no merge record #%(pk)s.") % {"pk": record.pk})
    record = fresh
    _refuse_undone(record)
    _refuse_erased(record)

    main_pk = _survivor_pk(model, record)
    main = lock_contacts([main_pk], using, no_key=True).get(main_pk) if main_pk is not None else None
    if main is None:
        _refuse_missing_survivor(model, record, main_pk, using)
    main = cast("AbstractContact", main)
    if main.customer_id != customer.pk:
        raise UnmergeConflictError(
            _(
                "%(main)s was moved to another customer since merge #%(record)s. Move it back to "
                "%(customer)s to undo the merge."
            )
            % {"main": contact_label(main), "record": record.pk, "customer": customer}
        )

    notes: list[str] = []
    main_values = _main_values(model, record, main, using, notes)
    contacts = _restored_contacts(model, record, merged)
    primary = _restore_primary(model, record, main, contacts, main_values, using, notes)
    relations = _check_and_plan(model, record, main, contacts, main_values, using, notes)

    for attname, value in main_values.items():
        setattr(main, attname, value)
    if DERIVED_KEY_SOURCES & main_values.keys():
        main_values.update(main.set_derived_keys())
    return UnmergePlan(
        record=record,
        main=main,
        customer=customer,
        contacts=contacts,
        main_values=main_values,
        notes=notes,
        relations=relations,
        using=using,
        primary=primary,
    )


def _refuse_undone(record: MergeRecord) -> None:
    if record.undone_at is not None:
        raise AlreadyUndoneError(
            _("Merge #%(record)s was undone already, on %(when)s%(who)s.")
            % {
                "record": record.pk,
                "when": timezone.localtime(record.undone_at).strftime("%Y-%m-%d %H:%M"),
                "who": _(" by %(user)s") % {"user": record.undone_by} if record.undone_by_id else "",
            }
        )


def _refuse_erased(record: MergeRecord) -> None:
    """Erasure blanks the snapshots (and marks them): what they held is gone for good."""
    snapshots = record.snapshots or {}
    erased = [
        key
        for key, snapshot in snapshots.items()
        if not isinstance(snapshot, dict)
        or snapshot.get(ERASED)
        # Blanked before erasure marked what it blanked: every string is "", "created" too.
        or (snapshot.get("fields") or {}).get("created") == ""
    ]
    if erased or (record.survivor or {}).get(ERASED) or len(snapshots) < len(record.merged_ids or []):
        raise ErasedSinceError(
            _(
                "A contact of merge #%(record)s was erased since (GDPR): its data is gone for good, "
                "so the merge can't be undone."
            )
            % {"record": record.pk}
        )


def _merged_pks(model: type[AbstractContact], record: MergeRecord) -> list[Any]:
    pk_field = model._meta.pk
    try:
        return [pk_field.to_python(pk) for pk in record.merged_ids or []]
    except ValidationError:
        raise UnmergeError(
            _("Merge #%(record)s names contacts that can't be this contact model's.") % {"record": record.pk}
        ) from None


def _customer_id(model: type[AbstractContact], record: MergeRecord, merged: list[Any]) -> Any:
    customer_field = cast("models.ForeignKey[Any, Any]", model._meta.get_field("customer"))
    if not merged:
        raise UnmergeError(_("Merge #%(record)s merged no contacts: there is nothing to undo.") % {"record": record.pk})
    fields = ((record.snapshots or {}).get(str(json_value(merged[0]))) or {}).get("fields") or {}
    return customer_field.target_field.to_python(fields.get(customer_field.attname))


def _survivor_pk(model: type[AbstractContact], record: MergeRecord) -> Any:
    value = (record.survivor or {}).get("pk")
    if value is None:
        return record.contact_id
    return model._meta.pk.to_python(value)


def _refuse_missing_survivor(model: type[AbstractContact], record: MergeRecord, main_pk: Any, using: str) -> None:
    """The surviving contact is gone: merged into another since (undo that first), or deleted."""
    if main_pk is not None:
        key = str(json_value(main_pk))
        later = [
            other
            for other in MergeRecord._default_manager.using(using)
            .filter(snapshots__has_key=key, undone_at__isnull=True)
            .order_by("-pk")
            if key in {str(pk) for pk in other.merged_ids or []}
        ]
        if later:
            raise UnmergeOrderError(
                _(
                    "Contact #%(main)s, which merge #%(record)s kept, was merged into contact #%(into)s since, "
                    "by merge #%(later)s. Undo merge #%(later)s first, then this one."
                )
                % {"main": main_pk, "record": record.pk, "into": _survivor_pk(model, later[0]), "later": later[0].pk},
                undo_first=later[0],
            )
    raise UnmergeConflictError(
        _(
            "Contact #%(main)s, which merge #%(record)s kept, was deleted since, with the rows the merge "
            "had moved to it: the merge can't be undone."
        )
        % {"main": main_pk, "record": record.pk}
    )


def _to_python(model_field: models.Field[Any, Any], value: Any) -> Any:
    """A value from the record's JSON as the field holds it."""
    if value is None:
        return None
    target = model_field.target_field if isinstance(model_field, models.ForeignKey) else model_field
    with contextlib.suppress(ValidationError):
        return target.to_python(value)
    return value


def _main_values(
    model: type[AbstractContact],
    record: MergeRecord,
    main: AbstractContact,
    using: str,
    notes: list[str],
) -> dict[str, Any]:
    """Main's values before the merge, for the fields the merge changed and nobody since."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    survivor = record.survivor or {}
    before: dict[str, Any] | None = survivor.get("before")
    after: dict[str, Any] = dict(survivor.get("after") or {})
    if before is None:
        before, after = _values_of_an_earlier_merge(model, record, main, using)
        if before is None:
            if after:
                notes.append(
                    _(
                        "Merge #%(record)s was made before merges kept main's values, and %(main)s has no history "
                        "from before it: its values stay as they are."
                    )
                    % {"record": record.pk, "main": contact_label(main)}
                )
            return {}
    changed = {
        attname
        for attname, value in after.items()
        if attname in fields and attname not in ("is_primary", "modified")
        if not _same(_to_python(fields[attname], value), getattr(main, attname))
    }
    consent = set(CONSENT) & set(fields)
    if changed & consent:
        changed |= consent & set(after)  # consent travels as one piece of evidence
    values: dict[str, Any] = {}
    for attname in after:
        if attname not in fields or attname in ("is_primary", "modified") or attname not in before:
            continue
        model_field = fields[attname]
        if attname in changed:
            notes.append(
                _(
                    "%(field)s of %(main)s was changed since the merge: it keeps %(now)r (it was %(before)r "
                    "before the merge)."
                )
                % {
                    "field": model_field.verbose_name,
                    "main": contact_label(main),
                    "now": json_value(getattr(main, attname)),
                    "before": before[attname],
                }
            )
            continue
        values[attname] = _to_python(model_field, before[attname])
    if not changed and "modified" in before:
        values["modified"] = _to_python(fields["modified"], before["modified"])
    return values


def _same(recorded: Any, current: Any) -> bool:
    """Whether a value the record holds is the value now; records written before times
    kept their microseconds hold them to the millisecond."""
    if isinstance(recorded, datetime) and isinstance(current, datetime):
        return abs((recorded - current).total_seconds()) < 0.001
    return bool(recorded == current)


def _values_of_an_earlier_merge(
    model: type[AbstractContact], record: MergeRecord, main: AbstractContact, using: str
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """For a record written before merges kept main's values: ``after`` from the merged
    contacts' snapshots (``field_sources``), ``before`` from main's last history row
    before the merge (``None`` without one)."""
    after: dict[str, Any] = {}
    for name, source in (record.field_sources or {}).items():
        with contextlib.suppress(FieldDoesNotExist, KeyError, TypeError):
            attname = cast("models.Field[Any, Any]", model._meta.get_field(name)).attname
            after[attname] = record.snapshots[str(source)]["fields"][attname]
    history_model = history.history_model_for(model)
    if history_model is None:
        return None, after
    row = (
        history_model._default_manager.using(using)
        .filter(id=main.pk, history_date__lt=record.created)
        .order_by("-history_date", "-history_id")
        .first()
    )
    if row is None:
        return None, after
    before = {attname: json_value(getattr(row, attname)) for attname in after if hasattr(row, attname)}
    before["modified"] = json_value(getattr(row, "modified", None))
    return before, after


def _restored_contacts(model: type[AbstractContact], record: MergeRecord, merged: list[Any]) -> list[AbstractContact]:
    contacts = []
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    for pk in merged:
        snapshot = record.snapshots[str(json_value(pk))].get("fields", {})
        contact = model()
        for model_field in fields:
            if model_field.attname in snapshot:
                setattr(contact, model_field.attname, _to_python(model_field, snapshot[model_field.attname]))
        contact.pk = pk
        contacts.append(contact)
    return contacts


def _restore_primary(
    model: type[AbstractContact],
    record: MergeRecord,
    main: AbstractContact,
    contacts: list[AbstractContact],
    main_values: dict[str, Any],
    using: str,
    notes: list[str],
) -> AbstractContact | None:
    """Give the primary role back to the restored contact that had it, when still consistent."""
    was_primary = [contact for contact in contacts if contact.is_primary]
    for contact in contacts:
        contact.is_primary = False
    restored = None
    if was_primary:
        contact = was_primary[0]
        if main.is_primary:
            main_values["is_primary"] = False
            restored = contact
        elif not model._base_manager.using(using).filter(customer_id=main.customer_id, is_primary=True).exists():
            restored = contact
        else:
            notes.append(
                _(
                    "%(contact)s was the primary contact before the merge, and another contact is now: "
                    "the primary contact stays as it is."
                )
                % {"contact": contact_label(contact)}
            )
        if restored is not None:
            restored.is_primary = True
    if main.is_primary and main_values.get("is_primary", True) and main_values.get("is_active") is False:
        # A primary contact must stay active (a database constraint).
        del main_values["is_active"]
        notes.append(_("%(main)s stays active: it is the primary contact.") % {"main": contact_label(main)})
    return restored


# The kinds of rows the checking query reads.
_MOVED, _TAKEN, _TARGET, _MAIN_POINT, _HOLDER = range(5)
# Flags of a moved row.
_CONTACT_TYPE, _UNTOUCHED, _PRIMARY = 1, 2, 4


@dataclass(eq=False)
class _Target:
    """A foreign key of rows to re-create (or of the restored contacts): its values must exist."""

    model_field: models.ForeignKey[Any, Any]
    values: set[Any] = field(default_factory=set)


def _check_and_plan(
    model: type[AbstractContact],
    record: MergeRecord,
    main: AbstractContact,
    contacts: list[AbstractContact],
    main_values: dict[str, Any],
    using: str,
    notes: list[str],
) -> list[RelationUndo]:
    """Read, in one query, whatever the undo depends on; refuse on the first problem."""
    by_label = {relation.label: relation for relation in contact_relations(model)}
    content_types = contact_content_type_ids(model, using)
    key_of = {str(json_value(contact.pk)): contact.pk for contact in contacts}
    plans: list[RelationUndo] = []
    gone = [label for label, rows in (record.moved or {}).items() if label not in by_label and _has_rows(rows)]
    if gone:
        raise UnmergeConflictError(
            _("The relations %(labels)s that merge #%(record)s moved rows of no longer exist.")
            % {"labels": ", ".join(gone), "record": record.pk}
        )
    for label, moved in (record.moved or {}).items():
        relation = by_label.get(label)
        if relation is None:
            continue
        plan = RelationUndo(relation)
        pk_field = relation.model._meta.pk
        for key, pks in (moved.get("moved") or {}).items():
            plan.moved[key_of[key]] = [pk_field.to_python(pk) for pk in pks]
        for key, pks in (moved.get("dropped") or {}).items():
            if pks:
                plan.created[key_of[key]] = _dropped_rows(record, relation, key, {str(pk) for pk in pks})
        plans.append(plan)

    targets = _targets(model, plans, contacts, main_values)
    unique_fields = [f for f in model._meta.concrete_fields if f.unique and not f.primary_key]
    branches = []
    for index, plan in enumerate(plans):
        branches.extend(_relation_branches(index, plan, main, record, content_types, using))
    branches.extend(_target_branch(index, target, using) for index, target in enumerate(targets) if target.values)
    branches.append(_taken_branch(model, [c.pk for c in contacts], using))
    branches.extend(
        branch
        for index, model_field in enumerate(unique_fields)
        if (branch := _holder_branch(model, index, model_field, main, contacts, main_values, using)) is not None
    )
    rows: list[tuple[Any, ...]] = []
    connection = connections[using]
    for group in union_statements(branches, connection):
        first, *rest = group
        query = (first.union(*rest, all=True) if rest else first).order_by().query
        sql, params = query.get_compiler(using).as_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows.extend(cursor.fetchall())

    found: dict[int, dict[str, tuple[str | None, int]]] = {}
    main_points: dict[int, dict[str, int]] = {}
    existing: dict[int, set[str]] = {}
    taken_contacts: list[str] = []
    holders: list[tuple[int, str, str | None]] = []
    for kind, index, pk, owner, flags in rows:
        if kind == _MOVED:
            found.setdefault(index, {})[pk] = (owner, flags)
        elif kind == _TAKEN and index < 0:
            taken_contacts.append(pk)
        elif kind == _TAKEN:
            existing.setdefault(index, set()).add(pk)
        elif kind == _TARGET:
            existing.setdefault(-1 - index, set()).add(pk)
        elif kind == _MAIN_POINT:
            main_points.setdefault(index, {})[pk] = flags
        elif kind == _HOLDER:
            holders.append((index, pk, owner))

    if taken_contacts:
        raise UnmergeConflictError(
            _(
                "Contact %(ids)s exists again (restored some other way, or the key was given to a new "
                "contact): merge #%(record)s can't restore it."
            )
            % {"ids": ", ".join(f"#{pk}" for pk in sorted(taken_contacts)), "record": record.pk}
        )
    _drop_rows_whose_targets_are_gone(plans, targets, existing, main, contacts, main_values, notes)
    _refuse_taken_unique_values(model, record, main, contacts, main_values, unique_fields, holders)
    for index, plan in enumerate(plans):
        _check_moved_rows(record, main, contacts, plan, found.get(index, {}), content_types)
        taken = existing.get(index, set())
        if taken:
            raise UnmergeConflictError(
                _("%(what)s #%(pks)s, which merge #%(record)s dropped, exist again: they can't be re-created.")
                % {
                    "what": relation_words(plan.relation),
                    "pks": ", #".join(sorted(taken)),
                    "record": record.pk,
                }
            )
        if plan.relation.is_contact_point:
            _plan_points(record, plan, main_points.get(index, {}), found.get(index, {}))
        _plan_stamps(record, plan, found.get(index, {}))
    return plans


def _has_rows(rows: Any) -> bool:
    return any(pks for kind in ("moved", "dropped") for pks in ((rows or {}).get(kind) or {}).values())


def _dropped_rows(record: MergeRecord, relation: Relation, key: str, pks: set[str]) -> list[dict[str, Any]]:
    """The whole rows the merge dropped from contact ``key``, by attname, as the fields hold them."""
    snapshot = record.snapshots[key]
    if relation.is_contact_point:
        stored = snapshot.get(_points_key(relation)) or []
    else:
        stored = (snapshot.get("dropped") or {}).get(relation.label) or []
    fields = {f.attname: f for f in relation.model._meta.concrete_fields if not f.generated}
    pk_name = relation.model._meta.pk.attname
    rows = []
    for row in stored:
        if str(row.get(pk_name)) not in pks:
            continue
        rows.append(
            {attname: _to_python(fields[attname], value) for attname, value in row.items() if attname in fields}
        )
    if len(rows) != len(pks):
        raise UnmergeConflictError(
            _("Merge #%(record)s doesn't hold the %(what)s it dropped, so they can't be re-created.")
            % {"record": record.pk, "what": relation_words(relation)}
        )
    return rows


def _targets(
    model: type[AbstractContact],
    plans: list[RelationUndo],
    contacts: list[AbstractContact],
    main_values: dict[str, Any],
) -> list[_Target]:
    """The foreign keys of the rows to insert (and main's restored ones) whose values must exist."""
    targets: dict[tuple[type[models.Model], str], _Target] = {}
    # Keys of contacts that exist once the undo is done.
    contact_keys = {contact.pk for contact in contacts}

    def add(row_model: type[models.Model], attname_values: Iterable[tuple[str, Any]], skip: str | None) -> None:
        pairs = list(attname_values)
        for model_field in row_model._meta.concrete_fields:
            if not isinstance(model_field, models.ForeignKey) or model_field.attname == skip:
                continue
            values = {value for attname, value in pairs if attname == model_field.attname}
            values.discard(None)
            if model_field.related_model._meta.concrete_model is model._meta.concrete_model:
                values -= contact_keys
            if values:
                target = targets.setdefault((row_model, model_field.attname), _Target(model_field))
                target.values |= values

    for plan in plans:
        for rows in plan.created.values():
            for row in rows:
                add(plan.relation.model, row.items(), plan.relation.field.attname)
    customer = model._meta.get_field("customer").attname  # locked: it exists
    foreign_keys = [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]
    for contact in contacts:
        add(model, ((f.attname, getattr(contact, f.attname)) for f in foreign_keys), customer)
    add(model, main_values.items(), customer)
    return list(targets.values())


def _text() -> models.CharField[Any, Any]:
    return models.CharField()


def _columns(kind: int, index: int, pk: Any, owner: Any, flags: Any) -> dict[str, Any]:
    text = _text()
    return {
        "undo_kind": Value(kind, output_field=models.IntegerField()),
        "undo_index": Value(index, output_field=models.IntegerField()),
        "undo_pk": Cast(pk, text),
        "undo_owner": Cast(owner, text) if owner is not None else Value(None, text),
        "undo_flags": models.ExpressionWrapper(flags, output_field=models.IntegerField()),
    }


def _branch(rows: models.QuerySet[Any], columns: dict[str, Any]) -> models.QuerySet[Any, tuple[Any, ...]]:
    # The plugin can't type annotate(**columns): its result is Any.
    branch: models.QuerySet[Any, tuple[Any, ...]] = rows.annotate(**columns).values_list(*columns).order_by()
    return branch


def _flag(condition: Q, bit: int) -> models.Expression:
    return Case(When(condition, then=Value(bit)), default=Value(0))


def _relation_branches(
    index: int, plan: RelationUndo, main: AbstractContact, record: MergeRecord, content_types: list[int], using: str
) -> list[models.QuerySet[Any, tuple[Any, ...]]]:
    relation = plan.relation
    manager = relation.model._base_manager.using(using)
    branches = []
    flags: Any = Value(0)
    if relation.content_type_field is not None:
        flags = flags + _flag(Q(**{f"{relation.content_type_field.name}__in": content_types}), _CONTACT_TYPE)
    stamps = stamp_fields(relation.model)
    if stamps:
        # Stamped by the merge (with the record's time), and by nothing since.
        flags = flags + _flag(Q(**{f.attname: record.created for f in stamps}), _UNTOUCHED)
    if relation.is_contact_point:
        flags = flags + _flag(Q(is_primary=True), _PRIMARY)
    for pks in statement_chunks(plan.moved_pks, using):
        rows = manager.filter(pk__in=pks)
        branches.append(_branch(rows, _columns(_MOVED, index, "pk", relation.field.name, flags)))
    for pks in statement_chunks(plan.created_pks, using):
        rows = manager.filter(pk__in=pks)
        branches.append(_branch(rows, _columns(_TAKEN, index, "pk", None, Value(0))))
    if relation.is_contact_point and plan.moved:
        rows = manager.filter(**{relation.field.name: relation.key(main)})
        flags = _flag(Q(is_primary=True), _PRIMARY)
        branches.append(_branch(rows, _columns(_MAIN_POINT, index, "pk", None, flags)))
    return branches


def _target_branch(index: int, target: _Target, using: str) -> models.QuerySet[Any, tuple[Any, ...]]:
    related = target.model_field.related_model
    to_field = target.model_field.target_field.name
    rows = related._base_manager.using(using).filter(**{f"{to_field}__in": list(target.values)})
    return _branch(rows, _columns(_TARGET, index, to_field, None, Value(0)))


def _taken_branch(model: type[AbstractContact], pks: list[Any], using: str) -> models.QuerySet[Any, tuple[Any, ...]]:
    rows = model._base_manager.using(using).filter(pk__in=pks)
    return _branch(rows, _columns(_TAKEN, -1, "pk", None, Value(0)))


def _holder_branch(
    model: type[AbstractContact],
    index: int,
    model_field: models.Field[Any, Any],
    main: AbstractContact,
    contacts: list[AbstractContact],
    main_values: dict[str, Any],
    using: str,
) -> models.QuerySet[Any, tuple[Any, ...]] | None:
    """The contacts other than main that hold a unique value a restored contact (or main) will hold."""
    values = {getattr(contact, model_field.attname) for contact in contacts}
    values.add(main_values.get(model_field.attname))
    values.discard(None)
    if not values:
        return None
    rows = model._base_manager.using(using).filter(**{f"{model_field.attname}__in": list(values)}).exclude(pk=main.pk)
    return _branch(rows, _columns(_HOLDER, index, "pk", model_field.attname, Value(0)))


def _refuse_taken_unique_values(
    model: type[AbstractContact],
    record: MergeRecord,
    main: AbstractContact,
    contacts: list[AbstractContact],
    main_values: dict[str, Any],
    unique_fields: list[models.Field[Any, Any]],
    holders: list[tuple[int, str, str | None]],
) -> None:
    """No unique value (a linked user account) may end up on two contacts."""
    for index, holder, value in holders:
        model_field = unique_fields[index]
        attname = model_field.attname
        owners = [
            c for c in contacts if _spelled_value(getattr(c, attname)) == value or str(getattr(c, attname)) == value
        ]
        wanted_by = owners[0] if owners else main
        raise UnmergeConflictError(
            _(
                "The %(field)s of %(contact)s (%(value)s) belongs to contact #%(holder)s now: merge "
                "#%(record)s can't be undone until it is free."
            )
            % {
                "field": model_field.verbose_name,
                "contact": contact_label(wanted_by),
                "value": value,
                "holder": holder,
                "record": record.pk,
            }
        )
    for model_field in unique_fields:
        attname = model_field.attname
        finals = [main_values.get(attname, getattr(main, attname)), *(getattr(c, attname) for c in contacts)]
        finals = [value for value in finals if value is not None]
        if len(finals) != len(set(finals)):
            raise UnmergeConflictError(
                _(
                    "%(main)s holds the %(field)s of a contact of merge #%(record)s, changed since the merge: "
                    "unlink it from %(main)s first."
                )
                % {"main": contact_label(main), "field": model_field.verbose_name, "record": record.pk}
            )


def _check_moved_rows(
    record: MergeRecord,
    main: AbstractContact,
    contacts: list[AbstractContact],
    plan: RelationUndo,
    found: dict[str, tuple[str | None, int]],
    content_types: list[int],
) -> None:
    """Every moved row still exists and still points at main."""
    relation = plan.relation
    main_key = relation.key(main)
    by_pk = {contact.pk: contact for contact in contacts}
    for contact_pk, pks in plan.moved.items():
        missing = [pk for pk in pks if str(pk) not in found and _spelled(relation, pk) not in found]
        if missing:
            raise UnmergeConflictError(
                ngettext(
                    "%(count)d of the %(what)s that merge #%(record)s moved from %(contact)s to %(main)s was "
                    "deleted since (#%(pks)s): undoing the merge would lose it.",
                    "%(count)d of the %(what)s that merge #%(record)s moved from %(contact)s to %(main)s were "
                    "deleted since (#%(pks)s): undoing the merge would lose them.",
                    len(missing),
                )
                % {
                    "count": len(missing),
                    "what": relation_words(relation),
                    "record": record.pk,
                    "contact": contact_label(by_pk[contact_pk]),
                    "main": contact_label(main),
                    "pks": ", #".join(str(pk) for pk in missing[:10]) + (", …" if len(missing) > 10 else ""),
                }
            )
        for pk in pks:
            owner, flags = found.get(str(pk)) or found[_spelled(relation, pk)]
            elsewhere = owner is None or relation.field.to_python(owner) != main_key
            if relation.content_type_field is not None and not flags & _CONTACT_TYPE:
                elsewhere = True
            if elsewhere:
                raise UnmergeConflictError(
                    _(
                        "%(what)s #%(pk)s, which merge #%(record)s moved from %(contact)s to %(main)s, was moved "
                        "to %(owner)s since: move it back to %(main)s to undo the merge."
                    )
                    % {
                        "what": relation_words(relation),
                        "pk": pk,
                        "record": record.pk,
                        "contact": contact_label(by_pk[contact_pk]),
                        "main": contact_label(main),
                        "owner": _("contact #%(pk)s") % {"pk": owner} if owner is not None else _("nothing"),
                    }
                )


def _points_key(relation: Relation) -> str:
    """Where a snapshot keeps a contact's points of this relation."""
    return "emails" if issubclass(relation.model, ContactEmail) else "phones"


def _spelled(relation: Relation, pk: Any) -> str:
    """A key as the database spells it as text (UUIDs without dashes on SQLite)."""
    return getattr(pk, "hex", str(pk))


def _plan_points(
    record: MergeRecord, plan: RelationUndo, main_points: dict[str, int], found: dict[str, tuple[str | None, int]]
) -> None:
    """Emails and phones: primary flags and timestamps as the snapshots have them."""
    relation = plan.relation
    pk_field = relation.model._meta.pk
    kind = _points_key(relation)
    snapshot_rows = {
        str(row.get(pk_field.attname)): row
        for snapshot in (record.snapshots or {}).values()
        for row in (snapshot.get(kind) or [])
    }
    leaving_primary = False
    for pk in plan.moved_pks:
        row = snapshot_rows.get(str(pk), {})
        if row.get("is_primary"):
            plan.primary.add(pk)
        _owner, flags = found.get(str(pk)) or found[_spelled(relation, pk)]
        leaving_primary |= bool(flags & _PRIMARY)
    if leaving_primary:
        moving = {str(pk) for pk in plan.moved_pks}
        staying = [pk for pk, flags in main_points.items() if pk not in moving]
        if staying and not any(main_points[pk] & _PRIMARY for pk in staying):
            # Main's primary one goes back: its oldest remaining takes over (as when a primary is deleted).
            read = int if is_integer_field(pk_field) else pk_field.to_python
            plan.promote = min(read(pk) for pk in staying)


def _plan_stamps(record: MergeRecord, plan: RelationUndo, found: dict[str, tuple[str | None, int]]) -> None:
    """The values before the merge of the fields it stamped, for rows nobody changed since.

    The record keeps them for the rows that moved (``stamps``); for emails and phones,
    the snapshots hold the whole rows.
    """
    relation = plan.relation
    fields = stamp_fields(relation.model)
    if not fields or not plan.moved:
        return
    pk_name = relation.model._meta.pk.attname
    if relation.is_contact_point:
        kind = _points_key(relation)
        kept = {
            str(row.get(pk_name)): row
            for snapshot in (record.snapshots or {}).values()
            for row in snapshot.get(kind) or []
        }
    else:
        kept = ((record.moved or {}).get(relation.label) or {}).get("stamps") or {}
    for pk in plan.moved_pks:
        _owner, flags = found.get(str(pk)) or found[_spelled(relation, pk)]
        row = kept.get(str(pk))
        if not flags & _UNTOUCHED or not row:
            continue
        plan.stamps[pk] = {f.attname: _to_python(f, row[f.attname]) for f in fields if f.attname in row}


def _drop_rows_whose_targets_are_gone(
    plans: list[RelationUndo],
    targets: list[_Target],
    existing: dict[int, set[str]],
    main: AbstractContact,
    contacts: list[AbstractContact],
    main_values: dict[str, Any],
    notes: list[str],
) -> None:
    """A dropped link to a row deleted since isn't re-created (its deletion took the others
    too); an optional link of a restored contact (or main) to a row deleted since is left
    empty (main keeps its current one); a required one is a refusal."""
    missing: dict[tuple[type[models.Model], str], tuple[models.ForeignKey[Any, Any], set[Any]]] = {}
    for index, target in enumerate(targets):
        there = existing.get(-1 - index, set())
        gone = {value for value in target.values if str(value) not in there and _spelled_value(value) not in there}
        if gone:
            missing[(target.model_field.model, target.model_field.attname)] = (target.model_field, gone)
    if not missing:
        return
    for plan in plans:
        model = plan.relation.model
        for contact_pk, rows in list(plan.created.items()):
            kept = []
            for row in rows:
                lost = [
                    model_field
                    for (owner, attname), (model_field, gone) in missing.items()
                    if issubclass(model, owner) and row.get(attname) in gone
                ]
                if not lost:
                    kept.append(row)
                    continue
                notes.append(
                    _("%(what)s #%(pk)s isn't re-created: the %(target)s it linked to was deleted since.")
                    % {
                        "what": relation_words(plan.relation),
                        "pk": row[model._meta.pk.attname],
                        "target": lost[0].related_model._meta.verbose_name,
                    }
                )
            plan.created[contact_pk] = kept
        plan.created = {pk: rows for pk, rows in plan.created.items() if rows}
    for (owner, attname), (model_field, gone) in missing.items():
        if not isinstance(main, owner):
            continue
        if attname in main_values and main_values[attname] in gone:
            notes.append(
                _("%(main)s keeps its %(field)s: the one it had before the merge (#%(pk)s) was deleted since.")
                % {"main": contact_label(main), "field": model_field.verbose_name, "pk": main_values[attname]}
            )
            del main_values[attname]
        for contact in contacts:
            if getattr(contact, attname) not in gone:
                continue
            if not model_field.null:
                raise UnmergeConflictError(
                    _("The %(field)s of %(contact)s was deleted since: the contact can't be restored.")
                    % {"field": model_field.verbose_name, "contact": contact_label(contact)}
                )
            notes.append(
                _("%(contact)s is restored without its %(field)s: #%(pk)s was deleted since.")
                % {
                    "contact": contact_label(contact),
                    "field": model_field.verbose_name,
                    "pk": getattr(contact, attname),
                }
            )
            setattr(contact, attname, None)


def _spelled_value(value: Any) -> str:
    return getattr(value, "hex", str(value))


def statement_chunks(pks: list[Any], using: str) -> list[Sequence[Any]]:
    """``pks`` in as few statements as the database's parameter limit allows (one, mostly)."""
    if not pks:
        return []
    limit = max_query_params(connections[using])
    # Each pk is bound about three times in the UPDATE (the WHERE and the CASEs).
    size = max(1, (limit - 100) // 4) if limit else len(pks)
    return list(chunked(pks, size))
