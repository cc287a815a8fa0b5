"""Slack faults end to end: nothing is lost, other handlers are unaffected, the task is unaffected."""

import json

import pytest
from django.core.management import call_command

from taskmanager.models import Delivery
from taskmanager.notifications import Message
from taskmanager.notifications.config import get_handler
from taskmanager.notifications.delivery import attempt_delivery
from tests.notifications.test_delivery import Clock

TOKEN = "xoxb-test-token"


@pytest.fixture
def handlers(settings, fake_slack, outbox):
    """Slack (fast retries) plus a recording handler that must always deliver."""
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "slack": {
            "class": "taskmanager.notifications.SlackNotificationHandler",
            "level": "ok",
            "token": TOKEN,
            "channel": "#general",
            "base_url": fake_slack.base_url,
            "timeout": 1,
            "max_attempts": 3,
            "retry_delay": 0.05,
            "deadline": 10,
        },
        "record": {
            "transport": "taskmanager.notifications.channels.locmem.LocmemTransport",
            "templates": "log",
            "level": "ok",
        },
    }
    return settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS


def slack_delivery(report):
    return Delivery.objects.get(report=report, handler="slack")


def assert_others_unaffected(report, outbox):
    assert [m.handler for m in outbox] == ["record"]
    assert Delivery.objects.get(report=report, handler="record").status == "sent"
    report.refresh_from_db()
    assert report.invocation_result == "errors"


def test_slack_down_is_recorded_as_a_transient_failure(handlers, fake_slack, make_report, outbox):
    fake_slack.stop()
    report = make_report("errors")
    report.emit_notifications()
    delivery = slack_delivery(report)
    assert (delivery.status, delivery.permanent, delivery.attempts) == ("failed", False, 3)
    assert "connection" in delivery.last_error.lower() or "refused" in delivery.last_error.lower()
    assert delivery.parts["json"]
    assert_others_unaffected(report, outbox)


def test_a_hanging_slack_is_cut_by_the_timeout(handlers, fake_slack, make_report, outbox):
    handlers["slack"]["max_attempts"] = 1
    fake_slack.hang_next(1, seconds=30)
    report = make_report("errors")
    report.emit_notifications()
    delivery = slack_delivery(report)
    assert delivery.status == "failed"
    assert "timed out" in delivery.last_error
    assert_others_unaffected(report, outbox)


def test_a_429_once_is_waited_out_and_delivered(handlers, fake_slack, make_report, outbox):
    fake_slack.rate_limit_next(1, retry_after=1)
    report = make_report("errors")
    report.emit_notifications()
    assert slack_delivery(report).status == "sent"
    assert len(fake_slack.messages) == 1
    assert_others_unaffected(report, outbox)


def test_500_always_then_recovering_is_delivered_once_by_resend(handlers, fake_slack, make_report, outbox):
    fake_slack.fail_next(3, status=500)
    report = make_report("errors")
    report.emit_notifications()
    delivery = slack_delivery(report)
    assert (delivery.status, delivery.attempts, delivery.permanent) == ("failed", 3, False)
    assert "500" in delivery.last_error
    assert fake_slack.messages == []
    call_command("resend_notifications")
    call_command("resend_notifications")
    assert len(fake_slack.messages) == 1
    assert slack_delivery(report).status == "sent"
    assert_others_unaffected(report, outbox)


def test_invalid_auth_is_permanent_and_not_retried(handlers, fake_slack, make_report, outbox):
    handlers["slack"]["token"] = "xoxb-revoked-token"
    report = make_report("errors")
    report.emit_notifications()
    delivery = slack_delivery(report)
    assert (delivery.status, delivery.permanent, delivery.attempts) == ("failed", True, 1)
    assert "invalid_auth" in delivery.last_error
    assert "xoxb-revoked-token" not in delivery.last_error
    assert len(fake_slack.requests) == 1
    assert_others_unaffected(report, outbox)


MESSAGE = Message(
    handler="slack", level="errors", parts={"json": json.dumps({"text": "nightly import: errors"})}
)


def test_a_retry_after_past_the_deadline_fails_at_once_as_transient_without_waiting(handlers, fake_slack):
    fake_slack.rate_limit_next(3, retry_after=3600)
    clock = Clock()
    attempted = attempt_delivery(get_handler("slack"), MESSAGE, sleep=clock.sleep, clock=clock)
    assert (attempted.sent, attempted.permanent, attempted.attempts) == (False, False, 1)
    assert clock.sleeps == []
    assert "Retry-After 3600 s" in attempted.error
    assert len(fake_slack.requests) == 1


def test_a_retry_after_too_long_for_slack_sdk_but_within_the_deadline_is_waited_out(handlers, fake_slack):
    handlers["slack"]["deadline"] = 120
    fake_slack.rate_limit_next(1, retry_after=45)  # slack_sdk itself waits 30 s at most
    clock = Clock()
    attempted = attempt_delivery(get_handler("slack"), MESSAGE, sleep=clock.sleep, clock=clock)
    assert (attempted.sent, attempted.attempts) == (True, 2)
    assert clock.sleeps == [45]
    assert len(fake_slack.messages) == 1
