"""Merging duplicate contacts: ``merge_contacts`` and the plan it carries out.

A merge keeps one contact (main) and folds the duplicates into it:

1. **Lock** the customer, then the contacts in pk order, and check again that they all
   still exist and belong to that customer.
2. **Decide** main's field values: ``field_sources`` first, then the rules (see
   :func:`merge_contacts`). Python, on the locked rows.
3. **Plan**: one query reads, for every relation that points at the contact model
   (found in the model registry, see :func:`contact_relations`), the duplicates' rows:
   which move to main, which would duplicate a row main already has (dropped), and
   which would give main a second row on a one-to-one (the merge is refused).
4. **Write**, per relation one statement each: history of the rows that change (for
   models with django-simple-history), the dropped rows, the move. Then the duplicates
   are deleted, main is saved, and the contacts' history is written.
5. Send ``contacts_merged``.

The number of queries grows with the number of relations, never with the number of
rows or duplicates. Rows are moved and dropped with ``QuerySet.update()`` and a bulk
delete, so Django's per-row ``save``/``delete``/``m2m_changed`` signals are not sent for
them (nor for the deleted duplicates): ``contacts_merged`` is, with the record of what
moved.
"""

from __future__ import annotations

import contextlib
import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.db.models import Case, Exists, ExpressionWrapper, F, OuterRef, Q, Value, When
from django.db.models.fields import AutoFieldMixin
from django.db.models.functions import Cast, JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _
from model_utils.fields import AutoLastModifiedField
from simple_history.models import HistoricalChanges, HistoricalRecords

from . import get_contact_model
from .exceptions import MergeError
from .signals import contacts_merged

__all__ = [
    "MergePlan",
    "Relation",
    "RelationPlan",
    "contact_relations",
    "merge_contacts",
    "mergeable_fields",
    "plan_merge",
]

#: Fields that describe the row, not the person: never taken from a duplicate.
NOT_MERGED = frozenset(
    {"customer", "is_primary", "name_key", "created", "modified", "scope_content_type", "scope_object_id"}
)
#: Communication preferences: one contact's "no" is the merged contact's "no".
OPT_OUTS = ("email_allowed", "sms_allowed", "phone_allowed", "automated_followups")
#: Marketing consent travels as one piece of evidence: from the contact that gave it last.
CONSENT = ("marketing_consent", "marketing_consent_at", "marketing_consent_source")

# Nested JSON objects keep each under PostgreSQL's 100-argument limit for functions.
_JSON_CHUNK = 50
# SQLite allows 500 SELECTs in one compound statement.
_UNION_CHUNK = 200


# -- relations --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Relation:
    """A column of some installed model that holds a contact's key.

    ``field`` is a foreign key or one-to-one to the contact model, or the object id of
    a generic foreign key (then ``content_type_field`` is set). ``other_field`` is the
    other foreign key of a many-to-many's through model.
    """

    model: type[models.Model]
    field: models.Field
    name: str
    content_type_field: models.Field | None = None
    other_field: models.Field | None = None
    unique_sets: tuple[tuple[tuple[str, ...], Q | None], ...] = ()

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    @property
    def is_generic(self) -> bool:
        return self.content_type_field is not None

    @property
    def is_contact_point(self) -> bool:
        from .models import ContactPoint

        return issubclass(self.model, ContactPoint)

    def __str__(self) -> str:
        return self.label

    def key(self, contact: models.Model) -> Any:
        """The value this relation stores for ``contact``."""
        if self.is_generic:
            return self.field.to_python(contact.pk)
        return getattr(contact, self.field.target_field.attname)


def contact_relations(model: type[models.Model] | None = None) -> list[Relation]:
    """Every relation of every installed model that points at the contact model.

    Foreign keys and one-to-ones, from the model's reverse relations — among them the
    hidden foreign keys of many-to-many through tables, declared on either side;
    generic foreign keys, from every installed model. History models are left out:
    history keeps what was.
    """
    model = model or get_contact_model()
    fields = model._meta.get_fields(include_hidden=True)
    # Many-to-many declared here (forward) or elsewhere (reverse): moved through their tables.
    through_models = {
        f.remote_field.through if isinstance(f, models.ManyToManyField) else f.through for f in fields if f.many_to_many
    }
    relations: list[Relation] = []
    for rel in fields:
        if rel.concrete or not rel.auto_created or rel.many_to_many:
            continue
        fk = rel.field
        related = rel.related_model
        if not isinstance(fk, models.ForeignKey) or _is_history_model(related):
            continue
        if fk.remote_field.parent_link:
            continue  # a multi-table child is its contact, not a row pointing at it
        others = [f for f in related._meta.concrete_fields if isinstance(f, models.ForeignKey) and f is not fk]
        relations.append(
            Relation(
                model=related,
                field=fk,
                name=fk.name,
                other_field=others[0] if related in through_models and len(others) == 1 else None,
                unique_sets=_unique_sets(related, fk),
            )
        )
    for candidate in apps.get_models():
        if _is_history_model(candidate):
            continue
        for gfk in candidate._meta.private_fields:
            if not isinstance(gfk, GenericForeignKey):
                continue
            object_id = candidate._meta.get_field(gfk.fk_field)
            if not _can_hold(object_id, model._meta.pk):
                continue
            relations.append(
                Relation(
                    model=candidate,
                    field=object_id,
                    name=gfk.name,
                    content_type_field=candidate._meta.get_field(gfk.ct_field),
                    # The content type is the contact model's on every row moved: not "other".
                    unique_sets=_unique_sets(candidate, object_id, also=gfk.ct_field),
                )
            )
    return relations


