"""Mail faults end to end, and huge or broken task output: nothing is lost, nothing else is affected."""

import pytest

from taskmanager.models import AppCommand, Delivery, Task
from taskmanager.tasks import exec_command_task

# The tasks run here write logs of up to 40 MB: into a temporary folder, never the checkout.
pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def handlers(settings, smtp_settings, outbox):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {
            "class": "taskmanager.notifications.MailNotificationHandler",
            "level": "ok",
            "from_email": "tasks@example.com",
            "recipients": "ops@example.com, bad@example.com",
            "max_attempts": 2,
            "retry_delay": 0.05,
        },
        "record": {
            "transport": "taskmanager.notifications.channels.locmem.LocmemTransport",
            "templates": "log",
            "level": "ok",
        },
    }
    return smtp_settings


def mail_delivery(report):
    return Delivery.objects.get(report=report, handler="mail")


def test_smtp_down_is_a_transient_failure_and_resend_delivers(handlers, make_report, outbox):
    from django.core.management import call_command

    handlers.stop()
    report = make_report("errors")
    report.emit_notifications()
    delivery = mail_delivery(report)
    assert (delivery.status, delivery.permanent, delivery.attempts) == ("failed", False, 2)
    assert "could not reach the SMTP server" in delivery.last_error
    assert [m.handler for m in outbox] == ["record"]
    handlers.start()
    call_command("resend_notifications")
    assert len(handlers.messages) == 1
    assert mail_delivery(report).status == "sent"


def test_smtp_5xx_on_rcpt_is_permanent_with_the_server_reply(settings, handlers, make_report, outbox):
    handlers.reject_rcpt = {"ops@example.com", "bad@example.com"}
    report = make_report("errors")
    report.emit_notifications()
    delivery = mail_delivery(report)
    assert (delivery.status, delivery.permanent, delivery.attempts) == ("failed", True, 1)
    assert "550" in delivery.last_error
    assert [m.handler for m in outbox] == ["record"]
    report.refresh_from_db()
    assert report.invocation_result == "errors"


@pytest.fixture
def task_writing(db):
    def make(command: str, arguments: str = "") -> Task:
        app_command, _ = AppCommand.objects.get_or_create(app_name="tests.sampleapp", name=command)
        return Task.objects.create(name=f"{command} task", command=app_command, arguments=arguments)

    return make


@pytest.mark.slow
def test_a_task_writing_40_mb_is_reported_and_notified_with_a_bounded_tail(settings, handlers, task_writing):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS["mail"]["recipients"] = "ops@example.com"
    report = exec_command_task(task_writing("writes_lines", "200000"))
    assert report.n_log_lines == 200_000
    assert mail_delivery(report).status == "sent"
    [mail] = handlers.messages
    assert len(mail.raw) < 200_000  # the tail, not 40 MB
    text = mail.message.get_body(("plain",)).get_content()
    assert text.count("\n") < 200


def test_invalid_utf8_output_is_reported_and_notified(settings, handlers, task_writing):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS["mail"]["recipients"] = "ops@example.com"
    report = exec_command_task(task_writing("writes_invalid_utf8"))
    assert report.invocation_result in ("ok", "warnings", "errors")
    assert "\ufffd" in report.log
    assert mail_delivery(report).status == "sent"
    text = handlers.messages[0].message.get_body(("plain",)).get_content()
    assert "\ufffd" in text
