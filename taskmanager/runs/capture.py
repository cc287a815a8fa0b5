"""Send everything a run writes to a :class:`~taskmanager.runs.sink.LogSink`, in order.

While :func:`capturing` is active:

* ``sys.stdout`` and ``sys.stderr``: ``print()``, a command's ``self.stdout``
  and ``self.stderr`` (made during the run), text or bytes (``.buffer``);
* every logging record that reaches the root logger or a logger that does
  not propagate (as they were when the run started), whatever the levels and
  handlers of the project.

The sink counts the lines (its docstring has the rules); a logging record is
counted once, by its level.

``sys.stdout``, ``sys.stderr``, the root logger and the log record factory
belong to the whole process: capture one run at a time per process.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import logging
import sys
import time
import weakref
from collections.abc import Iterator
from typing import Any

from taskmanager.results import Result
from taskmanager.runs.sink import LogSink, Mark

#: How captured logging records are written into the log file.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def record_level(record: logging.LogRecord) -> Result:
    """What a logging record counts as: ``ERRORS``, ``WARNINGS``, or ``OK`` (neither)."""
    if record.levelno >= logging.ERROR:
        return Result.ERRORS
    if record.levelno >= logging.WARNING:
        return Result.WARNINGS
    return Result.OK


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


class _Formatter(logging.Formatter):
    """``logging.Formatter`` whose ``%(asctime)s`` is formatted once a second, not per record."""

    # (second, its formatted stamp): one attribute, replaced at once, so a record
    # formatted on another thread never pairs a second with another one's stamp.
    _cached: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second, stamp = self._cached
        if int(record.created) != second:
            stamp = time.strftime(self.default_time_format, self.converter(record.created))
            self._cached = (int(record.created), stamp)
        return self.default_msec_format % (stamp, record.msecs) if self.default_msec_format else stamp


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
        self.setFormatter(_Formatter(LOG_FORMAT))
        # Not an attribute of the record: formatters that dump a record's
        # attributes (JSON ones) must not see ours.
        self._marks: weakref.WeakKeyDictionary[logging.LogRecord, Mark] = weakref.WeakKeyDictionary()

    def mark(self, record: logging.LogRecord) -> None:
        self._marks[record] = self.sink.mark()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            mark = self._marks.pop(record, None)
            level = record_level(record)
            if mark is not None and self.sink.count_written_record(mark, level):
                return
            self.sink.write_block(self.format(record), level)
        except Exception:
            self.handleError(record)


class _NotFrom(logging.Filter):
    """Lets through the records of any logger but these and their children."""

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__()
        self.names = names
        self.prefixes = tuple(f"{name}." for name in names)

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name in self.names or record.name.startswith(self.prefixes))


@contextlib.contextmanager
def capturing(sink: LogSink, *, foreign_loggers: tuple[str, ...] = ()) -> Iterator[None]:
    """Send ``sys.stdout``, ``sys.stderr`` and logging records to ``sink``.

    Records of ``foreign_loggers`` (and their children) are left out: they are the
    process's own, not the command's (a worker telling it was asked to stop, say).
    """
    handler = RecordHandler(sink)
    if foreign_loggers:
        handler.addFilter(_NotFrom(foreign_loggers))
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
