"""Store a run's report: whatever the command left in ``extra``, whatever the database does.

When the report is saved the command has run, and its run must end with a closed
report whatever happens now:

* ``extra`` is made storable first (:func:`storable`): a circular reference becomes
  ``"[circular reference]"``, ``NaN`` and the infinities ``null``, a value JSON does not
  know its ``repr()``, a key that is not a string text (as ``json.dumps`` writes ``1``, ``None``,
  ``True``; others their ``str()``);
* a save that fails for a reason that passes (a locked SQLite database, a connection lost:
  Django's ``OperationalError`` and ``InterfaceError``) is tried again after 0.5 s, 1 s,
  2 s... (at most 5 s apart) for up to :data:`RETRY_FOR` seconds, each retry logged;
* when it still fails, or fails for a reason that trying again cannot help (a value the
  database refuses), a last attempt closes the report with only its end, result, counts
  and log file, and a note in its ``log`` saying why; that is logged as an error on
  ``taskmanager.runs``. If even that fails, a critical record says which report is left
  open (``restart_despooled_tasks --foreground`` closes it) and the error goes on up.

Time is a parameter (``sleep``, ``clock``), so tests of the retries wait for nothing.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import (
    DatabaseError,
    Error,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
    transaction,
)

from taskmanager.models import Report, Task
from taskmanager.runs.interrupted import OPEN

logger = logging.getLogger("taskmanager.runs")

CIRCULAR = "[circular reference]"
TOO_DEEP = "[nested too deeply]"
#: Containers deeper than this are cut (JSON encoders recurse, and so does this).
MAX_DEPTH = 100
#: Seconds a save is tried again for while the database is locked or away.
RETRY_FOR = 30.0
FIRST_DELAY = 0.5
MAX_DELAY = 5.0
#: What may pass: trying again can help.
TRANSIENT = (OperationalError, InterfaceError)

_encoder = DjangoJSONEncoder()
_UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


# -- extra -----------------------------------------------------------------------------


def storable(extra: dict[Any, Any]) -> dict[str, Any]:
    """``extra`` as every database's JSON column stores it (see the module's docstring)."""
    value = _storable(extra, set(), 0)
    return value if isinstance(value, dict) else {}


def _text(value: str) -> str:
    # PostgreSQL refuses NUL and lone surrogates in JSON text.
    return _UNSTORABLE_CHARACTERS.sub("\ufffd", value)


def _key(key: object) -> str:
    if isinstance(key, str):
        return _text(key)
    if key is None or isinstance(key, (bool, float)):
        return _encoder.encode(key)  # as json.dumps writes such keys: "null", "true", "1.5"
    return _text(str(key))


def _storable(value: Any, ancestors: set[int], depth: int) -> Any:
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if not isinstance(value, (dict, list, tuple)):
        try:
            return _text(_encoder.default(value))
        except TypeError:
            return _text(_repr(value))
    if id(value) in ancestors:
        return CIRCULAR
    if depth >= MAX_DEPTH:
        return TOO_DEEP
    ancestors.add(id(value))
    try:
        if isinstance(value, dict):
            # A copy: a thread of the command may still change it.
            return {_key(key): _storable(item, ancestors, depth + 1) for key, item in list(value.items())}
        return [_storable(item, ancestors, depth + 1) for item in list(value)]
    finally:
        ancestors.discard(id(value))


def _repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__name__} object (its repr() failed)>"


# -- saving ----------------------------------------------------------------------------


def refresh_connections() -> None:
    """Replace unusable or expired connections, as Django does between two requests.

    A long task can outlive its database connection. Not inside a transaction: the
    caller's (a test's) must stay as it is.
    """
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()


def record_on_task(task: Task, report: Report) -> None:
    """The run is over: the task is idle again, with ``report`` as its last run."""
    task.status = Task.STATUS_IDLE
    task.record_last_run(report, "status")


def save_finished(
    report: Report,
    task: Task,
    *,
    retry_for: float = RETRY_FOR,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Save the filled ``report`` and record it on ``task``, in one transaction, robustly.

    Raises only when even the last, minimal attempt fails.
    """
    report.extra = storable(report.extra)
    deadline = clock() + retry_for
    delay = FIRST_DELAY
    while True:
        refresh_connections()
        try:
            with transaction.atomic():
                report.save()
                record_on_task(task, report)
            return
        except TRANSIENT as exc:
            if clock() + delay > deadline:
                error: Error = exc
                break
            logger.warning(
                "Saving report %s of task %r failed (%s); trying again in %.1f s.",
                report.pk, task.name, exc, delay,
            )  # fmt: skip
            sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
        except DatabaseError as exc:
            error = exc
            break
    close_minimally(report, task, error)


def close_minimally(report: Report, task: Task, error: Error) -> None:
    """The last attempt: close ``report`` with its end, result, counts and log file only."""
    logger.error(
        "Report %s of task %r could not be saved (%s). Its run ended %s (%s errors, %s warnings); "
        "closing it with its result only.",
        report.pk, task.name, error, report.invocation_result, report.n_log_errors, report.n_log_warnings,
    )  # fmt: skip
    where = " The log file has the whole log." if report.logfile else ""
    report.log = f"[taskmanager] This report could not be saved in full: {error}.{where}"
    report.extra = {}
    refresh_connections()
    try:
        with transaction.atomic():
            Report.objects.filter(OPEN, pk=report.pk).update(
                end_datetime=report.end_datetime,
                invocation_result=report.invocation_result,
                n_log_lines=report.n_log_lines,
                n_log_errors=report.n_log_errors,
                n_log_warnings=report.n_log_warnings,
                logfile=report.logfile,
                log=report.log,
                extra={},
            )
            record_on_task(task, report)
    except Error:
        logger.critical(
            "Report %s of task %r is left open: the database refused even its result (%s). "
            "restart_despooled_tasks --foreground closes it.",
            report.pk, task.name, report.invocation_result,
        )  # fmt: skip
        raise
