import datetime

import pytest

from taskmanager.models import Report
from taskmanager.notifications.context import SUMMARY_MAX_LENGTH, base_url, build_context
from taskmanager.results import Result


def test_the_context_carries_the_report_in_the_documented_names(make_report):
    report = make_report("errors", extra={"rows": 12})
    context = build_context(report, handler="mail")
    assert context["task"] == report.task
    assert context["task_name"] == "nightly import"
    assert context["arguments"] == ["--since", "2026-01-01", "-v", "2"]
    assert (context["level"], context["result"]) == ("errors", "errors")
    assert (context["n_errors"], context["n_warnings"], context["n_lines"]) == (2, 1, 3)
    assert context["log_tail"] == ["line one", "WARNING careful", "ERROR broken"]
    assert context["duration"] == datetime.timedelta(seconds=83)
    assert context["duration_text"] == "1 min 23 s"
    assert context["handler"] == "mail"
    assert context["extra"] == {"rows": 12}


def test_times_are_time_zone_aware_in_the_current_time_zone(make_report):
    context = build_context(make_report("ok"), handler="x")
    assert context["started"].tzinfo is not None
    assert str(context["started"].tzinfo) == "Europe/Rome"
    assert context["ended"] - context["started"] == datetime.timedelta(seconds=83)
    assert context["now"].tzinfo is not None


def test_links_are_absolute_from_the_base_url_setting(make_report):
    report = make_report("ok")
    context = build_context(report, handler="x")
    assert context["log_url"] == f"https://tasks.example.com/taskmanager/logviewer/{report.pk}/"


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("https://tasks.example.com/", "https://tasks.example.com"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("tasks.example.com", "https://tasks.example.com"),
    ],
)
def test_the_base_url_keeps_its_scheme_or_gets_https(settings, configured, expected):
    settings.UWSGI_TASKMANAGER_BASE_URL = configured
    assert base_url() == expected


def test_without_a_base_url_or_sites_there_are_no_links(settings, make_report):
    settings.UWSGI_TASKMANAGER_BASE_URL = None
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "django.contrib.sites"]
    context = build_context(make_report("ok"), handler="x")
    assert (context["report_url"], context["log_url"]) == (None, None)


def test_the_sites_framework_gives_the_domain_when_no_base_url_is_set(settings, db):
    settings.UWSGI_TASKMANAGER_BASE_URL = None
    from django.contrib.sites.models import Site

    Site.objects.clear_cache()
    Site.objects.update_or_create(pk=1, defaults={"domain": "ops.example.org", "name": "ops"})
    assert base_url() == "https://ops.example.org"
    settings.DEBUG = True
    assert base_url() == "http://ops.example.org"


def test_a_preview_can_render_a_report_at_another_level(make_report):
    context = build_context(make_report("ok"), handler="x", level=Result.FAILED)
    assert (context["level"], context["result"]) == ("failed", "ok")


def test_the_log_tail_is_read_from_the_end_of_the_log_file(settings, make_report, tmp_path):
    settings.UWSGI_TASKMANAGER_N_LINES_IN_REPORT_LOG = 3
    logfile = tmp_path / "run.log"
    logfile.write_text("".join(f"line {i}\n" for i in range(100_000)))
    report = make_report("ok", log="line 99999", logfile=str(logfile))
    assert build_context(report, handler="x")["log_tail"] == ["line 99997", "line 99998", "line 99999"]


def test_terminal_escapes_and_control_characters_are_taken_out_of_the_log_tail(make_report):
    log = "\x1b[1;31mERROR\x1b[0m disk full\x07\nprogress\x08\x08 50%\tdone\n\x1b]0;title\x07plain"
    context = build_context(make_report("errors", log=log), handler="mail")
    assert context["log_tail"] == ["ERROR disk full", "progress 50%\tdone", "plain"]


def test_a_long_summary_is_cut_saying_how_much_more_there_was(make_report):
    summary = "s" * (2 * 1024 * 1024)
    report = make_report("errors", extra={"summary": summary, "rows": 12})
    extra = build_context(report, handler="mail")["extra"]
    assert (
        extra["summary"]
        == "s" * SUMMARY_MAX_LENGTH + f"… [{len(summary) - SUMMARY_MAX_LENGTH:,} more characters]"
    )
    assert extra["rows"] == 12
    report.refresh_from_db()
    assert report.extra["summary"] == summary  # the report keeps it whole


def test_a_summary_is_made_printable_and_one_that_is_not_text_is_left_as_it_is(make_report):
    assert build_context(make_report(extra={"summary": "\x1b[32mok\x1b[0m"}), handler="x")["extra"] == {
        "summary": "ok"
    }
    assert build_context(make_report(extra={"summary": [1, 2]}), handler="x")["extra"] == {"summary": [1, 2]}


def test_previous_is_the_tasks_report_before_this_one_with_its_link(make_report):
    first = make_report("failed")
    task = first.task
    second = Report.objects.create(
        task=task,
        invocation_result="ok",
        invocation_datetime=first.invocation_datetime + datetime.timedelta(hours=1),
    )
    later = Report.objects.create(
        task=task,
        invocation_result="ok",
        invocation_datetime=first.invocation_datetime + datetime.timedelta(hours=2),
    )
    make_report("errors", name="another task")
    context = build_context(second, handler="x")
    assert context["previous"] == first
    assert context["previous_url"] == f"https://tasks.example.com/admin/taskmanager/report/{first.pk}/change/"
    assert build_context(later, handler="x")["previous"] == second
    assert build_context(first, handler="x")["previous"] is None
    assert build_context(first, handler="x")["previous_url"] is None


def test_alone_a_report_is_a_streak_of_one_from_its_start_and_an_ok_one_of_none(make_report):
    failed = build_context(make_report("failed"), handler="x")
    assert (failed["event"], failed["streak"], failed["failing_since"]) == ("report", 1, failed["started"])
    ok = build_context(make_report("ok"), handler="x")
    assert (ok["streak"], ok["failing_since"]) == (0, None)


def test_of_two_reports_started_at_the_same_moment_the_first_saved_is_the_previous(make_report):
    first = make_report("failed")
    second = Report.objects.create(
        task=first.task, invocation_result="ok", invocation_datetime=first.invocation_datetime
    )
    assert build_context(second, handler="x")["previous"] == first
    assert build_context(first, handler="x")["previous"] is None
