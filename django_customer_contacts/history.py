"""History for the app's models: frozen table layouts, and history written in batches.

django-simple-history reads a few global settings (``SIMPLE_HISTORY_HISTORY_ID_USE_UUID``,
``SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD``, ``SIMPLE_HISTORY_DATE_INDEX``)
when it builds history tables. Left alone, a host that sets them would see its own
``makemigrations`` want to rewrite the history tables this app ships. Fixing the
options here keeps our migrations stable whatever the host chooses.

Operations that change many rows at once (a merge) write their history here, in as
few statements as the rows allow, instead of one ``save()`` per row:

* :func:`write_history` records rows about to be updated (``"~"``) or deleted (``"-"``)
  in one ``INSERT ... SELECT`` when the history table has simple-history's own layout,
  else with one ``bulk_create`` of rows the database computed;
* :func:`write_instance_history` records instances in hand — a merge's contacts, an
  undo's, a primary switch's two — as they are in memory, in one ``INSERT``: the one
  writer for rows changed with ``UPDATE`` statements instead of ``save()``.

simple-history's ``bulk_history_create()`` writes ``"+"`` or ``"~"`` rows from
instances in memory; these writers also record deletions and let the database copy
the rows, which is what keeps a merge's statements flat in the number of rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import connections, models
from django.db.models import Case, F, Q, Value, When
from django.db.models.fields import AutoFieldMixin
from simple_history.exceptions import NotHistoricalModelError
from simple_history.models import HistoricalRecords
from simple_history.utils import get_history_model_for_model

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

__all__ = [
    "FrozenHistoricalRecords",
    "bulk_history",
    "copy_history",
    "history_model_for",
    "history_row",
    "history_user",
    "insert_select",
    "write_history",
    "write_instance_history",
]


class FrozenHistoricalRecords(HistoricalRecords):
    """``HistoricalRecords`` whose table layout ignores host settings.

    It also skips models that are swapped out (the default ``Contact`` when a host
    names its own contact model), so a swapped-out model leaves no history table.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("history_id_field", models.BigAutoField(primary_key=True))
        kwargs.setdefault("history_change_reason_field", models.TextField(null=True))
        # The generated primary marker is derived from ``is_primary`` by the database.
        kwargs.setdefault("excluded_fields", ["primary_marker"])
        super().__init__(**kwargs)

    @property
    def _date_indexing(self) -> bool:
        return True

    def finalize(self, sender: type[models.Model], **kwargs: Any) -> None:
        if sender._meta.swapped:
            return
        super().finalize(sender, **kwargs)


# -- who changed it -------------------------------------------------------------------


def history_user(user: AbstractBaseUser | AnonymousUser | None) -> AbstractBaseUser | None:
    """The user given, else the one django-simple-history's middleware saw, else ``None``."""
    if user is not None:
        # AnonymousUser has no pk.
        return cast("AbstractBaseUser", user) if getattr(user, "pk", None) is not None else None
    request = getattr(HistoricalRecords.context, "request", None)
    request_user = getattr(request, "user", None)
    return request_user if getattr(request_user, "is_authenticated", False) else None


# -- history in batches ---------------------------------------------------------------


def history_model_for(model: type[models.Model]) -> type[models.Model] | None:
    """The django-simple-history model of ``model``, when it has one and history is on."""
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return None
    return _history_model(model)


@functools.cache
def _history_model(model: type[models.Model]) -> type[models.Model] | None:
    # simple-history builds a manager class to answer (a few hundred microseconds): once per model.
    try:
        return get_history_model_for_model(model)  # type: ignore[no-any-return]
    except NotHistoricalModelError:
        return None


def fit_reason(history_model: type[models.Model], reason: str | None) -> str | None:
    """``reason`` cut to the change reason column's length, when it has one."""
    if reason is None:
        return None
    reason_field = cast("models.Field[Any, Any]", history_model._meta.get_field("history_change_reason"))
    max_length = reason_field.max_length
    return reason[:max_length] if max_length else reason


