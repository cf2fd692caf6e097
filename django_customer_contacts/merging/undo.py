"""Undoing a merge: ``unmerge`` and ``plan_unmerge``, from the ``MergeRecord``.

``undo_planner`` locks, checks and works out what to put back (``build_undo_plan``);
this module writes it, per relation one statement each: the rows moved back, the
dropped rows re-created, their history. Before that, main's fields are restored
(those the merge changed and nobody changed since) and the merged contacts re-inserted
with their pks; after it, their history. Then ``contacts_unmerged`` is sent.

As for a merge, the number of queries grows with the number of relations, not with
the rows (see "Undoing a merge" in the docs for the bound).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import history
from ..duplicate_store import note_customers
from ..exceptions import UnmergeConflictError, UnmergeError
from ..locking import db_for_write
from ..models import MergeRecord
from ..signals import contacts_unmerged
from .relations import Relation, stamp_fields
from .rules import contact_label
from .undo_planner import RelationUndo, UnmergePlan, build_undo_plan, relation_words, statement_chunks

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from ..models import AbstractContact

__all__ = [
    "create_rows",
    "mark_undone",
    "move_back",
    "plan_unmerge",
    "restore_contacts",
    "restore_main",
    "undo_reason",
    "unmerge",
    "write_contact_history",
]


def undo_reason(record: MergeRecord, text: str) -> str:
    """A history change reason naming the undo."""
    return _("Undo of merge #%(record)s: %(what)s") % {"record": record.pk, "what": text}


# -- entry points -------------------------------------------------------------------------


def plan_unmerge(record: MergeRecord | Any) -> UnmergePlan:
    """Work out what :func:`unmerge` would do, and change nothing.

    Raises the ``UnmergeError`` refusals :func:`unmerge` would. Locks what an undo locks
    while it reads, in a transaction of its own.
    """
    record = _record(record)
    using = db_for_write(record)
    with transaction.atomic(using=using):
        return build_undo_plan(record, using)


def unmerge(
    record: MergeRecord | Any,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    reason: str = "",
) -> MergeRecord:
    """Undo the merge ``record`` (a ``MergeRecord`` or its pk); return the record, marked undone.

    Restores each merged contact with its pk, fields, emails, phones (with their primary
    flags), categories, tags and linked user; moves every row the merge moved back to
    the contact it came from (foreign keys, one-to-ones, many-to-manys both ways, generic
    relations); re-creates, with their pks and values, the rows the merge dropped because
    main already had the same. Main gets back the values the merge changed, except those
    changed again since (main keeps the newer value, and ``record.undo_notes`` says so);
    the primary contact is restored as it was when that is still consistent (main is
    still the primary, or the customer has none), else today's stays (and the notes say
    so). Main's ``modified`` and that of its emails and phones are restored where nothing
    changed them since.

    Refuses with an ``UnmergeError`` (a ``MergeError``), changing nothing, when undoing
    would lose or corrupt data: ``AlreadyUndoneError``; ``UnmergeOrderError`` when the
    surviving contact was merged into another since (undo that merge first);
    ``ErasedSinceError`` when a contact of the merge was erased (GDPR);
    ``UnmergeConflictError`` when a restored pk or unique value is taken now, a moved row
    was deleted or moved elsewhere since (the message says which), or the surviving
    contact was deleted or moved to another customer.

    One transaction; locks the customer, then the surviving contact, as a merge does.
    History rows of the restored contacts, of main and of every moved or re-created row
    (of models with history) carry the reason ``"Undo of merge #<pk>: …"``, by ``user``.
    ``contacts_unmerged`` is sent inside the transaction: a receiver that raises undoes
    the undo.
    """
    record = _record(record)
    user = history.history_user(user)
    using = db_for_write(record)
    try:
        with transaction.atomic(using=using):
            plan = build_undo_plan(record, using)
            now = timezone.now()
            mark_undone(plan, user, reason, now)
            restore_main(plan, now)
            restore_contacts(plan)
            for relation_undo in plan.relations:
                if relation_undo:
                    move_back(relation_undo, plan, user, now)
            write_contact_history(plan, user, now)
            # Rows written with update() and bulk_create(): no signal says so.
            note_customers([plan.main.customer_id], using)
            contacts_unmerged.send(
                sender=type(plan.main),
                contact=plan.main,
                restored_ids=plan.restored_ids,
                record=plan.record,
                user=user,
            )
    except IntegrityError as exc:
        # Whatever the checks didn't foresee (a constraint of your own): refused, rolled back.
        raise UnmergeConflictError(
            _("The database refused to undo merge #%(record)s, so nothing was changed: %(error)s")
            % {"record": record.pk, "error": exc}
        ) from exc
    for model_field in MergeRecord._meta.concrete_fields:
        setattr(record, model_field.attname, getattr(plan.record, model_field.attname))
    return plan.record


def _record(record: MergeRecord | Any) -> MergeRecord:
    if isinstance(record, MergeRecord):
        if record.pk is None:
            raise UnmergeError(_("This merge record was never saved: there is nothing to undo."))
        return record
    try:
        pk = MergeRecord._meta.pk.to_python(record)
        found = MergeRecord._default_manager.filter(pk=pk).first()
    except (ValidationError, ValueError, TypeError, OverflowError):
        found = None
    if found is None:
        raise UnmergeError(_("There is no merge record #%(pk)s.") % {"pk": record})
    return found


# -- writing -------------------------------------------------------------------------------


def mark_undone(plan: UnmergePlan, user: AbstractBaseUser | None, reason: str, now: datetime) -> None:
    """The record says the merge is undone: when, by whom, why, and what stayed."""
    record = plan.record
    record.undone_at = now
    record.undone_by = user  # type: ignore[assignment]  # any user model
    record.undo_reason = reason
    record.undo_notes = list(plan.notes)
    record.save(update_fields=["undone_at", "undone_by", "undo_reason", "undo_notes"])


def restore_main(plan: UnmergePlan, now: datetime) -> None:
    """Main's values before the merge (an UPDATE), before the restored contacts take
    back the unique values and the primary role main holds."""
    values = dict(plan.main_values)
    values.setdefault("modified", now)
    plan.main.modified = values["modified"]
    updated = type(plan.main)._base_manager.using(plan.using).filter(pk=plan.main.pk).update(**values)
    if updated != 1:
        raise UnmergeConflictError(_("%(main)s was deleted meanwhile.") % {"main": contact_label(plan.main)})


def restore_contacts(plan: UnmergePlan) -> None:
    """Insert the merged contacts again, with their pks and values (one statement)."""
    type(plan.main)._base_manager.using(plan.using).bulk_create(plan.contacts)


def move_back(relation_undo: RelationUndo, plan: UnmergePlan, user: AbstractBaseUser | None, now: datetime) -> None:
    """One relation: its rows moved back (UPDATE), its dropped rows re-created, then history."""
    relation = relation_undo.relation
    manager = relation.model._base_manager.using(plan.using)
    record = plan.record
    for pks in statement_chunks(relation_undo.moved_pks, plan.using):
        chunk = set(pks)
        key_field = _key_field(relation)
        owners = [
            When(
                pk__in=[pk for pk in moved if pk in chunk],
                then=Value(relation.key(_contact(plan, contact_pk)), output_field=key_field),
            )
            for contact_pk, moved in relation_undo.moved.items()
            if chunk.intersection(moved)
        ]
        changes: dict[str, Any] = {relation.field.attname: Case(*owners, output_field=key_field)}
        if relation.is_contact_point:
            primary = [pk for pk in pks if pk in relation_undo.primary]
            changes["is_primary"] = (
                Case(When(pk__in=primary, then=Value(True)), default=Value(False)) if primary else False
            )
        for model_field in stamp_fields(relation.model):
            stamps = [
                When(pk=pk, then=Value(relation_undo.stamps[pk][model_field.attname], output_field=model_field))
                for pk in pks
                if model_field.attname in relation_undo.stamps.get(pk, {})
            ]
            if stamps:
                changes[model_field.attname] = Case(
                    *stamps, default=models.F(model_field.attname), output_field=model_field
                )
        updated = manager.filter(pk__in=pks).update(**changes)
        if updated != len(pks):
            raise UnmergeConflictError(
                _("Some %(what)s that merge #%(record)s moved were deleted meanwhile: nothing was changed.")
                % {"what": relation_words(relation), "record": record.pk}
            )
    if relation_undo.created:
        create_rows(relation_undo, plan)
    if relation_undo.promote is not None:
        manager.filter(pk=relation_undo.promote).update(is_primary=True)
    touched = [*relation_undo.moved_pks, *relation_undo.created_pks]
    if relation_undo.promote is not None:
        touched.append(relation_undo.promote)
    created = set(relation_undo.created_pks)
    for pks in statement_chunks(touched, plan.using):
        history.write_history(
            relation.model,
            manager.filter(pk__in=pks),
            {},
            [],
            user,
            now,
            moved_reason=undo_reason(record, _("moved back from contact %(pk)s") % {"pk": plan.main.pk}),
            dropped_reason="",
            created=[pk for pk in pks if pk in created],
            created_reason=undo_reason(record, _("re-created, the merge had dropped it")),
        )


def _key_field(relation: Relation) -> models.Field[Any, Any]:
    """The field a relation's column holds a contact's key as."""
    if isinstance(relation.field, models.ForeignKey):
        return relation.field.target_field
    return relation.field


def _contact(plan: UnmergePlan, pk: Any) -> AbstractContact:
    return next(contact for contact in plan.contacts if contact.pk == pk)


def create_rows(relation_undo: RelationUndo, plan: UnmergePlan) -> None:
    """Re-create the rows the merge dropped, with their pks and values (one statement)."""
    model = relation_undo.relation.model
    rows = [model(**row) for rows in relation_undo.created.values() for row in rows]
    model._base_manager.using(plan.using).bulk_create(rows)


def write_contact_history(plan: UnmergePlan, user: AbstractBaseUser | None, now: datetime) -> None:
    """One history row for main's change and one per restored contact, in one INSERT."""
    ids = ", ".join(str(pk) for pk in plan.restored_ids)
    restored_from = undo_reason(plan.record, _("restored from contact %(pk)s") % {"pk": plan.main.pk})
    history.write_instance_history(
        type(plan.main),
        [
            (plan.main, "~", undo_reason(plan.record, _("contacts %(ids)s restored from this one") % {"ids": ids})),
            *((contact, "+", restored_from) for contact in plan.contacts),
        ],
        user,
        now,
        plan.using,
    )