def _is_history_model(model: type[models.Model]) -> bool:
    return issubclass(model, HistoricalChanges)


def _unique_sets(
    model: type[models.Model], fk: models.Field, also: str | None = None
) -> tuple[tuple[tuple[str, ...], Q | None], ...]:
    """The unique constraints that include ``fk``: (the other fields, the condition).

    An empty tuple of other fields is a one-to-one: a contact can hold one such row.
    ``also`` is a field that is part of the contact's key (a generic foreign key's
    content type). Constraints over expressions are left to the database.
    """
    from .models import ContactPoint

    sets: list[tuple[tuple[str, ...], Q | None]] = []
    if fk.unique:
        sets.append(((), None))
    groups = [(tuple(names), None) for names in model._meta.unique_together]
    groups += [
        (tuple(c.fields), c.condition)
        for c in model._meta.constraints
        if isinstance(c, models.UniqueConstraint) and c.fields
    ]
    for names, condition in groups:
        if fk.name not in names:
            continue
        # The one-primary-per-contact marker: main keeps its primary, the rest are demoted.
        if issubclass(model, ContactPoint) and "primary_marker" in names:
            continue
        sets.append((tuple(name for name in names if name not in (fk.name, also)), condition))
    return tuple(sets)


def _is_integer(model_field: models.Field) -> bool:
    return isinstance(model_field, models.IntegerField | models.AutoField)


def _can_hold(object_id: models.Field, pk: models.Field) -> bool:
    """Whether a generic foreign key's object id column can hold a contact's pk."""
    if isinstance(object_id, models.CharField | models.TextField):
        return True
    if _is_integer(object_id):
        return _is_integer(pk)
    return object_id.get_internal_type() == pk.get_internal_type()


# -- the plan ---------------------------------------------------------------------------


@dataclass(eq=False)
class RelationPlan:
    """What a merge does to one relation: the rows that move and the rows dropped.

    ``moved`` and ``dropped`` map a duplicate's pk to row pks; ``rows`` holds the full
    rows of dropped rows (and of every contact point), ``others`` the other side of a
    many-to-many link, both by duplicate pk.
    """

    relation: Relation
    moved: dict[Any, list[Any]] = field(default_factory=dict)
    dropped: dict[Any, list[Any]] = field(default_factory=dict)
    rows: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)
    others: dict[Any, list[Any]] = field(default_factory=dict)
    primaries: dict[Any, Any] = field(default_factory=dict)
    #: The contact point that becomes main's primary one, when main has none.
    new_primary: Any = None

    @property
    def moved_count(self) -> int:
        return sum(len(pks) for pks in self.moved.values())

    @property
    def dropped_count(self) -> int:
        return sum(len(pks) for pks in self.dropped.values())

    @property
    def dropped_pks(self) -> list[Any]:
        return [pk for pks in self.dropped.values() for pk in pks]

    def __bool__(self) -> bool:
        return bool(self.moved or self.dropped)


@dataclass(eq=False)
class MergePlan:
    """Everything a merge will do, worked out from the locked rows before any write."""

    main: Any
    duplicates: list[Any]
    customer: Any
    #: Main's new field values, by attname (only those that change).
    values: dict[str, Any]
    #: For each changed field (by name), the pk of the contact its value comes from.
    sources: dict[str, Any]
    becomes_primary: bool
    relations: list[RelationPlan]
    using: str
    #: The content types a generic foreign key to a contact may name.
    content_types: list[int]

    @property
    def merged_ids(self) -> list[Any]:
        return [dup.pk for dup in self.duplicates]

    def describe(self) -> list[str]:
        """The plan in sentences, for people (``merge_contacts --dry-run``)."""
        lines = [
            _("Merge %(duplicates)s into %(main)s.")
            % {"duplicates": ", ".join(_label(d) for d in self.duplicates), "main": _label(self.main)}
        ]
        for name, source in self.sources.items():
            lines.append(
                _("%(field)s: %(value)r, from #%(source)s")
                % {"field": name, "value": self.values[self.main._meta.get_field(name).attname], "source": source}
            )
        if self.becomes_primary:
            lines.append(_("%(main)s becomes the primary contact.") % {"main": _label(self.main)})
        for plan in self.relations:
            if plan:
                lines.append(
                    _("%(relation)s: %(moved)d moved, %(dropped)d dropped (main already has them)")
                    % {"relation": plan.relation.label, "moved": plan.moved_count, "dropped": plan.dropped_count}
                )
        return lines


