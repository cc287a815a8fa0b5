"""Where a run's output goes: one log file, the counts of its lines and a bounded tail.

Counting, exactly:

* a logging record (:meth:`LogSink.write_block`, from :mod:`taskmanager.runs.capture`)
  counts by its level: ``WARNING`` is a warning, ``ERROR`` and ``CRITICAL`` are errors;
  once per record, whatever its format and its number of lines;
* any other line is counted by :func:`taskmanager.results.line_result`: an error when it
  contains ``ERROR``, else a warning when it contains ``WARNING`` (case-sensitive
  substrings, 2.x's rule), also when the word arrives split over several writes.

Only the last ``tail_lines`` lines are kept in memory, each cut at
``max_line_length`` characters. Invalid UTF-8 and lone surrogates become U+FFFD.

Writes are gathered (up to 64 K characters, then the file's buffer): while a run goes on,
:func:`flushed_every` puts what was written on disk every so often from a thread of its
own, so a process killed outright loses at most that long of output, and a write costs
no clock reading.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from taskmanager.results import LINE_MARKERS, Result, line_result
from taskmanager.text import clip

# A marker split across two writes is still found: keep this many characters.
_CARRY = max(len(word) for word, _result in LINE_MARKERS) - 1
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Writes are gathered up to this many characters, then encoded, written and
# counted at once: per write, a command pays for a list append.
_BATCH = 64 * 1024
# What a waiting mark counts for in the batch: at most _BATCH / _MARK_WEIGHT are held.
_MARK_WEIGHT = 64


def _line_level(text: str) -> Result:
    return line_result(text) or Result.OK


def encode(text: str) -> tuple[str, bytes]:
    """``text`` and its UTF-8 bytes, lone surrogates replaced by U+FFFD."""
    try:
        return text, text.encode("utf-8")
    except UnicodeEncodeError:
        text = _LONE_SURROGATE.sub("\ufffd", text)
        return text, text.encode("utf-8")


@dataclass(eq=False)
class Mark:
    """Where a logging record's window starts: :meth:`LogSink.mark`."""

    #: ``LogSink.text_seq`` then, and the length of the pending text.
    seq: int
    position: int
    #: The text counts up to here: set at once, or by the drain that passes the mark.
    errors: int = 0
    warnings: int = 0


