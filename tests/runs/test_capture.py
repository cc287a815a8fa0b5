"""taskmanager.runs.capture: the streams a run writes to, and logging records, into a sink."""

from __future__ import annotations

import io
import logging

import pytest

from taskmanager.results import Result
from taskmanager.runs.capture import CaptureStream, record_level
from taskmanager.runs.sink import LogSink


def sink() -> tuple[LogSink, io.BytesIO]:
    fh = io.BytesIO()
    return LogSink(fh, tail_lines=10, max_line_length=1000), fh


def test_bytes_to_the_buffer_are_decoded_with_replacement() -> None:
    target, fh = sink()
    stream = CaptureStream(target, "<stdout>")
    stream.buffer.write(b"\xff\xfe ok\n")
    stream.flush()
    assert fh.getvalue() == "\ufffd\ufffd ok\n".encode()


def test_writing_bytes_to_the_text_stream_is_a_type_error() -> None:
    target, _ = sink()
    with pytest.raises(TypeError, match="must be str, not bytes"):
        CaptureStream(target, "<stdout>").write(b"raw")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("level", "counted"),
    [
        (logging.DEBUG, Result.OK),
        (logging.INFO, Result.OK),
        (logging.WARNING, Result.WARNINGS),
        (logging.ERROR, Result.ERRORS),
        (logging.CRITICAL, Result.ERRORS),
    ],
)
def test_a_record_counts_by_its_level(level: int, counted: Result) -> None:
    record = logging.LogRecord("x", level, __file__, 1, "no ERROR word needed", None, None)
    assert record_level(record) is counted
