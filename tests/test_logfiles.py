"""taskmanager.logfiles: where a run's log file is kept, and reading it a piece at a time."""

import datetime
import io
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone

from taskmanager.logfiles import (
    TAIL_BYTES_PER_LINE,
    Piece,
    count_lines,
    logfile_path,
    read_pieces,
    read_tail,
    split_lines,
    tail_of_file,
)

MB = 1024 * 1024


class CountingFile(io.FileIO):
    """A real file, unbuffered, that counts the bytes read from it."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer) -> int:
        count = super().readinto(buffer)
        self.bytes_read += count or 0
        return count


def test_the_log_file_is_named_by_task_report_and_local_start_under_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.UWSGI_TASKMANAGER_LOGFILE_DIR = "logs"
    started = datetime.datetime(2026, 3, 2, 2, 0, 5, tzinfo=datetime.timezone.utc)
    with timezone.override("Europe/Rome"):
        path = logfile_path(SimpleNamespace(pk=7), SimpleNamespace(pk=42), started)
    assert path == str(tmp_path / "logs" / "7-42-20260302-030005.log")


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "run.log"
    path.write_text("".join(f"line {i}\n" for i in range(1000)))
    return path


def test_the_tail_is_read_back_from_the_end(log):
    assert tail_of_file(str(log), 3) == ["line 997", "line 998", "line 999"]
    assert tail_of_file(str(log), 0) == []
    assert len(tail_of_file(str(log), 5000)) == 1000


def test_the_tail_of_short_lines_reads_one_block(log):
    with CountingFile(log) as fh:
        assert read_tail(fh, 20, max_line_length=1000)[-1] == "line 999"
    assert fh.bytes_read == log.stat().st_size  # 8.9 kB: one block, read once


def test_a_last_line_without_a_newline_counts(tmp_path):
    path = tmp_path / "run.log"
    path.write_bytes(b"one\ntwo\nthree")
    assert count_lines(str(path)) == 3
    assert tail_of_file(str(path), 1) == ["three"]
    path.write_bytes(b"")
    assert count_lines(str(path)) == 0
    assert tail_of_file(str(path), 1) == []


@pytest.fixture
def one_huge_line(tmp_path: Path) -> Path:
    """A log ending in one line of 30 MB, as a JSON dump writes."""
    path = tmp_path / "huge.log"
    with path.open("wb") as fh:
        fh.write(b"starting\n")
        for _ in range(30):
            fh.write(b"x" * MB)
    return path


def test_the_tail_of_a_log_ending_in_a_30_mb_line_is_its_end_cut_with_a_note(one_huge_line):
    tracemalloc.start()
    try:
        lines = tail_of_file(str(one_huge_line), 20)  # cut at MAX_LOG_LINE_LENGTH, 1000
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # The line's start is not read, nor the line before it.
    [line] = lines
    assert line.startswith("[… at least ")
    assert line.endswith(" more bytes] " + "x" * 1000)
    # Held at most: the bytes read (20 * 64 kB) twice, as read and split; never the line.
    assert peak < 3 * 20 * TAIL_BYTES_PER_LINE


def test_the_tail_reads_at_most_its_bound_of_bytes_per_line(one_huge_line):
    with CountingFile(one_huge_line) as fh:
        read_tail(fh, 20, max_line_length=1000)
    assert fh.bytes_read <= 20 * TAIL_BYTES_PER_LINE + 1


def test_lines_before_a_line_longer_than_the_bound_are_not_read(tmp_path):
    path = tmp_path / "run.log"
    path.write_bytes(b"first\n" + b"y" * (3 * TAIL_BYTES_PER_LINE) + b"\nlast\n")

    with CountingFile(path) as fh:
        lines = read_tail(fh, 3, max_line_length=10)

    assert lines == [f"[… at least {3 * TAIL_BYTES_PER_LINE - 5 - 10:,} more bytes] yyyyyyyyyy", "last"]
    assert fh.bytes_read <= 3 * TAIL_BYTES_PER_LINE + 1


def test_a_line_read_whole_is_cut_as_the_stored_tail_cuts_it(tmp_path):
    path = tmp_path / "run.log"
    path.write_bytes(b"a\n" + b"z" * 5000 + b"\nb\n")

    assert tail_of_file(str(path), 3, max_line_length=10) == ["a", "zzzzzzzzzz… [4,990 more characters]", "b"]


def test_a_line_starting_exactly_at_the_bound_is_whole_else_cut():
    # The last two lines are exactly the 2 * 10 bytes read: the byte before says which.
    whole = b"old\n0123456789abcdefg\nb\n"
    cut = b"old-0123456789abcdefg\nb\n"

    def tail(data: bytes) -> list[str]:
        return read_tail(io.BytesIO(data), 2, max_line_length=100, bytes_per_line=10)

    assert tail(whole) == ["0123456789abcdefg", "b"]
    assert tail(cut) == [
        "[… at least 1 more byte] 0123456789abcdefg",
        "b",
    ]


def test_the_end_of_a_cut_line_never_starts_inside_a_character():
    lines = read_tail(io.BytesIO("é".encode() * 100), 1, max_line_length=5, bytes_per_line=51)

    assert lines == ["[… at least 42 more bytes] ééééé"]


def test_a_carriage_return_does_not_end_a_line_as_for_the_counts(tmp_path):
    path = tmp_path / "run.log"
    path.write_bytes(b"10%\r50%\r100%\ndone\n")

    assert count_lines(str(path)) == 2
    assert tail_of_file(str(path), 2) == ["10%\r50%\r100%", "done"]


def test_a_stored_tail_is_split_at_newlines_only():
    assert split_lines("a\rb\nc") == ["a\rb", "c"]
    assert split_lines("a\n") == ["a", ""]
    assert split_lines("") == []


def test_lines_are_read_without_newlines_and_invalid_utf8_replaced():
    pieces = list(read_pieces(io.BytesIO(b"ok\n\xff bad\r\n\nlast")))

    assert pieces == [
        Piece("ok", True, True),
        Piece("\ufffd bad", True, True),
        Piece("", True, True),
        Piece("last", True, False),
        Piece("", False, True),
    ]


def test_a_long_line_comes_in_pieces_keeping_characters_whole():
    data = "é".encode() * 5 + b"\nok\n"  # the 10 bytes of the first line, in pieces of 3

    pieces = list(read_pieces(io.BytesIO(data), piece_bytes=3))

    assert "".join(piece.text for piece in pieces[:-1]) == "ééééé"
    assert [(piece.first, piece.last) for piece in pieces] == [
        (True, False),
        (False, False),
        (False, False),
        (False, True),
        (True, True),
    ]
    assert pieces[-1].text == "ok"


def test_reading_pieces_of_a_huge_line_holds_one_piece_at_a_time(one_huge_line):
    tracemalloc.start()
    try:
        with one_huge_line.open("rb") as fh:
            lengths = [len(piece.text) for piece in read_pieces(fh)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sum(lengths) == 30 * MB + len("starting")
    assert peak < MB
