"""taskmanager.runs.capture: the streams a run writes to, and logging records, into a sink."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from taskmanager.results import Result
from taskmanager.runs.capture import LOG_FORMAT, CaptureStream, _Formatter, capturing, record_level
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


def test_a_record_waits_in_the_batch_with_the_text_and_keeps_its_place() -> None:
    target, fh = sink()
    logger = logging.getLogger("tests.runs.batched")
    with capturing(target):
        print("before")
        logger.warning("the record")
        print("after")
        # Neither the record nor its mark made the sink write: one batch, written at flush.
        assert fh.getvalue() == b""
    target.flush()
    lines = [line.split(" ", 2)[-1] for line in fh.getvalue().decode().splitlines()]
    assert lines == ["before", "WARNING tests.runs.batched: the record", "after"]
    assert (target.n_warnings, target.n_errors, target.n_lines) == (1, 0, 3)


def test_a_project_handler_writing_into_the_streams_after_pending_text_counts_once() -> None:
    target, fh = sink()
    logger = logging.getLogger("tests.runs.own_handler")
    logger.propagate = False
    # The project's handler comes first (set up with the project), writing to the run's stdout.
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    with capturing(target):
        handler.setStream(sys.stdout)
        try:
            print("a WARNING in plain text, still pending", end="")
            logger.error("ERROR and WARNING in one record")
            logger.info("an ERROR word in an info record")
            print("plain ERROR")
        finally:
            logger.removeHandler(handler)
            logger.propagate = True
    target.flush()
    # The record's text ends the pending line and counts as the record alone; the plain
    # error line once.
    assert (target.text_warnings, target.text_errors) == (0, 1)
    assert (target.record_warnings, target.record_errors) == (0, 1)
    assert fh.getvalue().decode().count("ERROR and WARNING in one record") == 1


def test_records_of_the_workers_loggers_stay_out_of_the_run() -> None:
    target, fh = sink()
    with capturing(target, foreign_loggers=("tests.runs.worker",)):
        logging.getLogger("tests.runs.worker").warning("Received Terminated - shutting down")
        logging.getLogger("tests.runs.worker.child").error("the worker's own")
        logging.getLogger("tests.runs.workers").warning("a command's logger of a similar name")
    target.flush()
    assert fh.getvalue().decode().count("\n") == 1
    assert "a command's logger of a similar name" in fh.getvalue().decode()
    assert (target.n_warnings, target.n_errors) == (1, 0)


@pytest.mark.parametrize("created", [0.5, 1_700_000_000.25, 1_700_000_000.999, 1_700_000_001.0])
def test_the_once_a_second_time_stamp_reads_as_loggings_own(created: float) -> None:
    ours, theirs = _Formatter(LOG_FORMAT), logging.Formatter(LOG_FORMAT)
    for when in (created, created + 0.001, created + 1):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "message", None, None)
        record.created, record.msecs = when, int((when - int(when)) * 1000) + 0.0
        assert ours.format(record) == theirs.format(record)