def history_row(
    history_model: type[models.Model],
    instance: models.Model,
    history_type: str,
    user: AbstractBaseUser | None,
    when: datetime,
    reason: str | None,
) -> models.Model:
    """An unsaved history row of ``instance`` as it is now."""
    tracked = history_model.tracked_fields  # type: ignore[attr-defined]  # set by simple-history
    row = history_model(
        history_date=when,
        history_type=history_type,
        history_user=user,
        history_change_reason=fit_reason(history_model, reason),
        **{f.attname: getattr(instance, f.attname) for f in tracked},
    )
    if hasattr(history_model, "history_relation"):
        row.history_relation_id = instance.pk  # type: ignore[attr-defined]  # simple-history's field
    return row


def write_instance_history(
    model: type[models.Model],
    entries: Iterable[tuple[models.Model, str, str | None]],
    user: AbstractBaseUser | None,
    when: datetime,
    using: str,
) -> None:
    """History of instances of ``model`` as they are in memory: one row per
    ``(instance, history type, change reason)``, all in one batch of ``INSERT`` statements.

    For rows an operation changed with ``UPDATE``/``DELETE`` statements rather than
    ``save()``/``delete()`` (so simple-history's own receivers didn't see them), written
    with the operation's instant and user. Nothing when ``model`` keeps no history.
    A table with simple-history's own layout (see :func:`writes_in_sql`) gets the rows
    ``bulk_create()`` would write, as SQL, without a history instance per row; any
    other layout goes through ``bulk_create()``.
    """
    history_model = history_model_for(model)
    if history_model is None:
        return
    entries = list(entries)
    if not entries:
        return
    if not writes_in_sql(history_model):
        instances = [history_row(history_model, one, kind, user, when, reason) for one, kind, reason in entries]
        history_model._default_manager.using(using).bulk_create(instances)
        return
    connection = connections[using]
    tracked, user_field, user_value_field, has_relation = _instance_columns(history_model)
    meta = history_model._meta
    fixed = [cast("models.Field[Any, Any]", meta.get_field(name)) for name in ("history_date", "history_type")]
    reason_field = cast("models.Field[Any, Any]", meta.get_field("history_change_reason"))
    fields = [*tracked, *fixed, reason_field, user_field]
    if has_relation:
        fields.append(cast("models.Field[Any, Any]", meta.get_field("history_relation")))
    user_pk = getattr(user, "pk", None)
    prep_user = user_value_field.get_db_prep_save(user_pk, connection)
    prep_when = fixed[0].get_db_prep_save(when, connection)
    rows = []
    for instance, kind, reason in entries:
        values = [field.get_db_prep_save(getattr(instance, field.attname), connection) for field in tracked]
        values += [prep_when, kind, reason_field.get_db_prep_save(fit_reason(history_model, reason), connection)]
        values.append(prep_user)
        if has_relation:
            values.append(fields[-1].get_db_prep_save(instance.pk, connection))
        rows.append(values)
    quote = connection.ops.quote_name
    # A concrete field always has a column.
    head = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(cast(str, field.column)) for field in fields)}) VALUES "
    )
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # One row a statement, all sent at once: psycopg pipelines them, MySQLdb makes them
    # one multi-row INSERT, SQLite runs them without a parse each.
    with connection.cursor() as cursor:
        cursor.executemany(head + placeholders, rows)


def _user_column(history_model: type[models.Model]) -> tuple[models.Field[Any, Any], models.Field[Any, Any]]:
    """The history table's user field, and the field its value is prepared as (the user's
    pk field when it is a foreign key)."""
    names = {f.name for f in history_model._meta.concrete_fields}
    field = cast(
        "models.Field[Any, Any]",
        history_model._meta.get_field("history_user" if "history_user" in names else "history_user_id"),
    )
    return field, cast("models.ForeignKey[Any, Any]", field).target_field if field.is_relation else field


