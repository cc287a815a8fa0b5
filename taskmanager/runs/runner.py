"""Run a task's command in this process and turn the run into a classified report.

The command runs as ``manage.py <name> <arguments>`` would (its own parser,
2.x's argument syntax) while :mod:`taskmanager.runs.capture` streams all it writes
into a :class:`~taskmanager.runs.sink.LogSink`: the report's log file, counted. The result:

* ``failed`` when the command raised (``CommandError``, any exception, or
  ``SystemExit`` with a non-zero code); the log ends with one error record and
  the command's traceback (:mod:`taskmanager.runs.failure`);
* else ``errors``, ``warnings`` or ``ok`` from the counted lines.

The log file is flushed every :data:`FLUSH_EVERY` seconds while the command runs, so
a process killed outright (``SIGKILL``) loses at most that much of its output, and the
report's heartbeat moves on every few seconds (:mod:`taskmanager.runs.heartbeat`), so a
run whose process died is told from one that goes on. The
report is saved by :mod:`taskmanager.runs.saving`, which never leaves it open for a
reason of its own. The caller (:mod:`taskmanager.execution`) sends the notifications
once the report is saved.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.core.management import load_command_class
from django.db import transaction
from django.utils import timezone

from taskmanager.arguments import ArgumentsError
from taskmanager.conf import settings
from taskmanager.extra import collecting_extra
from taskmanager.logfiles import logfile_path
from taskmanager.models import AppCommand, Report, Task
from taskmanager.results import Result
from taskmanager.runs.capture import capturing
from taskmanager.runs.failure import error_record, failure_record
from taskmanager.runs.heartbeat import beating, heartbeat_every
from taskmanager.runs.saving import save_finished
from taskmanager.runs.sink import LogSink, flushed_every

logger = logging.getLogger("taskmanager.runs")

# Large enough that a 40 MB log costs a few hundred write calls.
_FILE_BUFFER = 256 * 1024
#: Seconds between two flushes of the log file while the command runs.
FLUSH_EVERY = 1.0


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
    """Call ``run`` with its output captured into ``sink``; a failure ends the log, as one error."""
    outcome = Outcome()
    with collecting_extra() as extra, capturing(sink):
        try:
            run()
        except SystemExit as exc:
            if exc.code not in (0, None):
                outcome.failed = True
                sink.write_block(failure_record(exc), Result.ERRORS)
        except BaseException as exc:
            outcome.failed = True
            sink.write_block(failure_record(exc), Result.ERRORS)
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


def _notifications_disabled(task: Task) -> bool:
    try:
        by_arguments = task.notifications_disabled_by_arguments
    except ArgumentsError:
        # The run fails with the parse error in its log; that is worth a notification.
        by_arguments = False
    return not task.notifications_enabled or by_arguments


def start_run(task: Task) -> Report:
    """Open the report of a run of ``task`` starting now, and mark the task started: both or neither.

    :func:`run_task` calls it, unless the caller did, in its own transaction (the
    uWSGI spooler's job claims the task in the same one).
    """
    with transaction.atomic():
        now = timezone.now()
        report = Report.objects.create(task=task, invocation_datetime=now, heartbeat=now)
        task.status = Task.STATUS_STARTED
        task.save(update_fields=["status"])
    return report


def run_task(
    task: Task, *, on_saved: Callable[[Report], None] | None = None, report: Report | None = None
) -> Report:
    """Run ``task`` now, in this process: fill, save and return its report.

    ``report`` is the open report :func:`start_run` made for this run, if the caller
    started it; else it is made here. ``on_saved`` is called with the report once it
    is stored, also when the run was interrupted (Ctrl-C), before the interruption
    goes on up.
    """
    if report is None:
        report = start_run(task)
    started = report.invocation_datetime
    report.notifications_disabled = _notifications_disabled(task)

    path = logfile_path(task, report, started)
    tail_lines, max_line_length = settings.N_LINES_IN_REPORT_LOG, settings.MAX_LOG_LINE_LENGTH
    try:
        fh = _open_logfile(path)
    except OSError as exc:
        # Without a log file the command is not run: what it writes could not be kept.
        sink = LogSink(None, tail_lines=tail_lines, max_line_length=max_line_length)
        sink.write_block(error_record(f"Cannot open the log file {path}: {exc}"), Result.ERRORS)
        outcome = Outcome(failed=True)
        path = ""
    else:
        sink = LogSink(fh, tail_lines=tail_lines, max_line_length=max_line_length)
        app_command = task.command

        def run() -> None:
            execute_command(app_command, task.command_argv)

        with beating(report.pk, heartbeat_every()) as heartbeat, flushed_every(sink, FLUSH_EVERY):
            outcome = run_captured(sink, run)
        if heartbeat.failures:
            logger.warning(
                "%d of the %d heartbeats of report %s failed (last: %s).",
                heartbeat.failures, heartbeat.beats + heartbeat.failures, report.pk, heartbeat.last_error,
            )  # fmt: skip
    sink.close()

    _store(report, task, sink, outcome, path)
    if on_saved is not None:
        on_saved(report)
    if outcome.interrupted is not None:
        raise outcome.interrupted
    return report


def _open_logfile(path: str) -> BinaryIO:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Closed by the LogSink it is handed to.
    return open(path, "wb", buffering=_FILE_BUFFER)


def _store(report: Report, task: Task, sink: LogSink, outcome: Outcome, path: str) -> None:
    """Fill and save ``report``, then record it on ``task``; keep or delete the log file at ``path``."""
    tail = list(sink.tail)
    if sink.file_error is not None:
        tail.append(f"[taskmanager] the log file is incomplete: {sink.file_error}")
    report.end_datetime = timezone.now()
    # Its last sign of life (the beats of the run are not in this object).
    report.heartbeat = report.end_datetime
    # PostgreSQL text cannot hold NUL characters.
    report.log = "\n".join(tail).replace("\x00", "\ufffd")
    report.n_log_lines = sink.n_lines
    report.n_log_errors = sink.n_errors
    report.n_log_warnings = sink.n_warnings
    report.invocation_result = classify(outcome.failed, sink.n_errors, sink.n_warnings)
    report.extra = outcome.extra
    report.logfile = path if settings.SAVE_LOGFILE else ""
    if path and not settings.SAVE_LOGFILE:
        with contextlib.suppress(OSError):
            os.remove(path)
    save_finished(report, task)