def plan_merge(main: Any, duplicates: Any, *, field_sources: dict[str, Any] | None = None) -> MergePlan:
    """Work out what ``merge_contacts`` would do, and change nothing.

    Raises ``MergeError`` for whatever ``merge_contacts`` would refuse. Locks the same
    rows as a merge while it reads, in a transaction of its own.
    """
    model = get_contact_model()
    duplicate_ids = _check_arguments(model, main, duplicates)
    using = router.db_for_write(model, instance=main)
    with transaction.atomic(using=using):
        return _plan(model, main, duplicate_ids, field_sources or {}, using)


def _label(contact: Any) -> str:
    return f"{contact} (#{contact.pk})"


def _check_arguments(model: type[models.Model], main: Any, duplicates: Any) -> list[Any]:
    """The duplicates' pks, in the order given, once each; refusals that need no query."""
    if main is None or main.pk is None:
        raise MergeError(_("Save the main contact before merging other contacts into it."))
    ids: list[Any] = []
    for duplicate in duplicates or ():
        pk = getattr(duplicate, "pk", duplicate)
        if pk is None:
            raise MergeError(_("A contact that was never saved can't be merged."))
        try:
            pk = model._meta.pk.to_python(pk)
        except ValidationError:
            raise MergeError(_("%(pk)r is not a contact's key.") % {"pk": pk}) from None
        if pk == main.pk:
            raise MergeError(
                _("%(contact)s is the main contact, so it can't also be one of the duplicates merged into it.")
                % {"contact": _label(main)}
            )
        if pk not in ids:
            ids.append(pk)
    if not ids:
        raise MergeError(_("Choose at least one duplicate to merge into %(contact)s.") % {"contact": _label(main)})
    return ids


def _plan(model: type[models.Model], main: Any, duplicate_ids: list[Any], sources: dict[str, Any], using: str):
    relations = contact_relations(model)
    fresh_main, duplicates, customer = _lock_contacts(model, main, duplicate_ids, relations, using)
    values, changed_sources, becomes_primary = _merged_values(model, fresh_main, duplicates, sources)
    content_types = _content_type_ids(model, using)
    relation_plans = _plan_relations(relations, fresh_main, duplicates, content_types, using)
    return MergePlan(
        main=fresh_main,
        duplicates=duplicates,
        customer=customer,
        values=values,
        sources=changed_sources,
        becomes_primary=becomes_primary,
        relations=relation_plans,
        using=using,
        content_types=content_types,
    )


def _lock_contacts(model, main, duplicate_ids, relations, using):
    """Lock the customer, then the contacts in pk order; check what was read before.

    Every operation that changes a customer's primary contact locks the customer row
    first, so merges and primary changes of one customer queue there.
    """
    from .services import _lock_customer

    customer_model = model._meta.get_field("customer").related_model
    try:
        customer = _lock_customer(main.customer_id, using)
    except customer_model.DoesNotExist:
        raise MergeError(_("The customer of %(contact)s no longer exists.") % {"contact": _label(main)}) from None
    # Whether each contact has a primary email/phone: main keeps its own.
    primary_points = {
        f"merge_has_primary_{i}": Exists(
            relation.model._base_manager.filter(**{relation.field.name: OuterRef("pk"), "is_primary": True})
        )
        for i, relation in enumerate(relations)
        if relation.is_contact_point
    }
    locked = {
        contact.pk: contact
        for contact in model._base_manager.using(using)
        .select_for_update()
        .filter(pk__in=[main.pk, *duplicate_ids])
        .annotate(**primary_points)
        .order_by("pk")
    }
    if main.pk not in locked:
        raise MergeError(
            _("%(contact)s no longer exists; it may have been merged or deleted meanwhile.") % {"contact": _label(main)}
        )
    missing = [pk for pk in duplicate_ids if pk not in locked]
    if missing:
        raise MergeError(
            _(
                "Contact %(ids)s no longer exists; it may have been merged or deleted meanwhile. "
                "Reload the contacts and choose again."
            )
            % {"ids": ", ".join(f"#{pk}" for pk in missing)}
        )
    fresh_main = locked[main.pk]
    duplicates = [locked[pk] for pk in duplicate_ids]
    if fresh_main.customer_id != customer.pk:
        raise MergeError(
            _("%(contact)s was moved to another customer meanwhile. Reload the contacts and try again.")
            % {"contact": _label(fresh_main)}
        )
    strangers = [dup for dup in duplicates if dup.customer_id != fresh_main.customer_id]
    if strangers:
        raise MergeError(
            _(
                "Only contacts of the same customer can be merged, and %(contacts)s not of "
                "%(customer)s, the customer of %(main)s."
            )
            % {
                "contacts": ", ".join(_label(d) for d in strangers) + (" is" if len(strangers) == 1 else " are"),
                "customer": customer,
                "main": _label(fresh_main),
            }
        )
    return fresh_main, duplicates, customer


