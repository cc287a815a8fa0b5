"""Run a task's command in this process, capture all it writes, classify the run.

Everything the command writes while it runs goes to one log file, in order:

* ``self.stdout`` / ``self.stderr`` of the command, ``print()`` and any write to
  ``sys.stdout`` / ``sys.stderr`` (text, or bytes to their ``.buffer``);
* every logging record that reaches the root logger or a logger with
  ``propagate = False``, whatever the logger levels and handlers of the project.

Lines are counted as they stream by; only the last
``N_LINES_IN_REPORT_LOG`` lines are kept in memory, for ``Report.log``.
Classification, exactly:

* a logging record counts by its level: ``WARNING`` is a warning, ``ERROR``
  and ``CRITICAL`` are errors, once per record whatever its format or its
  number of lines;
* any other line counts as an error when it contains ``ERROR`` and otherwise
  as a warning when it contains ``WARNING`` (upper case substrings, as 2.x);
* result: ``failed`` when the command raised (``SystemExit`` with a non-zero
  code included), else ``errors``, ``warnings`` or ``ok`` from the counts.

``sys.stdout``, ``sys.stderr``, the root logger and the log record factory are
process-wide: run one task at a time per process (uWSGI's spooler does).
"""

from __future__ import annotations

import codecs
import contextlib
import datetime
import io
import json
import logging
import os
import re
import sys
import threading
import traceback
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.core.management import load_command_class
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connections
from django.utils import timezone

from taskmanager.arguments import ArgumentsError
from taskmanager.conf import settings
from taskmanager.extra import collecting_extra
from taskmanager.models import AppCommand, Report, Task

#: How the runner writes the logging records it captures into the log file.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

notifications_logger = logging.getLogger("taskmanager.notifications")

_ERROR, _WARNING = 2, 1
# A substring split across two writes is still found: keep this many characters.
_CARRY = len("WARNING") - 1
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Large enough that a 40 MB log costs a few hundred write calls, not one a line.
_FILE_BUFFER = 256 * 1024


def text_level(text: str) -> int:
    """2.x's rule for a line that is not a logging record."""
    if "ERROR" in text:
        return _ERROR
    if "WARNING" in text:
        return _WARNING
    return 0


def record_level(record: logging.LogRecord) -> int:
    if record.levelno >= logging.ERROR:
        return _ERROR
    if record.levelno >= logging.WARNING:
        return _WARNING
    return 0


def clip(line: str, limit: int, length: int | None = None) -> str:
    """Cut ``line`` at ``limit`` characters, saying how many were left out."""
    length = len(line) if length is None else length
    if limit <= 0 or length <= limit:
        return line
    return f"{line[:limit]}… [{length - limit:,} more characters]"


