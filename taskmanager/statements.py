"""Statements of the notification hot path, their SQL written once per model, columns and database.

Django's ORM compiles every statement anew: 150 to 450 µs of Python for an ``UPDATE`` of one
row by its primary key, which SQLite runs in about 20 µs. An emission runs several per
handler (its delivery record, the policy's state row), so they were most of what the
framework cost beside the deliveries (docs/performance.rst, "Round two"). These run the same
statements from SQL built once, with the values prepared and read back by the model's own
fields (JSON, dates and time zones as the ORM would store and return them) and the names
quoted by the database's own rules.

Plain ``SELECT``, ``UPDATE`` and ``FOR UPDATE`` hold on every database Django supports; an
``INSERT`` takes the fast path where the database speaks ``RETURNING`` and ``ON CONFLICT``
as SQLite and PostgreSQL do, and goes through the ORM elsewhere (and for rows given their key,
or with a column the database computes). Like ``QuerySet.update()`` and ``bulk_create()``, none
of them sends signals.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.utils import timezone

M = TypeVar("M", bound=Model)
if TYPE_CHECKING:
    AnyField = Field[Any, Any]
else:
    AnyField = Field

#: Databases whose ``INSERT ... RETURNING`` and ``ON CONFLICT DO NOTHING`` are written as here.
_INSERT_DIALECTS = ("sqlite", "postgresql")


@cache
def auto_now_fields(model: type[Model]) -> tuple[str, ...]:
    """The fields the ORM sets to the current time on every save (``auto_now``)."""
    return tuple(field.name for field in model._meta.concrete_fields if getattr(field, "auto_now", False))


@cache
def _field(model: type[Model], name: str) -> AnyField:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _column(field: AnyField) -> str:
    assert field.column is not None  # every concrete field has a column
    return field.column


def _pk(model: type[Model]) -> AnyField:
    pk = model._meta.pk
    assert pk is not None
    return pk


@cache
def _update_sql(model: type[Model], names: tuple[str, ...], alias: str) -> str:
    quote = connections[alias].ops.quote_name
    columns = ", ".join(f"{quote(_column(_field(model, name)))} = %s" for name in names)
    return f"UPDATE {quote(model._meta.db_table)} SET {columns} WHERE {quote(_column(_pk(model)))} = %s"


def update_row(model: type[Model], pk: Any, values: Mapping[str, Any], *, using: str | None = None) -> int:
    """``UPDATE`` the fields ``values`` names of the row ``pk`` of ``model`` (its ``auto_now``
    fields set to now, as a save would); the number of rows changed (0 or 1). ``using``: the
    database alias (default: the router's choice, as for every function here)."""
    values = dict(values)
    now = None
    for name in auto_now_fields(model):
        if name not in values:
            now = now or timezone.now()
            values[name] = now
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    params = [_field(model, name).get_db_prep_save(value, connection) for name, value in values.items()]
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(model, tuple(values), alias), [*params, pk])
        return cursor.rowcount


Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


@dataclass(frozen=True)
class Reader:
    """How a row of some columns of a model is read as the ORM reads it: for each column whose
    raw value is not the field's (SQLite's text dates and 0/1 booleans, JSON), its position,
    its column expression and its converters (the backend's, then the field's), in order."""

    attnames: tuple[str, ...]
    converters: tuple[tuple[int, Any, tuple[Converter, ...]], ...]

    def values(self, row: Sequence[Any], connection: BaseDatabaseWrapper) -> list[Any]:
        values = list(row)
        for index, column, converters in self.converters:
            for convert in converters:
                values[index] = convert(values[index], column, connection)
        return values


# Per connection: the converters are the backend's methods bound to it (SQLite's read its time
# zone), and Django gives each thread a connection of its own; an entry goes with its connection.
_readers: weakref.WeakKeyDictionary[
    BaseDatabaseWrapper, dict[tuple[type[Model], tuple[str, ...]], Reader]
] = weakref.WeakKeyDictionary()
_readers_lock = threading.Lock()


def reader(model: type[Model], names: Sequence[str], connection: BaseDatabaseWrapper) -> Reader:
    """The :class:`Reader` of the fields ``names`` (attribute names) of ``model`` on ``connection``."""
    key = (model, tuple(names))
    known = _readers.get(connection)
    found = known.get(key) if known is not None else None
    if found is not None:
        return found
    converters = []
    for index, name in enumerate(key[1]):
        column = _field(model, name).get_col(model._meta.db_table)
        found_converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found_converters:
            converters.append((index, column, tuple(found_converters)))
    attnames = tuple(_field(model, name).attname for name in key[1])
    found = Reader(attnames, tuple(converters))
    with _readers_lock:
        _readers.setdefault(connection, {})[key] = found
    return found


