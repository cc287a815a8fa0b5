"""LogNotificationHandler: the rendered text on the taskmanager.notifications logger."""

import logging

import pytest

from taskmanager.notifications import LogNotificationHandler
from taskmanager.notifications.checks import check_templates
from taskmanager.notifications.filters import moment
from taskmanager.results import Result
from tests.notifications.hostile import INJECTING_NAME, hostile_fields, hostile_lines
from tests.notifications.sequences import a_task, emit_sequence

LOG = "taskmanager.notifications.LogNotificationHandler"


@pytest.fixture
def log_handler(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"log": {"class": LOG, "level": "ok"}}


def records(caplog, name="taskmanager.notifications"):
    return [r for r in caplog.records if r.name == name and getattr(r, "notification_handler", None)]


@pytest.mark.parametrize(
    ("result", "levelno"),
    [
        ("ok", logging.INFO),
        ("warnings", logging.WARNING),
        ("errors", logging.ERROR),
        ("failed", logging.ERROR),
    ],
)
def test_the_report_level_maps_to_the_log_level(log_handler, make_report, caplog, result, levelno):
    with caplog.at_level(logging.INFO, logger="taskmanager.notifications"):
        make_report(result).emit_notifications()
    [record] = records(caplog)
    assert record.levelno == levelno
    assert record.notification_handler == "log"


def test_the_record_is_the_rendered_text(log_handler, make_report, caplog):
    report = make_report("errors", extra={"summary": "imported 1,234 rows"})
    with caplog.at_level(logging.INFO, logger="taskmanager.notifications"):
        [outcome] = report.emit_notifications()
    [record] = records(caplog)
    text = record.getMessage()
    assert text == outcome.message.parts["txt"].rstrip("\n")
    lines = text.splitlines()
    assert lines[0].startswith(
        "[errors] nightly import: errors (2 errors, 1 warning) in 1 min 23 s, started "
    )
    assert "  imported 1,234 rows" in lines
    assert f"  Log: https://tasks.example.com/taskmanager/logviewer/{report.pk}/" in lines
    assert lines[-3:] == ["    line one", "    WARNING careful", "    ERROR broken"]


def test_a_test_message_is_marked(make_report, caplog):
    handler = LogNotificationHandler("log")
    with caplog.at_level(logging.INFO, logger="taskmanager.notifications"):
        handler.send(handler.render(make_report("ok"), test=True))
    assert records(caplog)[0].getMessage().startswith("[TEST] [ok] nightly import")


def test_another_logger_can_be_chosen(settings, make_report, caplog):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "log": {"class": LOG, "level": "ok", "logger": "ops.tasks"}
    }
    with caplog.at_level(logging.INFO, logger="ops.tasks"):
        make_report("warnings").emit_notifications()
    [record] = records(caplog, name="ops.tasks")
    assert record.levelno == logging.WARNING


def test_hostile_content_is_logged_as_written_and_cannot_fake_a_record(log_handler, make_report, caplog):
    with caplog.at_level(logging.INFO, logger="taskmanager.notifications"):
        make_report("errors", name=INJECTING_NAME, **hostile_fields()).emit_notifications()
    text = records(caplog)[0].getMessage()
    lines = text.splitlines()
    # The name's CR/LF are collapsed into the one-line header; every other line is indented.
    assert lines[0].startswith("[errors] nightly import Bcc: evil@example.com: errors")
    assert all(line.startswith("  ") for line in lines[1:])
    for line in hostile_lines():
        assert "    " + line in lines


def test_the_shipped_log_template_passes_the_checks(db):
    assert check_templates([LogNotificationHandler("log", level=Result.OK)]) == []


def test_terminal_escapes_in_the_log_never_reach_the_log_record(log_handler, make_report, caplog):
    report = make_report("errors", log="\x1b[31mERROR\x1b[0m boom\x07\n\x1b]0;pwned\x07done")
    with caplog.at_level(logging.INFO, logger="taskmanager.notifications"):
        report.emit_notifications()
    [record] = records(caplog)
    text = record.getMessage()
    assert "    ERROR boom\n    done" in text
    assert "\x1b" not in text
    assert "\x07" not in text


def test_a_two_megabyte_summary_is_cut_in_the_log_record(log_handler, make_report, caplog):
    report = make_report("errors", extra={"summary": "s" * 2_000_000})
    with caplog.at_level(logging.INFO, logger="taskmanager.notifications"):
        report.emit_notifications()
    [record] = records(caplog)
    assert len(record.getMessage()) < 3000
    assert "more characters]" in record.getMessage()


def test_a_reminder_and_a_recovery_are_logged_with_the_news_on_the_header_line(settings, caplog, db):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "log": {"class": LOG, "notify": "change", "remind_every": "4h"}
    }
    with caplog.at_level(logging.INFO, logger="taskmanager.notifications"):
        reports = emit_sequence(a_task())
    since = moment(reports[1].invocation_datetime)
    triggered, reminder, recovered = (r.getMessage().splitlines() for r in records(caplog))
    assert triggered[0].startswith("[failed] Nightly import: failed (1 error, 0 warnings)")
    assert reminder[0] == f"[reminder] Still failing: Nightly import, 3rd failed run since {since}"
    assert reminder[1].startswith("  [failed] Nightly import: failed")
    assert recovered[0].startswith(
        f"[recovered] Nightly import: ok again after 4 runs with errors since {since}, started "
    )
    assert recovered[1] == f"  Run before it: errors, started {moment(reports[4].invocation_datetime)}"