class LogSink:
    """Where a run's output goes: the log file, the counts and a bounded tail.

    Text is written to the file as it comes and split into lines only to count
    them; a line longer than the tail's limit is never held whole, even when
    it arrives in many writes without a newline.
    """

    def __init__(self, fh: BinaryIO | None, *, tail_lines: int, max_line_length: int) -> None:
        self._fh = fh
        self.file_error: OSError | None = None
        self.tail: deque[str] = deque(maxlen=max(tail_lines, 0))
        self._limit = max_line_length
        self.n_lines = 0
        self.text_errors = 0
        self.text_warnings = 0
        self.record_errors = 0
        self.record_warnings = 0
        # The unfinished last line: its kept head, full length, level so far
        # and last few characters (to find ERROR split across writes).
        self._parts: list[str] = []
        self._kept = 0
        self._length = 0
        self._level = 0
        self._carry = ""
        # Bumped on every write of plain text: a logging record compares it
        # with its value when the record was made (see RecordHandler).
        self.text_seq = 0
        self.lock = threading.Lock()

    @property
    def n_errors(self) -> int:
        return self.text_errors + self.record_errors

    @property
    def n_warnings(self) -> int:
        return self.text_warnings + self.record_warnings

    # -- writing ----------------------------------------------------------

    def write_text(self, text: str, data: bytes) -> None:
        """Plain output (``data`` is ``text`` encoded): counted by 2.x's rule."""
        with self.lock:
            self.text_seq += 1
            self._write(data)
            self._take(text, counted=True)

    def write_block(self, text: str, level: int = 0) -> None:
        """A logging record or a traceback: on lines of its own, counted once by ``level``."""
        with self.lock:
            self.end_partial_line()
            if not text.endswith("\n"):
                text += "\n"
            self._write(_encode(text)[1])
            self._take(text, counted=False)
            self.count_level(level)

    def count_level(self, level: int) -> None:
        if level == _ERROR:
            self.record_errors += 1
        elif level == _WARNING:
            self.record_warnings += 1

    def end_partial_line(self) -> None:
        """Finish an unfinished line with a newline (the caller holds the lock)."""
        if self._length:
            self._write(b"\n")
            self._finish_partial()

    def flush(self) -> None:
        with self.lock:
            if self._fh is not None:
                try:
                    self._fh.flush()
                except OSError as exc:
                    self._lose_file(exc)

    def close(self) -> None:
        with self.lock:
            if self._length:
                self._finish_partial()
            if self._fh is not None:
                try:
                    self._fh.close()
                except OSError as exc:
                    self._lose_file(exc)
                self._fh = None

    def _write(self, data: bytes) -> None:
        if self._fh is None:
            return
        try:
            self._fh.write(data)
        except OSError as exc:
            self._lose_file(exc)

    def _lose_file(self, exc: OSError) -> None:
        # A full disk must not fail the task: counting and the tail go on.
        self.file_error = self.file_error or exc
        fh, self._fh = self._fh, None
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()

    # -- counting ---------------------------------------------------------

    def _take(self, text: str, *, counted: bool) -> None:
        if "\n" not in text:
            if text:
                self._add_partial(text, counted)
            return
        if not self._length and text[-1] == "\n" and text.count("\n") == 1:
            # One whole line per write: by far the most common case.
            line = text[:-1]
            self._finish(line, text_level(line) if counted else 0, len(line))
            return
        first, _, rest = text.partition("\n")
        if self._length:
            self._add_partial(first, counted)
            self._finish_partial()
        else:
            self._finish(first, text_level(first) if counted else 0, len(first))
        body, newline, last = rest.rpartition("\n")
        if newline:
            self._take_lines(body, counted)
        if last:
            self._add_partial(last, counted)

    def _take_lines(self, body: str, counted: bool) -> None:
        """``body``: whole lines joined by newlines (the last one without)."""
        self.n_lines += body.count("\n") + 1
        if counted and ("ERROR" in body or "WARNING" in body):
            for line in body.split("\n"):
                level = text_level(line)
                if level == _ERROR:
                    self.text_errors += 1
                elif level == _WARNING:
                    self.text_warnings += 1
        if self.tail.maxlen:
            lines = body.rsplit("\n", self.tail.maxlen)[-self.tail.maxlen :]
            self.tail.extend(clip(line, self._limit) for line in lines)

    def _finish(self, line: str, level: int, length: int) -> None:
        self.n_lines += 1
        if level == _ERROR:
            self.text_errors += 1
        elif level == _WARNING:
            self.text_warnings += 1
        if self.tail.maxlen:
            self.tail.append(clip(line, self._limit, length))

    def _add_partial(self, piece: str, counted: bool) -> None:
        if counted:
            probe = self._carry + piece
            self._level = max(self._level, text_level(probe))
            self._carry = probe[-_CARRY:]
        room = self._limit - self._kept if self._limit > 0 else len(piece)
        if room > 0:
            kept = piece[:room]
            self._parts.append(kept)
            self._kept += len(kept)
        self._length += len(piece)

    def _finish_partial(self) -> None:
        self._finish("".join(self._parts), self._level, self._length)
        self._parts, self._kept, self._length, self._level, self._carry = [], 0, 0, 0, ""


def _encode(text: str) -> tuple[str, bytes]:
    """``text`` and its UTF-8 bytes, lone surrogates replaced by U+FFFD."""
    try:
        return text, text.encode("utf-8")
    except UnicodeEncodeError:
        text = _LONE_SURROGATE.sub("\ufffd", text)
        return text, text.encode("utf-8")


class CaptureBuffer(io.RawIOBase):
    """``sys.stdout.buffer`` during a run: bytes are decoded, invalid UTF-8 replaced."""

    def __init__(self, stream: CaptureStream) -> None:
        super().__init__()
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        text = self._decoder.decode(chunk)
        if text:
            self._stream.write(text)
        return len(chunk)

    def finish(self) -> None:
        """Replace a multi-byte character cut short at the end of the run."""
        text = self._decoder.decode(b"", final=True)
        if text:
            self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()