#: In a ``where`` shape, in place of the count of an ``IN`` list: one value, or None (``IS NULL``,
#: as the ORM writes ``filter(field=None)``: ``= NULL`` would match nothing).
_ONE, _NULL = -1, -2


@cache
def _select_sql(
    model: type[Model],
    names: tuple[str, ...],
    where: tuple[tuple[str, int], ...],
    order_by: str,
    lock: bool,
    alias: str,
) -> str:
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(_field(model, name))) for name in names)
    conditions = " AND ".join(
        f"{quote(_column(_field(model, name)))} "
        + (f"IN ({', '.join(['%s'] * count)})" if count >= 0 else "= %s" if count == _ONE else "IS NULL")
        for name, count in where
    )
    sql = f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {conditions}"
    if order_by:
        sql += f" ORDER BY {quote(_column(_field(model, order_by)))}"
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql


def select_values(
    model: type[M],
    names: Sequence[str],
    where: Mapping[str, Any],
    *,
    order_by: str = "",
    for_update: bool = False,
    using: str | None = None,
) -> list[tuple[Any, ...]]:
    """The values of the fields ``names`` of the rows of ``model`` matching ``where`` (a field
    name to a value, None for ``IS NULL``, or a list or tuple of values for ``IN``), as the ORM
    returns them;
    ``for_update`` locks them where the database can (inside a transaction)."""
    alias = using or (router.db_for_write(model) if for_update else router.db_for_read(model))
    connection = connections[alias]
    shape = tuple(
        (name, len(value) if isinstance(value, list | tuple) else _NULL if value is None else _ONE)
        for name, value in where.items()
    )
    if any(count == 0 for _, count in shape):
        return []
    params: list[Any] = []
    for name, value in where.items():
        if value is None:
            continue
        field = _field(model, name)
        for one in value if isinstance(value, list | tuple) else [value]:
            params.append(field.get_db_prep_value(one, connection))
    sql = _select_sql(model, tuple(names), shape, order_by, for_update, alias)
    read = reader(model, names, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [tuple(read.values(row, connection)) for row in rows]


def select_rows(
    model: type[M],
    where: Mapping[str, Any],
    *,
    order_by: str = "",
    for_update: bool = False,
    using: str | None = None,
) -> list[M]:
    """The instances of ``model`` matching ``where`` (as :func:`select_values` takes it)."""
    names = tuple(field.attname for field in model._meta.concrete_fields)
    alias = using or (router.db_for_write(model) if for_update else router.db_for_read(model))
    rows = select_values(model, names, where, order_by=order_by, for_update=for_update, using=alias)
    return [model.from_db(alias, names, row) for row in rows]


@cache
def _insert_sql(
    model: type[Model], rows: int, ignore_conflicts: bool, alias: str
) -> tuple[str, list[AnyField]]:
    quote = connections[alias].ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    placeholders = ", ".join([f"({', '.join(['%s'] * len(fields))})"] * rows)
    columns = ", ".join(quote(_column(field)) for field in fields)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {placeholders}"
    sql += " ON CONFLICT DO NOTHING" if ignore_conflicts else f" RETURNING {quote(_column(_pk(model)))}"
    return sql, fields


@cache
def _database_numbers_every_row(model: type[Model]) -> bool:
    """Whether the statement here writes every column of ``model``'s rows: its key is numbered by
    the database, and no column is computed by it (a generated field, a ``db_default``)."""
    return model._meta.auto_field is not None and not any(
        field.generated or field.has_db_default() for field in model._meta.concrete_fields
    )


def insert_rows(objs: Sequence[Model], *, ignore_conflicts: bool = False, using: str | None = None) -> None:
    """``INSERT`` the unsaved instances ``objs`` (of one model) in one statement, setting their
    primary keys (unless ``ignore_conflicts``: rows that would break a unique constraint are
    left out, and the instances get no key), as ``bulk_create`` does. ``bulk_create`` itself
    does it where this statement would not store the same: a key given, or a column the
    database computes."""
    if not objs:
        return
    model = type(objs[0])
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    if (
        connection.vendor not in _INSERT_DIALECTS
        or not _database_numbers_every_row(model)
        or any(obj.pk is not None for obj in objs)
    ):
        model._default_manager.using(alias).bulk_create(objs, ignore_conflicts=ignore_conflicts)
        return
    sql, fields = _insert_sql(model, len(objs), ignore_conflicts, alias)
    params = [
        field.get_db_prep_save(field.pre_save(obj, add=True), connection) for obj in objs for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # In the order of VALUES, as Django's bulk_create takes them on these two databases.
        keys = [] if ignore_conflicts else [row[0] for row in cursor.fetchall()]
    for obj, key in zip(objs, keys, strict=False):
        obj.pk = key
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
