"""A run's log file: where it is kept, and reading it without holding it whole in memory.

A line is what ends with ``\\n`` (a ``\\r`` inside it, as a progress bar writes, does not end
it): the same rule as the counts of :mod:`taskmanager.runs.sink` and :func:`count_lines`.
A log may end in one line of hundreds of megabytes (a progress bar, a JSON dump), so nothing
here reads a line whole:

* :func:`tail_of_file` reads at most ``n * TAIL_BYTES_PER_LINE`` bytes back from the end of
  the file for ``n`` lines, whatever their length, and keeps at most that many in memory;
* :func:`read_pieces` reads the file front to back in pieces of at most ``PIECE_BYTES``
  bytes, a long line in several.
"""

from __future__ import annotations

import codecs
import datetime
import os
from collections.abc import Iterator
from typing import Any, BinaryIO, NamedTuple, Protocol

from django.conf import settings as django_settings
from django.utils import timezone

from taskmanager.conf import settings
from taskmanager.text import clip

#: The bound of :func:`tail_of_file`: for ``n`` lines it reads at most this many bytes per
#: line back from the end of the file (a line within it is read whole; one that is longer
#: shows its end, and the lines before it are not read).
TAIL_BYTES_PER_LINE = 64 * 1024

#: :func:`read_pieces` hands a line over in pieces of at most this many bytes.
PIECE_BYTES = 64 * 1024

# Files are read in blocks of this size.
_BLOCK = 64 * 1024


class Saved(Protocol):
    """A saved model instance (a task, a report): only its primary key is read."""

    @property
    def pk(self) -> Any: ...


def logfile_path(task: Saved, report: Saved, started: datetime.datetime) -> str:
    """``<MEDIA_ROOT>/<UWSGI_TASKMANAGER_LOGFILE_DIR>/<task>-<report>-<local start time>.log``."""
    name = f"{task.pk}-{report.pk}-{timezone.localtime(started):%Y%m%d-%H%M%S}.log"
    return os.path.abspath(os.path.join(django_settings.MEDIA_ROOT, settings.LOGFILE_DIR, name))


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` (a stored tail), split at ``\\n`` only: ``""`` has none."""
    return text.split("\n") if text else []


# -- front to back, a piece at a time -----------------------------------------------------


class Piece(NamedTuple):
    """A piece of a log line: the whole line, or a part of a line longer than the pieces."""

    text: str
    #: The piece begins a line (the next line's number starts here).
    first: bool
    #: The piece ends its line.
    last: bool


def read_pieces(fh: BinaryIO, piece_bytes: int = PIECE_BYTES) -> Iterator[Piece]:
    """Every line of the binary file ``fh``, from where it is, in pieces of at most
    ``piece_bytes`` bytes: a shorter line is one piece, first and last.

    Without its newline (nor the ``\\r`` of a ``\\r\\n``); invalid UTF-8 replaced by U+FFFD,
    a character cut between two pieces kept whole.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    first = True
    while data := fh.readline(piece_bytes):
        last = data.endswith(b"\n")
        if last:
            data = data[:-2] if data.endswith(b"\r\n") else data[:-1]
        yield Piece(decoder.decode(data, final=last), first, last)
        first = last
    if not first:
        # The file ends inside a line (no last newline, or a piece ended at its end).
        yield Piece(decoder.decode(b"", final=True), False, True)


# -- the tail: back from the end, bounded -------------------------------------------------


def read_tail(
    fh: BinaryIO, n: int, *, max_line_length: int, bytes_per_line: int = TAIL_BYTES_PER_LINE
) -> list[str]:
    """The last ``n`` lines of the binary file ``fh``, reading at most ``n * bytes_per_line``
    bytes back from its end (and the one byte before them), in blocks, holding no more than that.

    Each line is cut at ``max_line_length`` characters as the report's stored tail is
    (``head… [1,234 more characters]``, see :func:`taskmanager.text.clip`; 0 keeps every
    character read). A line whose start lies beyond what is read shows its last
    ``max_line_length`` characters after ``[… at least 1,234 more bytes]`` (the bytes
    before them that were read, plus one), and no line before it is read: fewer than ``n``
    lines come back.
    """
    if n <= 0:
        return []
    end = fh.seek(0, os.SEEK_END)
    floor = max(0, end - n * max(bytes_per_line, 1))
    blocks: list[bytes] = []
    pos, newlines, wanted = end, 0, n
    while pos > floor and newlines < wanted:
        start = max(floor, pos - _BLOCK)
        blocks.append(_read_at(fh, start, pos - start))
        newlines += blocks[-1].count(b"\n")
        if pos == end and blocks[-1].endswith(b"\n"):
            wanted += 1  # the file's last newline ends its last line, it starts none
        pos = start
    # Held at once: the bytes read twice (the blocks joined, then split), never more.
    window = b"".join(reversed(blocks))
    del blocks
    if not window:
        return []
    raws = window.split(b"\n")
    if window.endswith(b"\n"):
        raws.pop()
    del window
    if len(raws) > n:
        # n whole lines follow the first piece, which is not wanted.
        raws, pos = raws[-n:], 0
    elif pos > 0 and _read_at(fh, pos - 1, 1) == b"\n":
        pos = 0  # the window starts a line: the first piece is whole
    first = _end_of_line(raws[0], max_line_length) if pos > 0 else _clipped(raws[0], max_line_length)
    return [first, *(_clipped(raw, max_line_length) for raw in raws[1:])]


def _clipped(raw: bytes, max_line_length: int) -> str:
    return clip(raw.decode("utf-8", errors="replace"), max_line_length)


def _read_at(fh: BinaryIO, start: int, size: int) -> bytes:
    """``size`` bytes from ``start`` (fewer at the end of the file), also from an unbuffered file."""
    fh.seek(start)
    data = b""
    while len(data) < size and (more := fh.read(size - len(data))):
        data += more
    return data


def _end_of_line(raw: bytes, max_line_length: int) -> str:
    """The end of a line whose start was not read, after a note of what was left out."""
    # Only the bytes that can be shown are decoded (a character is at most 4 bytes), and
    # never from inside a character.
    start = max(0, len(raw) - 4 * max_line_length) if max_line_length > 0 else 0
    for _ in range(3):
        if start < len(raw) and 0x80 <= raw[start] <= 0xBF:
            start += 1
    text = str(memoryview(raw)[start:], "utf-8", "replace")
    if max_line_length > 0 and len(text) > max_line_length:
        text = text[-max_line_length:]
    # Counted in bytes: what was read and is not shown, and at least one not read.
    left_out = max(len(raw) - len(text.encode("utf-8", errors="replace")), 0) + 1
    return f"[… at least {left_out:,} more {'byte' if left_out == 1 else 'bytes'}] {text}"


def tail_of_file(path: str, n: int, *, max_line_length: int | None = None) -> list[str]:
    """The last ``n`` lines of the log file ``path`` (:func:`read_tail`: bounded reads), each
    cut at ``max_line_length`` characters (by default ``UWSGI_TASKMANAGER_MAX_LOG_LINE_LENGTH``,
    as the stored tail is)."""
    if max_line_length is None:
        max_line_length = settings.MAX_LOG_LINE_LENGTH
    with open(path, "rb") as fh:
        return read_tail(fh, n, max_line_length=max_line_length)


def count_lines(path: str) -> int:
    """The number of lines of the file, a last one without its newline included."""
    lines, last = 0, b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")
