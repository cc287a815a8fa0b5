"""The run's log as a mail attachment (the mail option ``attach_log``).

The attachment is ``<task>-<report id>.log``, UTF-8, made the way the log tail of every message
is (terminal escapes and control characters left out, :func:`taskmanager.text.printable`) with
the sending mailer's secrets hidden. It holds at most ``max_bytes`` bytes before compression:
a longer log keeps its **end** (the error is usually there), after a first line saying how much
was left out. Above :data:`COMPRESS_ABOVE` bytes it is gzip-compressed (``.log.gz``,
``application/gzip``): a 10 MB log of text is mostly repetition, and many mail servers refuse
messages of 10 to 25 MB.

Two steps, so that the mail's text can say what is attached before it is built:
:func:`plan_log_attachment` decides from the size of the log file alone (when the message is
rendered), :func:`build_log_attachment` reads the part kept with the bounded reader of
:mod:`taskmanager.logfiles` (when it is sent), never holding more than that part.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from django.utils.text import slugify

from taskmanager.logfiles import read_pieces
from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.text import printable, redact

if TYPE_CHECKING:
    from taskmanager.models import Report

MB = 1024 * 1024
#: A log kept larger than this (its bytes before compression) is sent gzip-compressed.
COMPRESS_ABOVE = MB
#: The default of ``attach_log_max_bytes``.
DEFAULT_MAX_BYTES = 10 * MB
#: The least ``attach_log_max_bytes`` may be: the note that starts a cut log must fit.
MIN_MAX_BYTES = 1024
#: Bytes of a cut log's budget kept for its first line, the note (it is about 150 bytes).
NOTE_ROOM = 256
#: How far past the cut the kept part may start, to start on a whole line.
_ALIGN_BYTES = 64 * 1024
#: How far the kept lines may outgrow the budget before the first are dropped (at the end, none).
_SLACK = MB


@dataclass(frozen=True)
class LogAttachment:
    """What will be attached for a report (decided from its log file's size), or why nothing is."""

    #: ``nightly-import-1234.log`` or ``.log.gz``; empty when nothing is attached.
    filename: str = ""
    #: The log file's size in bytes.
    size: int = 0
    #: Where the part kept starts in the file (0: the whole log), before it is moved to a line start.
    start: int = 0
    compressed: bool = False
    path: str = ""

    @property
    def cut(self) -> bool:
        """Whether the start of the log is left out."""
        return self.start > 0

    @property
    def kept(self) -> int:
        """Bytes of the log file attached (about: the cut moves to the next line's start)."""
        return self.size - self.start

    @property
    def kept_text(self) -> str:
        return size_text(self.kept)

    @property
    def size_text(self) -> str:
        return size_text(self.size)

    @property
    def left_out_text(self) -> str:
        return size_text(self.start)


def size_text(size: int) -> str:
    """``"512 bytes"``, ``"3.4 KB"``, ``"10.0 MB"`` (1 KB = 1,024 bytes, as the options count)."""
    if size < 1024:
        return f"{size:,} {'byte' if size == 1 else 'bytes'}"
    if size < MB:
        return f"{size / 1024:.1f} KB"
    return f"{size / MB:.1f} MB"


def max_bytes_option(value: object) -> int:
    """``attach_log_max_bytes`` checked: a whole number of bytes, at least :data:`MIN_MAX_BYTES`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_MAX_BYTES:
        raise NotificationConfigurationError(
            f"'attach_log_max_bytes' must be a whole number of bytes, at least {MIN_MAX_BYTES:,}, "
            f"not {value!r}",
            key="attach_log_max_bytes",
            hint=f"Give a number of bytes, e.g. 'attach_log_max_bytes': 5 * 1024 * 1024 "
            f"(default {DEFAULT_MAX_BYTES:,}, 10 MB).",
        )
    return value


def attachment_name(report: Report) -> str:
    """``<task>-<report id>.log``: the task's name made safe for a file name."""
    task = slugify(report.task.name) or "task"
    return f"{task}-{report.pk}.log"


def plan_log_attachment(report: Report, max_bytes: int) -> LogAttachment:
    """What :func:`build_log_attachment` will attach for ``report``: decided from the size of its
    log file alone; an empty filename when the run kept no log file (or it is gone)."""
    if not report.has_logfile():
        return LogAttachment()
    try:
        size = os.path.getsize(report.logfile)
    except OSError:
        return LogAttachment()
    start = size - (max_bytes - NOTE_ROOM) if size > max_bytes else 0
    compressed = size - start > COMPRESS_ABOVE
    name = attachment_name(report) + (".gz" if compressed else "")
    return LogAttachment(filename=name, size=size, start=start, compressed=compressed, path=report.logfile)


def build_log_attachment(
    plan: LogAttachment,
    max_bytes: int,
    *,
    secrets: Iterable[str] = (),
    n_lines: int | None = None,
    log_url: str | None = None,
) -> tuple[str, bytes | str, str] | None:
    """``(filename, content, mimetype)`` for ``EmailMessage.attach``, or None when nothing is.

    At most ``max_bytes`` bytes before compression, the note included; ``n_lines`` (the
    report's count) lets the note say how many lines were left out, ``log_url`` where the
    whole log is.
    """
    if not plan.filename:
        return None
    secrets = list(secrets)
    try:
        with open(plan.path, "rb") as fh:
            start = _line_start(fh, plan.start)
            kept = _end_of_log(fh, start, max_bytes - NOTE_ROOM if plan.cut else max_bytes, secrets)
    except OSError:
        return None  # removed since the message was rendered: the mail goes without it
    if kept.left_out and not plan.cut:
        # Hidden secrets made the lines longer than the file (short secrets, "[secret]"):
        # now cut after all, room is needed for the note.
        kept.fit(max_bytes - NOTE_ROOM)
    left_out = kept.left_out
    note = _note(left_out, kept.lines, n_lines, log_url).encode("utf-8") if left_out else b""
    if not plan.compressed:
        return plan.filename, (note + kept.buffer).decode("utf-8"), "text/plain"
    buffer = io.BytesIO()
    # mtime 0: the same log gives the same bytes; the name inside is the .log's.
    with gzip.GzipFile(filename=plan.filename.removesuffix(".gz"), mode="wb", fileobj=buffer, mtime=0) as gz:
        gz.write(note)
        gz.write(kept.buffer)
    return plan.filename, buffer.getvalue(), "application/gzip"


def _note(left_out: int, kept_lines: int, n_lines: int | None, log_url: str | None) -> str:
    lines = ""
    if n_lines is not None and n_lines > kept_lines:
        count = n_lines - kept_lines
        lines = f" ({count:,} {'line' if count == 1 else 'lines'})"
    where = f" The whole log: {log_url}" if log_url else ""
    # A log URL is at most a few hundred characters: the note stays within NOTE_ROOM but for
    # a very long base URL, which then takes the place of the log's first lines.
    return f"[taskmanager] The first {left_out:,} bytes{lines} of this log are left out.{where}\n"


def _line_start(fh: BinaryIO, start: int) -> int:
    """``start``, or the start of the next line when one begins soon after it; else the first
    byte at or after ``start`` that begins a character (a log ending in one huge line)."""
    if start <= 0:
        return 0
    fh.seek(start - 1)
    ahead = fh.read(_ALIGN_BYTES + 1)
    newline = ahead.find(b"\n")
    if newline != -1 and start + newline < start - 1 + len(ahead):
        return start + newline
    return start - 1 + _character_start(ahead, 1)


def _character_start(data: bytes | bytearray, index: int) -> int:
    """``index``, or the first index after it that does not fall inside a UTF-8 character."""
    for _ in range(3):
        if index < len(data) and 0x80 <= data[index] <= 0xBF:
            index += 1
    return index


class _Kept:
    """The cleaned log kept, in one buffer, and where in the file its first byte comes from."""

    def __init__(self, budget: int, start: int) -> None:
        self.budget = budget
        self.buffer = bytearray()
        #: The bytes of the file before the first byte kept: left out.
        self.left_out = start

    def extend(self, text: str) -> None:
        self.buffer += text.encode("utf-8")
        if len(self.buffer) > self.budget + _SLACK:
            self.fit(self.budget)

    def fit(self, budget: int) -> None:
        """Drop the first lines until the rest takes at most ``budget`` bytes; a last line
        longer than that alone keeps its end."""
        excess = len(self.buffer) - budget
        if excess <= 0:
            return
        newline = self.buffer.find(b"\n", excess - 1)
        whole = newline != -1 and newline + 1 < len(self.buffer)
        cut = newline + 1 if whole else _character_start(self.buffer, excess)
        # Counted in the cleaned text: about the file's bytes (a hidden secret has another length).
        self.left_out += cut
        del self.buffer[:cut]

    @property
    def lines(self) -> int:
        return self.buffer.count(b"\n")


def _end_of_log(fh: BinaryIO, start: int, budget: int, secrets: list[str]) -> _Kept:
    """The log from ``start`` to the end of the file, made printable with the secrets hidden,
    each line ending in a newline, the fewest lines dropped from the front to fit ``budget``
    bytes (a cleaned line can be longer than it was: ``[secret]``).

    A long line is cleaned a piece at a time, never held whole: each piece keeps back its end
    where a secret or an escape sequence may go on in the next piece.
    """
    fh.seek(start)
    kept = _Kept(budget, start)
    held = ""
    for piece in read_pieces(fh):
        text = held + piece.text
        if piece.last:
            kept.extend(redact(printable(text), secrets) + "\n")
            held = ""
            continue
        cut = _safe_cut(text, secrets)
        kept.extend(redact(printable(text[:cut]), secrets))
        held = text[cut:]
    kept.fit(budget)
    return kept


#: Kept back at the end of a piece for an escape sequence that may go on in the next one.
_ESCAPE_ROOM = 64


def _safe_cut(text: str, secrets: list[str]) -> int:
    """Where ``text`` (a piece of a line, more to come) can be cleaned apart from what follows:
    before any secret that starts in its last characters or straddles that point, and before an
    escape sequence that may be unfinished."""
    longest = max((len(secret) for secret in secrets), default=0)
    cut = max(len(text) - max(longest, _ESCAPE_ROOM), 0)
    moved = True
    while moved:  # moving back before one secret may land inside another: until none straddles
        moved = False
        for secret in secrets:
            found = text.find(secret, max(cut - len(secret) + 1, 0))
            if found != -1 and found < cut:
                cut, moved = found, True
    escape = text.rfind("\x1b", max(cut - _ESCAPE_ROOM, 0), cut)
    return escape if escape != -1 else cut
