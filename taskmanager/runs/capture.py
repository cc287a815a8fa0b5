"""Send everything a run writes to one log file, counting lines as they stream by.

While :func:`capturing` is active, in order, into one file:

* ``sys.stdout`` and ``sys.stderr``: ``print()``, a command's ``self.stdout``
  and ``self.stderr`` (made during the run), text or bytes (``.buffer``);
* every logging record that reaches the root logger or a logger that does
  not propagate (as they were when the run started), whatever the levels and
  handlers of the project.

Counting, exactly:

* a logging record counts by its level: ``WARNING`` is a warning, ``ERROR``
  and ``CRITICAL`` are errors; once per record, whatever its format and its
  number of lines;
* any other line is an error when it contains ``ERROR``, else a warning when
  it contains ``WARNING`` (case-sensitive substrings, 2.x's rule).

Only the last ``tail_lines`` lines are kept in memory, each cut at
``max_line_length`` characters. Invalid UTF-8 and lone surrogates become U+FFFD.

``sys.stdout``, ``sys.stderr``, the root logger and the log record factory
belong to the whole process: capture one run at a time per process.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import logging
import re
import sys
import threading
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

#: How captured logging records are written into the log file.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

ERROR, WARNING = 2, 1
# A substring split across two writes is still found: keep this many characters.
_CARRY = len("WARNING") - 1
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Writes are gathered up to this many characters, then encoded, written and
# counted at once: per write, a command pays for a list append.
_BATCH = 64 * 1024


def text_level(text: str) -> int:
    """2.x's rule for a line that is not a logging record."""
    if "ERROR" in text:
        return ERROR
    if "WARNING" in text:
        return WARNING
    return 0


def record_level(record: logging.LogRecord) -> int:
    if record.levelno >= logging.ERROR:
        return ERROR
    if record.levelno >= logging.WARNING:
        return WARNING
    return 0


def clip(line: str, limit: int, length: int | None = None) -> str:
    """Cut ``line`` at ``limit`` characters, saying how many were left out.

    ``length`` is the line's real length when ``line`` holds only its head.
    """
    length = len(line) if length is None else length
    if limit <= 0 or length <= limit:
        return line
    return f"{line[:limit]}… [{length - limit:,} more characters]"


def encode(text: str) -> tuple[str, bytes]:
    """``text`` and its UTF-8 bytes, lone surrogates replaced by U+FFFD."""
    try:
        return text, text.encode("utf-8")
    except UnicodeEncodeError:
        text = _LONE_SURROGATE.sub("\ufffd", text)
        return text, text.encode("utf-8")


class LogSink:
    """Where a run's output goes: the log file, the counts and a bounded tail.

    A line longer than the tail's limit is never held whole, even when it
    arrives in many writes without a newline. ``fh`` may be ``None`` (count,
    keep no file); a failing file is dropped, not fatal (``file_error``).
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
        # Plain text written but not yet counted (under _BATCH characters).
        self._pending: list[str] = []
        self._pending_size = 0
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
        # Re-entrant: a __del__ run by the garbage collector while this thread
        # holds the lock may log, and a record's mark takes the lock.
        self.lock = threading.RLock()

    @property
    def n_errors(self) -> int:
        return self.text_errors + self.record_errors

    @property
    def n_warnings(self) -> int:
        return self.text_warnings + self.record_warnings

    # -- writing (each public method takes the lock) ------------------------

    def write_text(self, text: str) -> None:
        """Plain output, counted by 2.x's rule."""
        with self.lock:
            self.text_seq += 1
            self._pending.append(text)
            self._pending_size += len(text)
            if self._pending_size >= _BATCH:
                self._drain()

    def write_block(self, text: str, level: int = 0) -> None:
        """A logging record or a traceback: on lines of its own, counted once by ``level``."""
        with self.lock:
            self._end_partial_line()
            if not text.endswith("\n"):
                text += "\n"
            text, data = encode(text)
            self._write(data)
            self._take(text, counted=False)
            self._count_level(level)

    def snapshot(self) -> tuple[int, int, int]:
        """``(text_seq, text_errors, text_warnings)`` with all text so far counted."""
        with self.lock:
            self._drain()
            return self.text_seq, self.text_errors, self.text_warnings

    def count_written_record(self, since: tuple[int, int, int], level: int) -> bool:
        """Count a record by ``level`` instead of the text written for it since ``since``.

        Returns False, changing nothing, when no text was written since.
        """
        with self.lock:
            if self.text_seq == since[0]:
                return False
            self._end_partial_line()
            self.text_errors, self.text_warnings = since[1], since[2]
            self._count_level(level)
            return True

    def flush(self) -> None:
        with self.lock:
            self._drain()
            if self._fh is not None:
                try:
                    self._fh.flush()
                except OSError as exc:
                    self._lose_file(exc)

    def close(self) -> None:
        with self.lock:
            self._drain()
            if self._length:
                self._finish_partial()
            if self._fh is not None:
                try:
                    self._fh.close()
                except OSError as exc:
                    self._lose_file(exc)
                self._fh = None

    # -- internals (the caller holds the lock) ------------------------------

    def _drain(self) -> None:
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        text, data = encode(text)
        self._write(data)
        self._take(text, counted=True)

    def _end_partial_line(self) -> None:
        self._drain()
        if self._length:
            self._write(b"\n")
            self._finish_partial()

    def _count_level(self, level: int) -> None:
        if level == ERROR:
            self.record_errors += 1
        elif level == WARNING:
            self.record_warnings += 1

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

    def _take(self, text: str, *, counted: bool) -> None:
        """Count the lines of ``text``, which goes on from the unfinished line."""
        if "\n" not in text:
            if text:
                self._add_partial(text, counted)
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
                if level == ERROR:
                    self.text_errors += 1
                elif level == WARNING:
                    self.text_warnings += 1
        if self.tail.maxlen:
            lines = body.rsplit("\n", self.tail.maxlen)[-self.tail.maxlen :]
            self.tail.extend(clip(line, self._limit) for line in lines)

    def _finish(self, line: str, level: int, length: int) -> None:
        self.n_lines += 1
        if level == ERROR:
            self.text_errors += 1
        elif level == WARNING:
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
    """``sys.stdout`` or ``sys.stderr`` during a run."""

    def __init__(self, sink: LogSink, name: str) -> None:
        super().__init__()
        self._sink = sink
        self._name = name
        self._buffer = CaptureBuffer(self)

    @property
    def name(self) -> str:
        return self._name

    # io.TextIOBase defines these as read-only descriptors: properties are the way.
    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
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
        self._sink.write_text(text)
        return len(text)

    def flush(self) -> None:
        self._sink.flush()

    def finish(self) -> None:
        self._buffer.finish()


@dataclass(frozen=True)
class _Mark:
    since: tuple[int, int, int]


class RecordHandler(logging.Handler):
    """Writes each record on lines of its own and counts it once, by its level.

    A handler of the project may already have written the record into the
    captured streams (a ``StreamHandler(self.stdout)``, 2.x's way): then that
    text is not counted by 2.x's rule and the record is not written again.
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
        self._marks[record] = _Mark(self.sink.snapshot())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            mark = self._marks.pop(record, None)
            level = record_level(record)
            if mark is not None and self.sink.count_written_record(mark.since, level):
                return
            self.sink.write_block(self.format(record), level)
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
