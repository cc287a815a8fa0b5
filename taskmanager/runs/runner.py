"""Run a task's command in this process and turn the run into a classified report.

The command runs as ``manage.py <name> <arguments>`` would (its own parser,
2.x's argument syntax) while :mod:`taskmanager.runs.capture` streams all it writes
into a :class:`~taskmanager.runs.sink.LogSink`: the report's log file, counted. The result:

* ``failed`` when the command raised (``CommandError``, any exception, or
  ``SystemExit`` with a non-zero code); the traceback goes into the log;
* else ``errors``, ``warnings`` or ``ok`` from the counted lines.

The caller (:mod:`taskmanager.execution`) sends the notifications once the
report is saved.
"""

from __future__ import annotations

import contextlib
import json
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.core.management import load_command_class
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connections
from django.utils import timezone

from taskmanager.arguments import ArgumentsError
from taskmanager.conf import settings
from taskmanager.extra import collecting_extra
from taskmanager.logfiles import logfile_path
from taskmanager.models import AppCommand, Report, Task
from taskmanager.results import Result
from taskmanager.runs.capture import capturing
from taskmanager.runs.sink import LogSink

# Large enough that a 40 MB log costs a few hundred write calls.
_FILE_BUFFER = 256 * 1024


def execute_command(app_command: AppCommand, argv: list[str]) -> None:
    """Run a command as ``manage.py <name> <argv>`` does, letting any exception out."""
    command = load_command_class(app_command.app_name, app_command.name)
    parser = command.create_parser("manage.py", app_command.name)
    options = vars(parser.parse_args(argv))
    args = options.pop("args", ())
    # As call_command: a task is no place to run the project's system checks.
    options["skip_checks"] = True
    command.execute(*args, **options)


@dataclass
class Outcome:
    """What a run left behind, before it is stored on the report."""

    failed: bool = False
    interrupted: BaseException | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def run_captured(sink: LogSink, run: Callable[[], None]) -> Outcome:
    """Call ``run`` with its output captured into ``sink``; tracebacks go to the log."""
    outcome = Outcome()
    with collecting_extra() as extra, capturing(sink):
        try:
            run()
        except SystemExit as exc:
            if exc.code not in (0, None):
                outcome.failed = True
                sink.write_block("".join(traceback.format_exception(exc)))
        except BaseException as exc:
            outcome.failed = True
            sink.write_block("".join(traceback.format_exception(exc)))
            if not isinstance(exc, Exception):
                # Ctrl-C and the like: the report is saved, then it goes on up.
                outcome.interrupted = exc
    outcome.extra = extra
    return outcome


def classify(failed: bool, n_errors: int, n_warnings: int) -> Result:
    if failed:
        return Result.FAILED
    if n_errors:
        return Result.ERRORS
    if n_warnings:
        return Result.WARNINGS
    return Result.OK


class _ExtraEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return repr(o)


def jsonable(extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` as JSON can store it: values JSON does not know become their repr()."""
    value = json.loads(json.dumps(extra, cls=_ExtraEncoder))
    return value if isinstance(value, dict) else {}


def _refresh_connections() -> None:
    # A long task can outlive its database connection; outside a transaction
    # Django replaces unusable or expired ones, as between two requests.
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()


def _notifications_disabled(task: Task) -> bool:
    try:
        by_arguments = task.notifications_disabled_by_arguments
    except ArgumentsError:
        # The run fails with the parse error in its log; that is worth a notification.
        by_arguments = False
    return not task.notifications_enabled or by_arguments


def run_task(task: Task, *, on_saved: Callable[[Report], None] | None = None) -> Report:
    """Run ``task`` now, in this process: create, fill and return its report.

    ``on_saved`` is called with the report once it is stored, also when the run
    was interrupted (Ctrl-C), before the interruption goes on up.
    """
    started = timezone.now()
    report = Report.objects.create(task=task, invocation_datetime=started)
    task.status = Task.STATUS_STARTED
    task.save(update_fields=["status"])
    report.notifications_disabled = _notifications_disabled(task)

    path = logfile_path(task, report, started)
    tail_lines, max_line_length = settings.N_LINES_IN_REPORT_LOG, settings.MAX_LOG_LINE_LENGTH
    try:
        fh = _open_logfile(path)
    except OSError as exc:
        # Without a log file the command is not run: what it writes could not be kept.
        sink = LogSink(None, tail_lines=tail_lines, max_line_length=max_line_length)
        sink.write_block(f"Cannot open the log file {path}: {exc}")
        outcome = Outcome(failed=True)
        path = ""
    else:
        sink = LogSink(fh, tail_lines=tail_lines, max_line_length=max_line_length)
        app_command = task.command

        def run() -> None:
            execute_command(app_command, task.command_argv)

        outcome = run_captured(sink, run)
    sink.close()

    _refresh_connections()
    _store(report, sink, outcome, path)
    record_on_task(task, report)
    if on_saved is not None:
        on_saved(report)
    if outcome.interrupted is not None:
        raise outcome.interrupted
    return report


def _open_logfile(path: str) -> BinaryIO:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Closed by the LogSink it is handed to.
    return open(path, "wb", buffering=_FILE_BUFFER)


def _store(report: Report, sink: LogSink, outcome: Outcome, path: str) -> None:
    """Fill and save ``report``; keep or delete the log file at ``path`` ("" for none)."""
    tail = list(sink.tail)
    if sink.file_error is not None:
        tail.append(f"[taskmanager] the log file is incomplete: {sink.file_error}")
    report.end_datetime = timezone.now()
    # PostgreSQL text cannot hold NUL characters.
    report.log = "\n".join(tail).replace("\x00", "\ufffd")
    report.n_log_lines = sink.n_lines
    report.n_log_errors = sink.n_errors
    report.n_log_warnings = sink.n_warnings
    report.invocation_result = classify(outcome.failed, sink.n_errors, sink.n_warnings)
    report.extra = jsonable(outcome.extra)
    report.logfile = path if settings.SAVE_LOGFILE else ""
    if path and not settings.SAVE_LOGFILE:
        with contextlib.suppress(OSError):
            os.remove(path)
    report.save()


def record_on_task(task: Task, report: Report) -> None:
    """The run is over: the task is idle again, with ``report`` as its last run."""
    task.status = Task.STATUS_IDLE
    task.record_last_run(report, "status")
