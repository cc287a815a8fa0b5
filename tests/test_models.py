"""The models: a report's result, and its log tail (the stored tail first, the end of the
log file only when needed)."""

import pytest

from taskmanager import logfiles
from taskmanager.models import Report, Task
from taskmanager.results import Result


@pytest.fixture
def never_read_the_file(monkeypatch):
    def read(*args, **kwargs):
        raise AssertionError("the log file was read")

    monkeypatch.setattr(logfiles, "tail_of_file", read)


@pytest.fixture
def logfile(tmp_path):
    path = tmp_path / "run.log"
    path.write_text("".join(f"line {i}\n" for i in range(1000)))
    return str(path)


def test_the_stored_tail_is_used_when_it_has_the_lines_asked_for(make_report, logfile, never_read_the_file):
    stored = "\n".join(f"line {i}" for i in range(990, 1000))
    report = make_report("ok", log=stored, logfile=logfile, n_log_lines=1000)

    assert report.log_tail_lines(3) == ["line 997", "line 998", "line 999"]
    assert report.log_tail_lines(10) == stored.splitlines()


def test_a_stored_tail_that_is_the_whole_log_is_used_whatever_is_asked(
    make_report, logfile, never_read_the_file
):
    report = make_report("ok", log="one\ntwo", logfile=logfile, n_log_lines=2)

    assert report.log_tail_lines(20) == ["one", "two"]


def test_more_lines_than_the_stored_tail_are_read_from_the_end_of_the_file(make_report, logfile):
    report = make_report("ok", log="line 999", logfile=logfile, n_log_lines=1000)

    assert report.log_tail_lines(3) == ["line 997", "line 998", "line 999"]


def test_lines_read_from_the_file_are_cut_as_the_stored_tail_is(make_report, tmp_path, settings):
    settings.UWSGI_TASKMANAGER_MAX_LOG_LINE_LENGTH = 5
    path = tmp_path / "run.log"
    path.write_text("first\n" + "x" * 100 + "\nlast\n")
    report = make_report("ok", log="last", logfile=str(path), n_log_lines=3)

    assert report.log_tail_lines(3) == ["first", "xxxxx… [95 more characters]", "last"]


def test_a_stored_tail_is_split_at_newlines_only(make_report, never_read_the_file):
    report = make_report("ok", log="10%\r100%\ndone", n_log_lines=2)

    assert report.log_tail_lines(5) == ["10%\r100%", "done"]


def test_without_a_log_file_the_stored_tail_is_all_there_is(make_report, tmp_path):
    report = make_report("ok", log="a\nb", logfile=str(tmp_path / "gone.log"), n_log_lines=500)

    assert report.log_tail_lines(5) == ["a", "b"]
    assert report.log_tail_lines(0) == []


def test_a_reports_result_is_a_result_and_none_while_it_runs(make_report):
    assert make_report("errors").result is Result.ERRORS
    assert make_report("").result is None


def test_a_result_is_stored_as_its_name(make_report):
    report = make_report("ok")
    report.invocation_result = Result.FAILED
    report.save()
    report.refresh_from_db()
    assert type(report.invocation_result) is str
    assert (report.invocation_result, report.result) == ("failed", Result.FAILED)
    assert Report.RESULT_FAILED is Result.FAILED


def test_the_last_run_is_copied_to_the_task_and_only_those_fields_saved(make_report):
    report = make_report("errors")
    task = report.task
    Task.objects.filter(pk=task.pk).update(name="renamed in the admin meanwhile", status=Task.STATUS_STARTED)
    task.status = Task.STATUS_IDLE

    task.record_last_run(report, "status")

    task.refresh_from_db()
    assert (task.name, task.status) == ("renamed in the admin meanwhile", Task.STATUS_IDLE)
    assert task.cached_last_invocation_datetime == report.invocation_datetime
    assert task.cached_last_invocation_result == "errors"
    assert (task.cached_last_invocation_n_errors, task.cached_last_invocation_n_warnings) == (2, 1)


def test_a_task_reads_as_its_name(make_report):
    task = make_report("ok").task
    assert str(task) == "nightly import"