def mergeable_fields(model: type[models.Model] | None = None) -> list[models.Field]:
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


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _merged_values(model, main, duplicates, sources):
    """Main's new field values: ``field_sources``, then the rules of ``merge_contacts``."""
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
                    % {"contacts": ", ".join(_label(c) for v, c in values if v is not None)}
                )
        return next((contact for value, contact in values if not _is_blank(value)), main)

    dated = [contact for contact in contacts if contact.marketing_consent_at is not None]
    # max() keeps the first of equal dates: main before the duplicates, in their order.
    consent_source = max(dated, key=lambda c: c.marketing_consent_at) if dated else main

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
                % {"main": _label(main)}
            )
        if main.is_one_time:
            raise MergeError(
                _(
                    "%(main)s is a one-time contact, so it can't take over as the primary contact. "
                    "Choose the primary contact as the main one."
                )
                % {"main": _label(main)}
            )
    return values, changed_sources, becomes_primary


def _plan_relations(relations: list[Relation], main, duplicates, content_types, using: str) -> list[RelationPlan]:
    """Read every duplicate's rows of every relation, in one query (a UNION).

    For each row: the relation, its pk, the duplicate it belongs to, the other side of
    a many-to-many link, whether it is a primary contact point, whether it collides with
    a row of main (or of an earlier duplicate) under a unique constraint — dropped — or
    on a one-to-one — refused — and, for dropped rows and contact points, the whole row.
    """
    plans = [RelationPlan(relation) for relation in relations]
    branches = [
        _plan_branch(index, relation, main, duplicates, content_types, using)
        for index, relation in enumerate(relations)
    ]
    rows: list[tuple] = []
    connection = connections[using]
    for start in range(0, len(branches), _UNION_CHUNK):
        first, *rest = branches[start : start + _UNION_CHUNK]
        query = (first.union(*rest, all=True) if rest else first).order_by().query
        sql, params = query.get_compiler(using).as_sql()
        # One fetchall(): Django's iterator would fetch (and convert) 100 rows at a time.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows.extend(cursor.fetchall())

    owners = [{str(relation.key(dup)): dup.pk for dup in duplicates} for relation in relations]
    # int() for the common integer keys: this loop runs once per row.
    read_pk = [int if _is_integer(r.model._meta.pk) else r.model._meta.pk.to_python for r in relations]
    clashes: list[tuple[Relation, Any]] = []
    for index, pk, owner, other, flags, row in rows:
        plan = plans[index]
        relation = plan.relation
        dup_pk = owners[index].get(owner)
        if dup_pk is None:  # a key the database spells its own way (UUIDs on SQLite)
            dup_pk = owners[index][str(relation.field.to_python(owner))]
        pk = read_pk[index](pk)
        if flags & _CLASH:
            clashes.append((relation, dup_pk))
        (plan.dropped if flags & _DROP else plan.moved).setdefault(dup_pk, []).append(pk)
        if row is not None:
            plan.rows.setdefault(dup_pk, []).append(_row_values(relation.model, row))
        if other is not None:
            plan.others.setdefault(dup_pk, []).append(relation.other_field.to_python(other))
        if flags & _PRIMARY and not flags & _DROP:
            plan.primaries[dup_pk] = pk
    if clashes:
        relation, dup_pk = clashes[0]
        dup = next(d for d in duplicates if d.pk == dup_pk)
        raise MergeError(
            _(
                "%(contact)s and another of the contacts being merged each have a %(what)s, and a contact "
                "can have only one. Delete or reassign one of them, then merge again."
            )
            % {"contact": _label(dup), "what": relation.model._meta.verbose_name}
        )
    for index, plan in enumerate(plans):
        for pks in (*plan.moved.values(), *plan.dropped.values(), *plan.others.values()):
            pks.sort()
        if plan.relation.is_contact_point and plan.moved and not getattr(main, f"merge_has_primary_{index}"):
            # Main had none of these: the first duplicate's primary one takes over.
            candidates = [plan.primaries[d.pk] for d in duplicates if d.pk in plan.primaries]
            plan.new_primary = candidates[0] if candidates else min(pk for pks in plan.moved.values() for pk in pks)
    return plans


