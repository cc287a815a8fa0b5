"""taskmanager.logfiles: where a run's log file is kept, and reading it a piece at a time."""

import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone

from taskmanager.logfiles import count_lines, logfile_path, read_lines, tail_of_file


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


@pytest.mark.parametrize("block", [7, 64 * 1024])
def test_the_tail_is_read_back_from_the_end(log, block):
    assert tail_of_file(str(log), 3, block=block) == ["line 997", "line 998", "line 999"]
    assert tail_of_file(str(log), 0) == []
    assert len(tail_of_file(str(log), 5000)) == 1000


def test_a_last_line_without_a_newline_counts(tmp_path):
    path = tmp_path / "run.log"
    path.write_bytes(b"one\ntwo\nthree")
    assert count_lines(str(path)) == 3
    assert tail_of_file(str(path), 1) == ["three"]
    path.write_bytes(b"")
    assert count_lines(str(path)) == 0


def test_lines_are_read_without_newlines_and_invalid_utf8_replaced(tmp_path):
    path = tmp_path / "run.log"
    path.write_bytes(b"ok\n\xff bad\n")
    assert list(read_lines(str(path))) == ["ok", "\ufffd bad"]
