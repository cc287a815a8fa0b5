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

import functools
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.db import connections, router

from taskmanager.statements import reader

if TYPE_CHECKING:
    from django.db.models import Field, Model

    from taskmanager.models import Report

ReportT = TypeVar("ReportT", bound="Report")


def _column(model: type[Model], name: str) -> Field[Any, Any]:
    """The model's field ``name`` (``"pk"``: its primary key), a column of its table."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    return cast("Field[Any, Any]", field)


@functools.cache
def statement(model: type[Model], alias: str) -> str:
    """``SELECT`` every column of the report before ``(task, start, id)``, newest first, one row
    (written once per database: only its quoting and row limit depend on it)."""
    meta, ops = model._meta, connections[alias].ops
    quote = ops.quote_name
    task, start, pk = (
        quote(str(_column(model, name).column)) for name in ("task", "invocation_datetime", "pk")
    )
    return (
        f"SELECT {', '.join(quote(str(field.column)) for field in meta.concrete_fields)} "
        f"FROM {quote(meta.db_table)} "
        f"WHERE {task} = %s AND {start} <= %s AND NOT ({start} = %s AND {pk} >= %s) "
        f"ORDER BY {start} DESC, {pk} DESC {ops.limit_offset_sql(0, 1)}"
    )


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
    with connection.cursor() as cursor:
        cursor.execute(statement(model, alias), params)
        row = cursor.fetchone()
    if row is None:
        return None
    read = reader(model, [field.attname for field in model._meta.concrete_fields], connection)
    return model.from_db(alias, read.attnames, read.values(row, connection))