def _content_type_ids(model: type[models.Model], using: str) -> list[int]:
    """The content types a generic foreign key to a contact may name (proxies too)."""
    proxies = [m for m in apps.get_models() if m._meta.proxy and m._meta.concrete_model is model]
    types = ContentType.objects.db_manager(using).get_for_models(model, *proxies, for_concrete_models=False)
    return sorted(content_type.pk for content_type in types.values())


def _rows_of(relation: Relation, keys: list[Any], content_types: list[int], using: str) -> models.QuerySet:
    rows = relation.model._base_manager.using(using).filter(**{f"{relation.field.name}__in": keys})
    if relation.is_generic:
        rows = rows.filter(**{f"{relation.content_type_field.name}__in": content_types})
    return rows.order_by()


def _collision(relation: Relation, main, duplicates, content_types: list[int], one_to_one: bool) -> Q | None:
    """A condition true for a duplicate's row that collides with a row main (or an
    earlier duplicate row) already has, under one of the relation's unique sets.

    ``one_to_one`` picks the sets with no other fields (a contact holds one such row);
    the others are links that exist once per contact, like a many-to-many pair.
    """
    name = relation.field.name
    conditions = []
    for others, condition in relation.unique_sets:
        if bool(others) == one_to_one:
            continue
        holders = relation.model._base_manager.filter(
            Q(**{name: relation.key(main)})
            | Q(**{f"{name}__in": [relation.key(d) for d in duplicates], "pk__lt": OuterRef("pk")}),
            **{other: OuterRef(other) for other in others},
        )
        if relation.is_generic:
            holders = holders.filter(**{f"{relation.content_type_field.name}__in": content_types})
        if condition is not None:
            conditions.append(Q(Exists(holders.filter(condition))) & condition)
        else:
            conditions.append(Q(Exists(holders)))
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


# A row's flags in the plan, as bits of one integer column.
_DROP, _CLASH, _PRIMARY = 1, 2, 4


def _flag(condition: Q | None, bit: int) -> models.Expression:
    if condition is None:
        return Value(0)
    return Case(When(condition, then=Value(bit)), default=Value(0))


def _row_json(model: type[models.Model]) -> JSONObject:
    """The whole row as JSON, in chunks of fields (see ``_JSON_CHUNK``)."""
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    chunks = [fields[i : i + _JSON_CHUNK] for i in range(0, len(fields), _JSON_CHUNK)]
    return JSONObject(
        **{f"part{n}": JSONObject(**{f.attname: F(f.attname) for f in chunk}) for n, chunk in enumerate(chunks)}
    )


def _plan_branch(index: int, relation: Relation, main, duplicates, content_types, using) -> models.QuerySet:
    rows = _rows_of(relation, [relation.key(d) for d in duplicates], content_types, using)
    drop = _collision(relation, main, duplicates, content_types, one_to_one=False)
    clash = _collision(relation, main, duplicates, content_types, one_to_one=True)
    text = models.CharField()
    # Only text and integers, read with a plain cursor: nothing to convert per row.
    if relation.is_contact_point:
        row = _row_json(relation.model)
    elif drop is not None:
        row = Case(When(drop, then=_row_json(relation.model)), default=Value(None))
    else:
        row = Value(None)
    flags = _flag(drop, _DROP) + _flag(clash, _CLASH)
    if relation.is_contact_point:
        flags += _flag(Q(is_primary=True), _PRIMARY)
    columns = {
        "merge_relation": Value(index, output_field=models.IntegerField()),
        "merge_pk": Cast("pk", text),
        "merge_owner": Cast(relation.field.name, text),
        "merge_other": Cast(relation.other_field.name, text) if relation.other_field else Value(None, text),
        "merge_flags": ExpressionWrapper(flags, output_field=models.IntegerField()),
        "merge_row": ExpressionWrapper(row, output_field=models.TextField()),
    }
    # No ORDER BY, here or on the UNION: Django 6.1 refuses a compound query ordered
    # by the model's default ordering, and the plan doesn't depend on row order.
    return rows.annotate(**columns).values_list(*columns).order_by()


