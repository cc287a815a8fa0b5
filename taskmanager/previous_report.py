"""The report before a report in its task's history, read in one prepared statement.

Every notification's context asks for it (``previous``, the notification policy's). Through
the ORM, the query cost 0.5 ms of CPU per emission, almost all of it Django compiling it again
(lookups, the model's ordering, thirteen columns, their converters) for a statement SQLite
runs in about 20 µs. The statement is written here once per database backend, with the
backend's own quoting, placeholders and row limit; its values are prepared by the fields and
its columns converted by the backend's and the fields' converters, as the ORM does: the same
instance comes back, on SQLite, PostgreSQL and MySQL.

``start <= X AND NOT (start = X AND id >= Y)`` is "before (X, Y) in ``(start, id)`` order"
written so that the planner reads it as one range of the ``(task, -start, -id)`` index
(``dt < X OR (dt = X AND id < Y)`` is not). Reports started at the same moment (made in a
batch) are told apart by their id, as the report list orders them.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.db import connections, router

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models import Field, Model

    from taskmanager.models import Report

ReportT = TypeVar("ReportT", bound="Report")
Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class Statement:
    """The statement for one model on one connection, and how to read its row."""

    sql: str
    #: The attribute names of the columns selected, in order (``Model.from_db``'s).
    attnames: list[str]
    #: For each column whose value the database does not give as Python's: its index, its
    #: column expression and the converters the ORM would apply to it, in order.
    converters: list[tuple[int, Any, list[Converter]]]

    def read(self, row: tuple[Any, ...], connection: BaseDatabaseWrapper) -> list[Any]:
        values = list(row)
        for index, column, converters in self.converters:
            for convert in converters:
                values[index] = convert(values[index], column, connection)
        return values


# Per connection: the converters are the backend's methods bound to it (SQLite's read its time
# zone), and Django gives each thread a connection of its own; an entry goes with its connection.
_statements: weakref.WeakKeyDictionary[BaseDatabaseWrapper, dict[type[Model], Statement]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def _column(model: type[Model], name: str) -> Field[Any, Any]:
    """The model's field ``name`` (``"pk"``: its primary key), a column of its table."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    return cast("Field[Any, Any]", field)


def statement(model: type[Model], connection: BaseDatabaseWrapper) -> Statement:
    """``SELECT`` every column of the report before ``(task, start, id)``, newest first, one row."""
    known = _statements.get(connection)
    found = known.get(model) if known is not None else None
    if found is not None:
        return found
    meta, ops = model._meta, connection.ops
    quote = ops.quote_name
    fields = meta.concrete_fields
    task, start, pk = (
        quote(str(_column(model, name).column)) for name in ("task", "invocation_datetime", "pk")
    )
    sql = (
        f"SELECT {', '.join(quote(str(field.column)) for field in fields)} FROM {quote(meta.db_table)} "
        f"WHERE {task} = %s AND {start} <= %s AND NOT ({start} = %s AND {pk} >= %s) "
        f"ORDER BY {start} DESC, {pk} DESC {ops.limit_offset_sql(0, 1)}"
    )
    converters = []
    for index, field in enumerate(fields):
        # As the ORM's compiler does: the backend's converters (SQLite's text dates, its 0/1
        # booleans), then the field's own (from_db_value: JSON).
        column = field.get_col(meta.db_table)
        found_converters = ops.get_db_converters(column) + column.get_db_converters(connection)
        if found_converters:
            converters.append((index, column, found_converters))
    found = Statement(sql, [field.attname for field in fields], converters)
    with _lock:
        _statements.setdefault(connection, {})[model] = found
    return found


def previous_report(report: ReportT) -> ReportT | None:
    """The task's report before ``report`` (by start, then id); None for its first, or for a
    report that is not saved (samples)."""
    if report.pk is None or report.task_id is None or report._state.adding:
        return None
    model = type(report)
    alias = router.db_for_read(model)
    connection = connections[alias]

    def prepared(name: str, value: Any) -> Any:
        return _column(model, name).get_db_prep_value(value, connection, prepared=False)

    start = prepared("invocation_datetime", report.invocation_datetime)
    params = [prepared("task", report.task_id), start, start, prepared("pk", report.pk)]
    query = statement(model, connection)
    with connection.cursor() as cursor:
        cursor.execute(query.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return model.from_db(alias, query.attnames, query.read(row, connection))
