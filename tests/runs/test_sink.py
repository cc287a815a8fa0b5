"""taskmanager.runs.sink.LogSink: lines counted and kept as output streams by, in any pieces."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from pathlib import Path

from taskmanager.results import Result
from taskmanager.runs.sink import LogSink, flushed_every


class File(io.BytesIO):
    """Keeps what was written once closed, as a file on disk would."""

    written = b""

    def close(self) -> None:
        if not self.closed:
            self.written = self.getvalue()
        super().close()

    def content(self) -> bytes:
        return self.written if self.closed else self.getvalue()


def sink(tail_lines: int = 10, max_line_length: int = 1000) -> tuple[LogSink, File]:
    fh = File()
    return LogSink(fh, tail_lines=tail_lines, max_line_length=max_line_length), fh


def write(target: LogSink, *pieces: str, flush_each: bool = False) -> None:
    """Write ``pieces`` as plain output; with ``flush_each`` each one is counted before the next arrives."""
    for piece in pieces:
        target.write_text(piece)
        if flush_each:
            target.flush()
    target.flush()


def test_it_counts_lines_by_2x_rule_whatever_the_pieces() -> None:
    target, fh = sink()
    write(
        target,
        "a\nERROR one\nWARN",
        "ING two\nERROR and WARNING\nwarning in lower case\n",
        "end",
        flush_each=True,
    )
    target.close()
    assert (target.n_lines, target.n_errors, target.n_warnings) == (6, 2, 1)
    assert list(target.tail) == [
        "a",
        "ERROR one",
        "WARNING two",
        "ERROR and WARNING",
        "warning in lower case",
        "end",
    ]
    assert fh.content() == b"a\nERROR one\nWARNING two\nERROR and WARNING\nwarning in lower case\nend"


def test_error_split_over_many_one_character_writes_is_found() -> None:
    target, _ = sink()
    write(target, *"xx ERROR yy\n", flush_each=True)
    assert (target.n_lines, target.n_errors) == (1, 1)


def test_a_block_of_many_lines_keeps_only_the_tail() -> None:
    target, _ = sink(tail_lines=2)
    write(target, "".join(f"line {n}\n" for n in range(1000)) + "ERROR last\n")
    assert (target.n_lines, target.n_errors) == (1001, 1)
    assert list(target.tail) == ["line 999", "ERROR last"]


def test_no_tail_at_all_when_zero_lines_are_kept() -> None:
    target, _ = sink(tail_lines=0)
    write(target, "one\n", "two\nthree\n")
    assert target.n_lines == 3
    assert list(target.tail) == []


def test_a_long_line_in_many_pieces_is_held_cut() -> None:
    target, fh = sink(max_line_length=10)
    write(target, *(["z" * 1000] * 100))
    # 100,000 characters of one unfinished line, and only its head is held.
    assert sum(len(part) for part in target._parts) == 10
    write(target, "\n")
    assert list(target.tail) == ["z" * 10 + "… [99,990 more characters]"]
    assert len(fh.content()) == 100_001


def test_a_block_starts_on_a_line_of_its_own_and_counts_once() -> None:
    target, fh = sink()
    write(target, "progress ...")
    target.write_block("ERROR record\nWARNING in its second line", level=Result.WARNINGS)
    write(target, "next\n")
    target.close()
    assert fh.content() == b"progress ...\nERROR record\nWARNING in its second line\nnext\n"
    assert (target.n_lines, target.n_errors, target.n_warnings) == (4, 0, 1)


class FullDisk(io.BytesIO):
    def write(self, data: object) -> int:
        raise OSError(28, "No space left on device")


def test_a_failing_log_file_stops_the_file_but_not_the_counting() -> None:
    target = LogSink(FullDisk(), tail_lines=10, max_line_length=1000)
    write(target, "ERROR one\n", "two\n")
    target.close()
    assert (target.n_lines, target.n_errors) == (2, 1)
    assert list(target.tail) == ["ERROR one", "two"]
    assert isinstance(target.file_error, OSError)
    assert target.file_error.errno == 28


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_while_flushed_every_period_what_was_written_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    with open(path, "wb", buffering=256 * 1024) as fh:
        target = LogSink(fh, tail_lines=10, max_line_length=1000)
        with flushed_every(target, 0.01):
            target.write_text("first line\nhalf a ")
            # Nothing else is written: only the flushing thread can put it on disk.
            assert wait_until(lambda: path.read_bytes() == b"first line\nhalf a ")
        target.close()


def test_the_flushing_thread_ends_with_the_block(tmp_path: Path) -> None:
    target = LogSink(None, tail_lines=10, max_line_length=1000)
    before = set(threading.enumerate())
    with flushed_every(target, 60):
        assert len(set(threading.enumerate()) - before) == 1
    assert set(threading.enumerate()) - before == set()


def test_marks_of_records_that_never_arrive_are_let_go_with_the_batch() -> None:
    fh = io.BytesIO()
    sink = LogSink(fh, tail_lines=10, max_line_length=1000)
    sink.write_text("pending\n")
    for _ in range(2_000):
        # A record made, then filtered out before the capture's handler: its mark stays behind.
        sink.mark()
    # The marks filled the batch: it was written, and nothing of them is held any more.
    assert fh.getvalue() == b"pending\n"