def _row_values(model: type[models.Model], data: Any) -> dict[str, Any]:
    """A row read as JSON, with the values every backend spells its own way made equal."""
    if isinstance(data, str):
        data = json.loads(data)
    flat: dict[str, Any] = {}
    for part in data.values():
        flat.update(json.loads(part) if isinstance(part, str) else part)
    fields = {f.attname: f for f in model._meta.concrete_fields}
    values = {}
    for attname, value in flat.items():
        model_field = fields[attname]
        with contextlib.suppress(ValidationError):  # else kept as read
            value = model_field.to_python(value)
        if isinstance(value, datetime.datetime) and settings.USE_TZ and timezone.is_naive(value):
            value = timezone.make_aware(value, datetime.UTC)
        values[attname] = _json_value(value)
    return values


def _json_values(values: list[Any]) -> list[Any]:
    # Row keys are all of one type: integers, the common case, as they are.
    return values if not values or isinstance(values[0], int) else [_json_value(v) for v in values]


def _json_value(value: Any) -> Any:
    """``value`` as JSON can hold it: numbers, text, booleans and ``None`` as they are."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    try:
        return DjangoJSONEncoder().default(value)
    except TypeError:
        return str(value)  # a phone number: E.164


# -- the merge --------------------------------------------------------------------------


def merge_contacts(
    main: Any,
    duplicates: Any,
    *,
    field_sources: dict[str, Any] | None = None,
    user: Any = None,
    reason: str = "",
) -> Any:
    """Merge ``duplicates`` (contacts of main's customer) into ``main``; return the ``MergeRecord``.

    Main's fields: ``field_sources`` maps a field name to the contact (main or a
    duplicate, or its pk) whose value to keep. Otherwise main's non-blank values win and
    blanks are filled from the duplicates in the order given; opt-outs win
    (``email_allowed``, ``sms_allowed``, ``phone_allowed``, ``automated_followups``);
    the newest marketing consent evidence (consent, date and source together) is kept;
    ``last_contacted_at`` is the latest; a linked user moves to main when main has none.
    If a duplicate was the primary contact, main becomes primary.

    Every row of every installed model that points at a duplicate — foreign key,
    one-to-one, many-to-many in either direction, generic foreign key — is repointed at
    main. Emails and phones are de-duplicated (email case-insensitively, phones by
    E.164) and main keeps its primary ones. A row that would duplicate one main already
    has (the same many-to-many pair, a through row under a unique constraint) is dropped
    and kept in the record. Then the duplicates are deleted. History shows the deletions
    and main's change (and every moved or dropped row of a model with history) with the
    reason ``"Merge #<record pk>: …"``.

    Raises ``MergeError``, changing nothing, for an empty list, main among the
    duplicates, a contact that no longer exists, contacts of different customers, two
    linked users with no choice, a one-to-one that both hold, or a main that can't become
    primary. Locks the customer, then the contacts in pk order. Sends ``contacts_merged``
    inside the transaction: a receiver that raises undoes the merge.
    """
    model = get_contact_model()
    duplicate_ids = _check_arguments(model, main, duplicates)
    using = router.db_for_write(model, instance=main)
    user = _history_user(user)
    with transaction.atomic(using=using):
        plan = _plan(model, main, duplicate_ids, field_sources or {}, using)
        record = _create_record(plan, user, reason)
        now = timezone.now()
        for relation_plan in plan.relations:
            if relation_plan:
                _move_relation(relation_plan, plan, record, user, now)
        _delete_duplicates(plan)
        _save_main(plan)
        _write_contact_history(plan, record, user, now)
        contacts_merged.send(sender=model, contact=plan.main, merged_ids=plan.merged_ids, record=record, user=user)
    for model_field in model._meta.concrete_fields:
        setattr(main, model_field.attname, getattr(plan.main, model_field.attname))
    if hasattr(main, "_prefetched_objects_cache"):
        main._prefetched_objects_cache = {}
    return record


def _history_user(user: Any) -> Any:
    """The user given, else the one django-simple-history's middleware saw, else ``None``."""
    if user is not None:
        return user if getattr(user, "pk", None) is not None else None  # not AnonymousUser
    request = getattr(HistoricalRecords.context, "request", None)
    request_user = getattr(request, "user", None)
    return request_user if getattr(request_user, "is_authenticated", False) else None