@functools.cache
def _instance_columns(
    history_model: type[models.Model],
) -> tuple[list[models.Field[Any, Any]], models.Field[Any, Any], models.Field[Any, Any], bool]:
    """The history table's fields an instance fills (the tracked ones), its user field and
    the field its value is prepared as, and whether it has simple-history's
    ``history_relation``."""
    tracked = [
        cast("models.Field[Any, Any]", history_model._meta.get_field(f.name))
        for f in history_model.tracked_fields  # type: ignore[attr-defined]  # set by simple-history
    ]
    return tracked, *_user_column(history_model), hasattr(history_model, "history_relation")


_HISTORY_FIELDS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}


def writes_in_sql(history_model: type[models.Model]) -> bool:
    """Whether the history table has django-simple-history's own layout, with database
    generated ids, so that one ``INSERT ... SELECT`` can write its rows."""
    tracked = {f.name for f in history_model.tracked_fields}  # type: ignore[attr-defined]  # set by simple-history
    for model_field in history_model._meta.concrete_fields:
        if model_field.name in tracked or model_field.name in _HISTORY_FIELDS - {"history_id"}:
            continue
        if model_field.name == "history_id" and isinstance(model_field, AutoFieldMixin):
            continue
        if model_field.name in ("history_user_id", "history_relation"):
            continue
        return False
    return True


def write_history(
    model: type[models.Model],
    rows: models.QuerySet[Any],
    changes: dict[str, Any],
    dropped: list[Any],
    user: AbstractBaseUser | None,
    when: datetime,
    *,
    moved_reason: str,
    dropped_reason: str,
    created: list[Any] | None = None,
    created_reason: str = "",
) -> None:
    """History of the rows about to change: ``"~"`` with ``changes`` for the rows that
    move, ``"-"`` as they are for the ``dropped`` pks, ``"+"`` as they are for the
    ``created`` pks (rows just inserted). One statement, whatever the rows.

    With django-simple-history's own layout the rows are copied in the database
    (``INSERT ... SELECT``); otherwise (UUID history ids, extra history fields) they are
    read and written with one ``bulk_create``.
    """
    history_model = history_model_for(model)
    if history_model is None:
        return
    is_dropped = Q(pk__in=dropped) if dropped else None
    is_created = Q(pk__in=created) if created else None

    def unless_dropped(expression: Any, original: Any, new: Any = None) -> Any:
        if not isinstance(expression, models.Expression):
            expression = Value(expression)
        whens = []
        if is_dropped is not None:
            whens.append(When(is_dropped, then=original))
        if is_created is not None:
            whens.append(When(is_created, then=original if new is None else new))
        return Case(*whens, default=expression) if whens else expression

    user_pk = getattr(user, "pk", None)
    columns: dict[str, Any] = {}
    for tracked in history_model.tracked_fields:  # type: ignore[attr-defined]  # set by simple-history
        original = F(tracked.attname)
        columns[tracked.attname] = (
            unless_dropped(changes[tracked.attname], original) if tracked.attname in changes else original
        )
    columns["history_type"] = unless_dropped(Value("~"), Value("-"), Value("+"))
    columns["history_change_reason"] = unless_dropped(
        Value(fit_reason(history_model, moved_reason)),
        Value(fit_reason(history_model, dropped_reason)),
        Value(fit_reason(history_model, created_reason)),
    )
    if not writes_in_sql(history_model):
        bulk_history(history_model, rows, columns, user, when)
        return
    columns.update(
        _stamp_columns(
            history_model,
            Value(when, output_field=models.DateTimeField()),
            lambda user_value_field: Value(user_pk, output_field=user_value_field),
        )
    )
    insert_select(history_model, rows, columns)


def _stamp_columns(
    history_model: type[models.Model],
    when: models.Expression,
    user: Callable[[models.Field[Any, Any]], models.Expression],
) -> dict[str, Any]:
    """The columns of an ``INSERT ... SELECT`` that stamp each history row: its date
    (``when``), its user (``user`` makes the expression of the pk, given the field it is
    prepared as) and, where simple-history keeps it, the row it is the history of."""
    user_field, user_value_field = _user_column(history_model)
    columns: dict[str, Any] = {"history_date": when, user_field.attname: user(user_value_field)}
    if hasattr(history_model, "history_relation"):
        columns["history_relation_id"] = F("pk")
    return columns


