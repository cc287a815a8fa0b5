"""sample_report: realistic unsaved reports at every level, for previews and screenshots."""

import datetime

import pytest

from taskmanager.models import Report, Task
from taskmanager.notifications.context import build_context
from taskmanager.notifications.samples import SAMPLE_REPORT_ID, sample_policy_context, sample_report
from taskmanager.results import Result

LEVELS = ("ok", "warnings", "errors", "failed")


@pytest.mark.parametrize("level", LEVELS)
def test_counts_match_the_level(level):
    report = sample_report(level)
    assert report.invocation_result == level
    errors, warnings = report.n_log_errors, report.n_log_warnings
    expected = {"ok": (0, 0), "warnings": (0, 3), "errors": (2, 1), "failed": (1, 0)}[level]
    assert (errors, warnings) == expected


@pytest.mark.parametrize("level", ["warnings", "errors"])
def test_the_log_tail_holds_the_warnings_and_errors_it_counts(level):
    report = sample_report(level)
    lines = report.log.splitlines()
    assert sum(" WARNING " in line for line in lines) == report.n_log_warnings
    assert sum(" ERROR " in line for line in lines) == report.n_log_errors


def test_a_failed_sample_ends_with_a_traceback():
    lines = sample_report("failed").log.splitlines()
    assert "Traceback (most recent call last):" in lines
    assert lines[-1].startswith("django.core.management.base.CommandError: ")


def test_samples_touch_no_database():
    # No db fixture: any query would raise. Build and render contexts at every level.
    for level in LEVELS:
        report = sample_report(level)
        assert report._state.adding
        assert report.task.pk is None
        build_context(report, handler="preview")


def test_build_context_works_with_a_sample():
    started = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.timezone.utc)
    context = build_context(sample_report(Result.ERRORS, started=started), handler="preview")
    assert context["task_name"] == "Nightly catalogue import"
    assert context["command"] == "catalogue: import_catalogue"
    assert context["arguments"] == ["--source", "s3://exports/catalogue/2026-03-01/", "--since", "yesterday"]
    assert context["duration_text"] == "1 min 28 s"
    assert context["started"].isoformat() == "2026-03-02T03:00:00+01:00"
    assert context["log_url"] == f"https://tasks.example.com/taskmanager/logviewer/{SAMPLE_REPORT_ID}/"
    assert context["extra"]["summary"] == "Imported 39,046 rows from 3 files; 27 rejected."
    assert (
        context["log_tail"][0]
        == "2026-03-02 03:00:00 INFO    Starting import from s3://exports/catalogue/2026-03-01/"
    )


def test_a_sample_without_an_id_has_no_links():
    context = build_context(sample_report("ok", pk=None), handler="preview")
    assert context["report_url"] is None
    assert context["log_url"] is None


def test_samples_are_unsaved_model_instances():
    report = sample_report("ok", name="custom name")
    assert isinstance(report, Report)
    assert isinstance(report.task, Task)
    assert report.task.name == "custom name"


@pytest.mark.parametrize(
    ("event", "streak", "previous"), [("recovered", 5, "failed"), ("triggered", 1, "ok")]
)
def test_the_policys_sample_context_has_a_previous_report_and_a_streak(event, streak, previous):
    report = sample_report("ok" if event == "recovered" else "failed")
    context = sample_policy_context(report, event)
    assert context["event"] == event
    assert context["streak"] == streak
    assert context["previous"].invocation_result == previous
    assert context["previous"].invocation_datetime < report.invocation_datetime
    assert context["failing_since"] <= report.invocation_datetime


def test_a_sample_report_alone_has_no_previous_and_a_streak_of_one(db):
    context = build_context(sample_report("errors"), handler="x")
    assert (context["event"], context["previous"], context["streak"]) == ("report", None, 1)
    assert context["failing_since"] == context["started"]