def _create_record(plan: MergePlan, user: Any, reason: str):
    from .models import ContactEmail, ContactPhone, MergeRecord, NotificationCategory, Tag

    by_model = {relation_plan.relation.model: relation_plan for relation_plan in plan.relations}
    categories = by_model.get(NotificationCategory.contacts.through)
    tags = by_model.get(Tag.contacts.through)
    snapshots = {}
    for dup in plan.duplicates:
        dropped = {
            relation_plan.relation.label: relation_plan.rows[dup.pk]
            for relation_plan in plan.relations
            if not relation_plan.relation.is_contact_point and dup.pk in relation_plan.rows
        }
        snapshots[str(dup.pk)] = {
            "fields": {
                f.attname: _json_value(getattr(dup, f.attname)) for f in dup._meta.concrete_fields if not f.generated
            },
            "emails": by_model[ContactEmail].rows.get(dup.pk, []) if ContactEmail in by_model else [],
            "phones": by_model[ContactPhone].rows.get(dup.pk, []) if ContactPhone in by_model else [],
            "notification_categories": categories.others.get(dup.pk, []) if categories else [],
            "tags": tags.others.get(dup.pk, []) if tags else [],
            "user": _json_value(dup.user_id),
            "dropped": dropped,
        }
    moved = {
        relation_plan.relation.label: {
            "moved": {str(pk): _json_values(pks) for pk, pks in relation_plan.moved.items()},
            "dropped": {str(pk): _json_values(pks) for pk, pks in relation_plan.dropped.items()},
        }
        for relation_plan in plan.relations
        if relation_plan
    }
    return MergeRecord._default_manager.using(plan.using).create(
        contact=plan.main,
        merged_ids=[_json_value(pk) for pk in plan.merged_ids],
        snapshots=snapshots,
        moved=moved,
        field_sources={name: _json_value(pk) for name, pk in plan.sources.items()},
        user=user,
        reason=reason,
    )


def _change_reason(record, text: str) -> str:
    return _("Merge #%(record)s: %(what)s") % {"record": record.pk, "what": text}


def _move_relation(relation_plan: RelationPlan, plan: MergePlan, record, user, now) -> None:
    """Repoint one relation's rows at main: history, dropped rows, then one UPDATE."""
    relation = relation_plan.relation
    rows = _rows_of(relation, [relation.key(d) for d in plan.duplicates], plan.content_types, plan.using)
    changes: dict[str, Any] = {relation.field.attname: relation.key(plan.main)}
    for model_field in relation.model._meta.concrete_fields:
        if getattr(model_field, "auto_now", False) or isinstance(model_field, AutoLastModifiedField):
            changes[model_field.attname] = now
    if relation.is_contact_point:
        changes["is_primary"] = (
            Case(When(pk=relation_plan.new_primary, then=Value(True)), default=Value(False))
            if relation_plan.new_primary is not None
            else False
        )
    dropped = relation_plan.dropped_pks
    _write_history(
        relation.model,
        rows,
        changes,
        dropped,
        user,
        now,
        moved_reason=_change_reason(record, _("moved to contact %(pk)s") % {"pk": plan.main.pk}),
        dropped_reason=_change_reason(record, _("removed, contact %(pk)s already has the same") % {"pk": plan.main.pk}),
    )
    if dropped:
        # Dropped only after the record holds them (and history, above).
        relation.model._base_manager.using(plan.using).filter(pk__in=dropped)._raw_delete(plan.using)
    if relation_plan.moved:
        rows.update(**changes)


def _delete_duplicates(plan: MergePlan) -> None:
    """Delete the duplicates, whose rows have all moved, with one statement."""
    model = type(plan.main)
    model._base_manager.using(plan.using).filter(pk__in=plan.merged_ids)._raw_delete(plan.using)


def _save_main(plan: MergePlan) -> None:
    """Save main's merged values. An UPDATE only: it fails rather than re-insert main."""
    main = plan.main
    for attname, value in plan.values.items():
        setattr(main, attname, value)
    if plan.becomes_primary:
        main.is_primary = True
    fields = list(plan.sources)
    if plan.becomes_primary:
        fields.append("is_primary")
    main.skip_history_when_saving = True  # written with the duplicates' below
    try:
        main.save(update_fields=[*fields, "modified"])
    finally:
        del main.skip_history_when_saving


def _write_contact_history(plan: MergePlan, record, user, now) -> None:
    """One history row for main's change and one per deleted duplicate, in one INSERT."""
    history_model = _history_model(type(plan.main))
    if history_model is None:
        return
    ids = ", ".join(str(pk) for pk in plan.merged_ids)
    rows = [
        _history_row(
            history_model,
            plan.main,
            "~",
            user,
            now,
            _change_reason(record, _("contacts %(ids)s merged into this one") % {"ids": ids}),
        )
    ]
    rows += [
        _history_row(
            history_model,
            dup,
            "-",
            user,
            now,
            _change_reason(record, _("merged into contact %(pk)s") % {"pk": plan.main.pk}),
        )
        for dup in plan.duplicates
    ]
    history_model._default_manager.using(plan.using).bulk_create(rows)


# -- history in batches ---------------------------------------------------------------------