@dataclass(frozen=True)
class _Block:
    """A block waiting in the batch: written on lines of its own, counted by ``level``."""

    position: int
    text: str
    level: Result


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
        # The unfinished last line: its kept head, full length, result so far
        # (OK: it marks nothing) and last few characters (to find ERROR split across writes).
        self._parts: list[str] = []
        self._kept = 0
        self._length = 0
        self._level = Result.OK
        self._carry = ""
        # Bumped on every write of plain text: a logging record compares it
        # with its value when the record was made (see RecordHandler).
        self.text_seq = 0
        # Blocks not yet written and marks made while output was pending, each at its
        # place in _pending: the next drain stops there to write it or note the counts.
        self._stops: list[Mark | _Block] = []
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

    def write_block(self, text: str, level: Result = Result.OK) -> None:
        """A logging record or a traceback: on lines of its own, counted once by ``level``
        (``ERRORS``, ``WARNINGS``; ``OK`` counts it as neither)."""
        with self.lock:
            if not text.endswith("\n"):
                text += "\n"
            # Gathered with the text, in order: a record costs no drain of its own.
            self._stops.append(_Block(len(self._pending), text, level))
            self._pending_size += len(text)
            if self._pending_size >= _BATCH:
                self._drain()

    def mark(self) -> Mark:
        """Where the text written from now on starts (a logging record is being made).

        Cheap: nothing is drained. The text already pending is counted at the next drain,
        which stops at this point to note the counts (:meth:`count_written_record`).
        """
        with self.lock:
            mark = Mark(self.text_seq, len(self._pending))
            if self._pending or self._stops:
                self._stops.append(mark)
                # Records that never reach the capture (filtered out) leave their marks
                # here: they weigh on the batch too, so the next drain comes soon enough.
                self._pending_size += _MARK_WEIGHT
                if self._pending_size >= _BATCH:
                    self._drain()
            else:
                # Nothing pending: every written text is counted already.
                mark.errors, mark.warnings = self.text_errors, self.text_warnings
            return mark

    def count_written_record(self, since: Mark, level: Result) -> bool:
        """Count a record by ``level`` instead of the text written for it since ``since``.

        Returns False, changing nothing, when no text was written since.
        """
        with self.lock:
            if self.text_seq == since.seq:
                return False
            # Counts the text up to the mark (noting them in it), then the record's own.
            self._end_partial_line()
            self.text_errors, self.text_warnings = since.errors, since.warnings
            self._count_level(level)
            return True

    def flush(self) -> None:
        with self.lock:
            self._drain()
            # Closed already: a sink dropped without close() is collected with its file, and
            # the streams that wrote to it may be finalised (and flush) after the file was.
            if self._fh is not None and not self._fh.closed:
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
        if not self._pending and not self._stops:
            return
        pending, stops = self._pending, self._stops
        self._pending, self._pending_size, self._stops = [], 0, []
        start = 0
        # Consecutive blocks are written and taken at once.
        blocks: list[str] = []
        for stop in stops:
            if stop.position > start:
                self._take_blocks(blocks)
                self._take_pending(pending[start : stop.position])
                start = stop.position
            if isinstance(stop, Mark):
                stop.errors, stop.warnings = self.text_errors, self.text_warnings
                continue
            if not blocks and self._length:
                # The first block of a run ends the unfinished line (counted here, before
                # any mark that follows).
                self._write(b"\n")
                self._finish_partial()
            blocks.append(stop.text)
            self._count_level(stop.level)
        self._take_blocks(blocks)
        self._take_pending(pending[start:])

    def _take_blocks(self, blocks: list[str]) -> None:
        if not blocks:
            return
        text, data = encode("".join(blocks))
        blocks.clear()
        self._write(data)
        self._take(text, counted=False)

    def _take_pending(self, pieces: list[str]) -> None:
        if not pieces:
            return
        text, data = encode("".join(pieces))
        self._write(data)
        self._take(text, counted=True)

    def _end_partial_line(self) -> None:
        self._drain()
        if self._length:
            self._write(b"\n")
            self._finish_partial()

    def _count_level(self, level: Result) -> None:
        if level is Result.ERRORS:
            self.record_errors += 1
        elif level is Result.WARNINGS:
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
            self._finish(first, _line_level(first) if counted else Result.OK, len(first))
        body, newline, last = rest.rpartition("\n")
        if newline:
            self._take_lines(body, counted)
        if last:
            self._add_partial(last, counted)

    def _take_lines(self, body: str, counted: bool) -> None:
        """``body``: whole lines joined by newlines (the last one without)."""
        self.n_lines += body.count("\n") + 1
        # No line is marked unless the whole body is: most bodies are checked once.
        if counted and line_result(body) is not None:
            for line in body.split("\n"):
                level = line_result(line)
                if level is Result.ERRORS:
                    self.text_errors += 1
                elif level is Result.WARNINGS:
                    self.text_warnings += 1
        if self.tail.maxlen:
            lines = body.rsplit("\n", self.tail.maxlen)[-self.tail.maxlen :]
            self.tail.extend(clip(line, self._limit) for line in lines)

    def _finish(self, line: str, level: Result, length: int) -> None:
        self.n_lines += 1
        if level is Result.ERRORS:
            self.text_errors += 1
        elif level is Result.WARNINGS:
            self.text_warnings += 1
        if self.tail.maxlen:
            self.tail.append(clip(line, self._limit, length))

    def _add_partial(self, piece: str, counted: bool) -> None:
        if counted:
            probe = self._carry + piece
            self._level = max(self._level, _line_level(probe))
            self._carry = probe[-_CARRY:]
        room = self._limit - self._kept if self._limit > 0 else len(piece)
        if room > 0:
            kept = piece[:room]
            self._parts.append(kept)
            self._kept += len(kept)
        self._length += len(piece)

    def _finish_partial(self) -> None:
        self._finish("".join(self._parts), self._level, self._length)
        self._parts, self._kept, self._length, self._level, self._carry = [], 0, 0, Result.OK, ""


@contextlib.contextmanager
def flushed_every(sink: LogSink, seconds: float) -> Iterator[None]:
    """Flush ``sink`` to its file every ``seconds`` while the block runs, from a daemon thread.

    The thread takes the sink's lock once per period (a write waits at most for one
    flush) and writes nothing itself, so it is never part of the captured output.
    """
    stop = threading.Event()

    def flush_until_stopped() -> None:
        while not stop.wait(seconds):
            sink.flush()

    thread = threading.Thread(target=flush_until_stopped, name="taskmanager-log-flush", daemon=True)
    try:
        thread.start()
    except RuntimeError:
        # No thread to be had (a process at its limit): the run goes on, flushed at its end.
        yield
        return
    try:
        yield
    finally:
        stop.set()
        thread.join()
