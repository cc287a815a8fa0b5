"""A template that fails at run time falls back, so the alert still goes out."""

import json
import logging

import pytest

from taskmanager.models import Delivery

LOCMEM = "taskmanager.notifications.channels.locmem.LocmemTransport"


@pytest.fixture
def project(settings, tmp_path):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path)]
    return tmp_path


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_failing_override_falls_back_to_the_shipped_default_and_is_logged(
    settings, project, make_report, outbox, caplog
):
    override = write(project, "log/default.txt", "Task {{ task_name }}\n{{ extra.rows_imported }}\n")
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "log": {"transport": LOCMEM, "templates": "log", "level": "ok"}
    }
    report = make_report("errors")
    with caplog.at_level(logging.ERROR, logger="taskmanager.notifications"):
        outcomes = report.emit_notifications()
    assert outcomes[0].sent
    text = outbox[0].parts["txt"]
    assert text.startswith("[errors] nightly import: errors")  # the shipped log template
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"{override}, line 2" in logged
    delivery = Delivery.objects.get(report=report)
    assert delivery.status == "sent"
    assert f"{override}, line 2" in delivery.last_error


def test_when_there_is_no_shipped_default_a_minimal_message_is_sent(settings, project, make_report, outbox):
    write(project, "teams/default.json", '{"text": {{ missing_variable|tojson }}}')
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "teams": {"transport": LOCMEM, "templates": "teams", "parts": ["json"], "level": "ok"}
    }
    make_report("failed").emit_notifications()
    payload = json.loads(outbox[0].parts["json"])
    assert payload["text"] == (
        "nightly import finished with failed; the notification template failed "
        "(handler 'teams', part 'json', level 'failed'): see the server's log or the delivery record for why"
    )


def test_the_minimal_message_keeps_the_templates_problem_to_the_log_and_the_record(
    settings, project, make_report, outbox, caplog
):
    template = write(project, "teams/default.json", '{"text": {{ missing_variable|tojson }}}')
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "teams": {"transport": LOCMEM, "templates": "teams", "parts": ["json"], "level": "ok"}
    }
    report = make_report("failed")
    with caplog.at_level(logging.ERROR, logger="taskmanager.notifications"):
        report.emit_notifications()
    sent = outbox[0].parts["json"]
    # Server paths and template source never leave for the external service...
    for private in (str(template), str(project), "missing_variable", "line 1"):
        assert private not in sent
    # ...while whoever fixes the template reads the whole problem.
    assert f"{template}, line 1" in caplog.text
    assert "missing_variable" in caplog.text
    assert f"{template}, line 1" in Delivery.objects.get(report=report).last_error


def test_a_minimal_subject_stays_one_line(settings, project, make_report, outbox):
    write(project, "x/default.subject.txt", "{{ nope }}")
    write(project, "x/default.html", "{{ nope }}")
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "x": {"transport": LOCMEM, "templates": "x", "parts": ["subject.txt", "html"], "level": "ok"}
    }
    make_report("errors", name="import\r\nBcc: evil@example.com <b>").emit_notifications()
    subject, html = outbox[0].parts["subject.txt"], outbox[0].parts["html"]
    assert "\n" not in subject
    assert "\r" not in subject
    assert "<b>" not in html
    assert "&lt;b&gt;" in html