def _history_model(model: type[models.Model]) -> type[models.Model] | None:
    """The django-simple-history model of ``model``, when it has one and history is on."""
    manager_name = getattr(model._meta, "simple_history_manager_attribute", None)
    if manager_name is None or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return None
    return getattr(model, manager_name).model


def _history_row(history_model, instance, history_type: str, user, when, reason: str):
    row = history_model(
        history_date=when,
        history_type=history_type,
        history_user=user,
        history_change_reason=_fit(history_model, reason),
        **{f.attname: getattr(instance, f.attname) for f in history_model.tracked_fields},
    )
    if hasattr(history_model, "history_relation"):
        row.history_relation_id = instance.pk
    return row


def _fit(history_model, reason: str) -> str:
    max_length = history_model._meta.get_field("history_change_reason").max_length
    return reason[:max_length] if max_length else reason


_HISTORY_FIELDS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}


def _writes_in_sql(history_model) -> bool:
    """Whether the history table has django-simple-history's own layout, with database
    generated ids, so that one INSERT ... SELECT can write its rows."""
    tracked = {f.name for f in history_model.tracked_fields}
    for model_field in history_model._meta.concrete_fields:
        if model_field.name in tracked or model_field.name in _HISTORY_FIELDS - {"history_id"}:
            continue
        if model_field.name == "history_id" and isinstance(model_field, AutoFieldMixin):
            continue
        if model_field.name in ("history_user_id", "history_relation"):
            continue
        return False
    return True


def _write_history(model, rows, changes, dropped, user, when, *, moved_reason, dropped_reason) -> None:
    """History of the rows about to change: ``"~"`` with ``changes`` for the rows that
    move, ``"-"`` as they are for the ``dropped`` pks. One statement, whatever the rows.

    With django-simple-history's own layout the rows are copied in the database
    (``INSERT ... SELECT``); otherwise (UUID history ids, extra history fields) they are
    read and written with one ``bulk_create``.
    """
    history_model = _history_model(model)
    if history_model is None:
        return
    is_dropped = Q(pk__in=dropped) if dropped else None

    def unless_dropped(expression: Any, original: Any) -> Any:
        if not isinstance(expression, models.Expression):
            expression = Value(expression)
        if is_dropped is None:
            return expression
        return Case(When(is_dropped, then=original), default=expression)

    user_pk = getattr(user, "pk", None)
    columns: dict[str, Any] = {}
    for tracked in history_model.tracked_fields:
        original = F(tracked.attname)
        columns[tracked.attname] = (
            unless_dropped(changes[tracked.attname], original) if tracked.attname in changes else original
        )
    columns["history_type"] = unless_dropped(Value("~"), Value("-"))
    columns["history_change_reason"] = unless_dropped(
        Value(_fit(history_model, moved_reason)), Value(_fit(history_model, dropped_reason))
    )
    if not _writes_in_sql(history_model):
        _bulk_history(history_model, rows, columns, user, when)
        return
    columns["history_date"] = Value(when, output_field=models.DateTimeField())
    user_field = history_model._meta.get_field(
        "history_user"
        if any(f.name == "history_user" for f in history_model._meta.concrete_fields)
        else "history_user_id"
    )
    columns[user_field.attname] = Value(
        user_pk, output_field=user_field.target_field if user_field.is_relation else user_field
    )
    if hasattr(history_model, "history_relation"):
        columns["history_relation_id"] = F("pk")
    _insert_select(history_model, rows, columns)


def _insert_select(history_model, rows: models.QuerySet, columns: dict[str, Any]) -> None:
    """``INSERT INTO <history> (<columns>) SELECT <expressions> FROM <rows>``."""
    aliases = {f"merge_h{i}": expression for i, expression in enumerate(columns.values())}
    select = rows.annotate(**aliases).values_list(*aliases)
    sql, params = select.query.get_compiler(rows.db).as_sql()
    connection = connections[rows.db]
    quote = connection.ops.quote_name
    by_attname = {f.attname: f for f in history_model._meta.concrete_fields}
    targets = ", ".join(quote(by_attname[attname].column) for attname in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(history_model._meta.db_table)} ({targets}) {sql}", params)


def _bulk_history(history_model, rows: models.QuerySet, columns: dict[str, Any], user, when) -> None:
    """History rows built in Python from the rows as the database computes them."""
    aliases = {f"merge_h_{attname}": expression for attname, expression in columns.items()}
    history_rows = []
    for instance in rows.annotate(**aliases):
        values = {attname: getattr(instance, alias) for alias, attname in zip(aliases, columns, strict=True)}
        row = history_model(history_date=when, history_user=user, **values)
        if hasattr(history_model, "history_relation"):
            row.history_relation_id = instance.pk
        history_rows.append(row)
    history_model._default_manager.using(rows.db).bulk_create(history_rows)