def insert_select(history_model: type[models.Model], rows: models.QuerySet[Any], columns: dict[str, Any]) -> None:
    """``INSERT INTO <history> (<columns>) SELECT <expressions> FROM <rows>``."""
    sql, params = insert_select_sql(history_model, rows, columns)
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)


def insert_select_sql(
    history_model: type[models.Model], rows: models.QuerySet[Any], columns: dict[str, Any]
) -> tuple[str, list[Any]]:
    """The SQL and parameters of :func:`insert_select`."""
    aliases = {f"merge_h{i}": expression for i, expression in enumerate(columns.values())}
    select = rows.annotate(**aliases).values_list(*aliases)
    sql, params = select.query.get_compiler(rows.db).as_sql()
    connection = connections[rows.db]
    quote = connection.ops.quote_name
    # A concrete field always has a column.
    by_attname = {f.attname: cast(str, f.column) for f in history_model._meta.concrete_fields}
    targets = ", ".join(quote(by_attname[attname]) for attname in columns)
    return f"INSERT INTO {quote(history_model._meta.db_table)} ({targets}) {sql}", list(params)


#: :func:`copy_history` statements, compiled once per model, database and number of rows.
_COPIES: dict[tuple[Any, ...], tuple[str, list[Any]] | None] = {}


def copy_history(
    model: type[models.Model],
    pks: list[Any],
    user: AbstractBaseUser | None,
    when: datetime,
    using: str,
    *,
    order_by: str = "pk",
) -> bool:
    """History rows (``"~"``, no reason) of the rows with these pks as they are in the
    database now, copied by one ``INSERT ... SELECT`` compiled once per model, database
    and number of rows, in ``order_by`` order. ``False`` (nothing written) when the
    history table hasn't simple-history's own layout: write the history otherwise then.
    ``True`` also when ``model`` keeps no history."""
    history_model = history_model_for(model)
    if history_model is None:
        return True
    from .locking import Param  # the bottom of the import graph, beside this module

    connection = connections[using]
    key = (model, using, connection.vendor, len(pks), order_by)
    if key not in _COPIES:
        statement = None
        if writes_in_sql(history_model):
            pk_field = model._meta.pk
            columns: dict[str, Any] = {
                f.attname: F(f.attname)
                for f in history_model.tracked_fields  # type: ignore[attr-defined]  # set by simple-history
            }
            columns["history_type"] = Value("~")
            columns["history_change_reason"] = Value(None, output_field=models.TextField())
            columns.update(
                _stamp_columns(
                    history_model,
                    Param("when", models.DateTimeField()),
                    lambda user_value_field: Param("user", user_value_field),
                )
            )
            keys = [Param(f"pk{index}", pk_field) for index in range(len(pks))]
            rows = model._base_manager.using(using).filter(pk__in=keys).order_by(order_by)
            statement = insert_select_sql(history_model, rows, columns)
        _COPIES[key] = statement
    statement = _COPIES[key]
    if statement is None:
        return False
    sql, params = statement
    values = {"when": when, "user": getattr(user, "pk", None), **{f"pk{index}": pk for index, pk in enumerate(pks)}}
    with connection.cursor() as cursor:
        cursor.execute(sql, Param.fill(params, values, connection))
    return True


def bulk_history(
    history_model: type[models.Model],
    rows: models.QuerySet[Any],
    columns: dict[str, Any],
    user: AbstractBaseUser | None,
    when: datetime,
) -> None:
    """History rows built in Python from the rows as the database computes them."""
    aliases = {f"merge_h_{attname}": expression for attname, expression in columns.items()}
    history_rows = []
    for instance in rows.annotate(**aliases):
        values = {attname: getattr(instance, alias) for alias, attname in zip(aliases, columns, strict=True)}
        row = history_model(history_date=when, history_user=user, **values)
        if hasattr(history_model, "history_relation"):
            row.history_relation_id = instance.pk  # type: ignore[attr-defined]  # simple-history's field
        history_rows.append(row)
    history_model._default_manager.using(rows.db).bulk_create(history_rows)
