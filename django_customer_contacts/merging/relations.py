"""Relation discovery: every column of every installed model that holds a contact's key.

A merge repoints these; the planner reads them in one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.signals import setting_changed
from django.db import models
from django.db.models import Q
from django.db.models.fields.reverse_related import ForeignObjectRel, ManyToManyRel
from django.db.models.signals import class_prepared
from django.dispatch import receiver
from model_utils.fields import AutoLastModifiedField
from simple_history.models import HistoricalChanges

from .. import get_contact_model
from ..models import ContactPoint

__all__ = [
    "Relation",
    "contact_content_type_ids",
    "contact_relations",
    "is_integer_field",
    "rows_of",
    "stamp_fields",
]


@dataclass(frozen=True, eq=False)
class Relation:
    """A column of some installed model that holds a contact's key.

    ``field`` is a foreign key or one-to-one to the contact model, or the object id of
    a generic foreign key (then ``content_type_field`` is set). ``other_field`` is the
    other foreign key of a many-to-many's through model.
    """

    model: type[models.Model]
    field: models.Field[Any, Any]
    name: str
    content_type_field: models.Field[Any, Any] | None = None
    other_field: models.Field[Any, Any] | None = None
    unique_sets: tuple[tuple[tuple[str, ...], Q | None], ...] = ()

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    @property
    def is_generic(self) -> bool:
        return self.content_type_field is not None

    @property
    def is_contact_point(self) -> bool:
        return issubclass(self.model, ContactPoint)

    def __str__(self) -> str:
        return self.label

    def key(self, contact: models.Model) -> Any:
        """The value this relation stores for ``contact``."""
        if self.is_generic:
            return self.field.to_python(contact.pk)
        # Not generic: a foreign key or one-to-one.
        return getattr(contact, cast("models.ForeignKey[Any, Any]", self.field).target_field.attname)


# By contact model: see contact_relations().
_RELATIONS: dict[type[models.Model], tuple[Relation, ...]] = {}


def contact_relations(model: type[models.Model] | None = None) -> list[Relation]:
    """Every relation of every installed model that points at the contact model.

    Foreign keys and one-to-ones, from the model's reverse relations — among them the
    hidden foreign keys of many-to-many through tables, declared on either side;
    generic foreign keys, from every installed model. History models are left out:
    history keeps what was.

    Worked out once per contact model, not for every merge: it reads every installed
    model. Worked out again after a model class is created or ``INSTALLED_APPS``
    changes (tests do both).
    """
    model = model or get_contact_model()
    relations = _RELATIONS.get(model)
    if relations is None:
        relations = _RELATIONS[model] = tuple(_discover_relations(model))
    return list(relations)


@receiver(class_prepared, dispatch_uid="customer_contacts_relations_model")
def _forget_relations_for_models(**kwargs: Any) -> None:
    _RELATIONS.clear()


@receiver(setting_changed, dispatch_uid="customer_contacts_relations_setting")
def _forget_relations_for_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "INSTALLED_APPS":  # (the contact model is the cache's key)
        _RELATIONS.clear()


def _discover_relations(model: type[models.Model]) -> list[Relation]:
    fields = model._meta.get_fields(include_hidden=True)
    # Many-to-many declared here (forward) or elsewhere (reverse): moved through their tables.
    through_models = {
        f.remote_field.through if isinstance(f, models.ManyToManyField) else cast(ManyToManyRel, f).through
        for f in fields
        if f.many_to_many
    }
    relations: list[Relation] = []
    for field_or_rel in fields:
        if field_or_rel.concrete or not field_or_rel.auto_created or field_or_rel.many_to_many:
            continue
        rel = cast(ForeignObjectRel, field_or_rel)  # what is left: reverse relations
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
            object_id = cast("models.Field[Any, Any]", candidate._meta.get_field(gfk.fk_field))
            if not _can_hold(object_id, model._meta.pk):
                continue
            relations.append(
                Relation(
                    model=candidate,
                    field=object_id,
                    name=gfk.name,
                    content_type_field=cast("models.Field[Any, Any]", candidate._meta.get_field(gfk.ct_field)),
                    # The content type is the contact model's on every row moved: not "other".
                    unique_sets=_unique_sets(candidate, object_id, also=gfk.ct_field),
                )
            )
    return relations


def _is_history_model(model: type[models.Model]) -> bool:
    return issubclass(model, HistoricalChanges)


def _unique_sets(
    model: type[models.Model], fk: models.Field[Any, Any], also: str | None = None
) -> tuple[tuple[tuple[str, ...], Q | None], ...]:
    """The unique constraints that include ``fk``: (the other fields, the condition).

    An empty tuple of other fields is a one-to-one: a contact can hold one such row.
    ``also`` is a field that is part of the contact's key (a generic foreign key's
    content type). Constraints over expressions are left to the database.
    """
    sets: list[tuple[tuple[str, ...], Q | None]] = []
    if fk.unique:
        sets.append(((), None))
    groups: list[tuple[tuple[str, ...], Q | None]] = [(tuple(names), None) for names in model._meta.unique_together]
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


def stamp_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The fields a write stamps with its time (``auto_now``, ``TimeStampedModel.modified``).

    A merge stamps the rows it moves; the record keeps their earlier values, so an undo
    can put them back.
    """
    return [
        f for f in model._meta.concrete_fields if getattr(f, "auto_now", False) or isinstance(f, AutoLastModifiedField)
    ]


def is_integer_field(model_field: models.Field[Any, Any]) -> bool:
    return isinstance(model_field, models.IntegerField | models.AutoField)


def _can_hold(object_id: models.Field[Any, Any], pk: models.Field[Any, Any]) -> bool:
    """Whether a generic foreign key's object id column can hold a contact's pk."""
    if isinstance(object_id, models.CharField | models.TextField):
        return True
    if is_integer_field(object_id):
        return is_integer_field(pk)
    return object_id.get_internal_type() == pk.get_internal_type()


def contact_content_type_ids(model: type[models.Model], using: str) -> list[int]:
    """The content types a generic foreign key to a contact may name (proxies too)."""
    proxies = [m for m in apps.get_models() if m._meta.proxy and m._meta.concrete_model is model]
    types = ContentType.objects.db_manager(using).get_for_models(model, *proxies, for_concrete_models=False)
    return sorted(content_type.pk for content_type in types.values())


def rows_of(relation: Relation, keys: list[Any], content_types: list[int], using: str) -> models.QuerySet[models.Model]:
    rows = relation.model._base_manager.using(using).filter(**{f"{relation.field.name}__in": keys})
    if relation.content_type_field is not None:  # relation.is_generic
        rows = rows.filter(**{f"{relation.content_type_field.name}__in": content_types})
    return rows.order_by()