class CaptureStream(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr`` during a run: a write goes straight to the sink."""

    def __init__(self, sink: LogSink, name: str) -> None:
        super().__init__()
        self._sink = sink
        self._name = name
        self._buffer = CaptureBuffer(self)

    @property
    def name(self) -> str:
        return self._name

    @property
    def encoding(self) -> str:
        return "utf-8"

    @property
    def errors(self) -> str:
        return "replace"

    @property
    def buffer(self) -> CaptureBuffer:
        return self._buffer

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        clean, data = _encode(text)
        self._sink.write_text(clean, data)
        return len(text)

    def flush(self) -> None:
        self._sink.flush()

    def finish(self) -> None:
        self._buffer.finish()


@dataclass(frozen=True)
class _Mark:
    text_seq: int
    text_errors: int
    text_warnings: int


class RecordHandler(logging.Handler):
    """Writes each record on lines of its own and counts it once, by its level.

    A handler of the project may already have written the record into the
    captured streams (a ``StreamHandler(self.stdout)``, say): then the text it
    wrote is not counted by 2.x's rule and the record is not written again.
    Text written between the record's creation and its arrival here is that
    handler's output; the record factory marks where that window starts.
    """

    def __init__(self, sink: LogSink) -> None:
        super().__init__(logging.NOTSET)
        self.sink = sink
        self.setFormatter(logging.Formatter(LOG_FORMAT))
        # Not an attribute of the record: formatters that dump a record's
        # attributes (JSON ones) must not see ours.
        self._marks: weakref.WeakKeyDictionary[logging.LogRecord, _Mark] = weakref.WeakKeyDictionary()

    def mark(self, record: logging.LogRecord) -> None:
        sink = self.sink
        self._marks[record] = _Mark(sink.text_seq, sink.text_errors, sink.text_warnings)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            mark = self._marks.pop(record, None)
            level = record_level(record)
            sink = self.sink
            with sink.lock:
                if mark is not None and sink.text_seq != mark.text_seq:
                    sink.end_partial_line()
                    sink.text_errors, sink.text_warnings = mark.text_errors, mark.text_warnings
                    sink.count_level(level)
                    return
            sink.write_block(self.format(record), level)
        except Exception:
            self.handleError(record)


@contextlib.contextmanager
def capturing(sink: LogSink) -> Iterator[None]:
    """Send ``sys.stdout``, ``sys.stderr`` and logging records to ``sink``."""
    handler = RecordHandler(sink)
    previous_factory = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous_factory(*args, **kwargs)
        handler.mark(record)
        return record

    # Each record reaches exactly one of these: the first logger up its chain
    # that does not propagate, or the root.
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    stdout, stderr = CaptureStream(sink, "<stdout>"), CaptureStream(sink, "<stderr>")
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    logging.setLogRecordFactory(factory)
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        if logging.getLogRecordFactory() is factory:
            logging.setLogRecordFactory(previous_factory)
        stdout.finish()
        stderr.finish()
        sys.stdout, sys.stderr = saved


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


def classify(failed: bool, n_errors: int, n_warnings: int) -> str:
    if failed:
        return Report.RESULT_FAILED
    if n_errors:
        return Report.RESULT_ERRORS
    if n_warnings:
        return Report.RESULT_WARNINGS
    return Report.RESULT_OK


def logfile_path(task: Task, report: Report, started: datetime.datetime) -> str:
    from django.conf import settings as django_settings

    name = f"{task.pk}-{report.pk}-{timezone.localtime(started):%Y%m%d-%H%M%S}.log"
    return os.path.abspath(os.path.join(django_settings.MEDIA_ROOT, settings.LOGFILE_DIR, name))


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


def run_task(task: Task) -> Report:
    """Run ``task`` now, in this process: create, fill and return its report."""
    started = timezone.now()
    report = Report.objects.create(task=task, invocation_datetime=started)
    task.status = Task.STATUS_STARTED
    task.save(update_fields=["status"])
    report.notifications_disabled = _notifications_disabled(task)

    path = logfile_path(task, report, started)
    fh: BinaryIO | None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fh = open(path, "wb", buffering=_FILE_BUFFER)  # noqa: SIM115 - the sink closes it
    except OSError as exc:
        fh = None
        opening_error: OSError | None = exc
    else:
        opening_error = None
    sink = LogSink(fh, tail_lines=settings.N_LINES_IN_REPORT_LOG, max_line_length=settings.MAX_LOG_LINE_LENGTH)

    if opening_error is not None:
        # Without a log file the command is not run: nothing it writes could be kept.
        sink.write_block(f"Cannot open the log file {path}: {opening_error}")
        outcome = Outcome(failed=True)
    else:
        app_command = task.command

        def run() -> None:
            execute_command(app_command, task.command_argv)

        outcome = run_captured(sink, run)
    sink.close()
    if sink.file_error is not None:
        sink.tail.append(f"[taskmanager] the log file is incomplete: {sink.file_error}")

    _refresh_connections()
    report.end_datetime = timezone.now()
    report.log = "\n".join(sink.tail).replace("\x00", "\ufffd")
    report.n_log_lines = sink.n_lines
    report.n_log_errors = sink.n_errors
    report.n_log_warnings = sink.n_warnings
    report.invocation_result = classify(outcome.failed, sink.n_errors, sink.n_warnings)
    report.extra = jsonable(outcome.extra)
    report.logfile = path if fh is not None and settings.SAVE_LOGFILE else ""
    if fh is not None and not settings.SAVE_LOGFILE:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
    report.save()

    task.status = Task.STATUS_IDLE
    task.cached_last_invocation_datetime = report.invocation_datetime
    task.cached_last_invocation_result = report.invocation_result
    task.cached_last_invocation_n_errors = report.n_log_errors
    task.cached_last_invocation_n_warnings = report.n_log_warnings
    task.save(
        update_fields=[
            "status",
            "cached_last_invocation_datetime",
            "cached_last_invocation_result",
            "cached_last_invocation_n_errors",
            "cached_last_invocation_n_warnings",
        ]
    )

    emit_notifications(report)
    if outcome.interrupted is not None:
        raise outcome.interrupted
    return report


def emit_notifications(report: Report) -> None:
    """Notify, never letting a notification problem change the run's outcome."""
    try:
        report.emit_notifications()
    except Exception:
        notifications_logger.exception(
            "Notifications for report %s of task %r failed", report.pk, report.task.name
        )
