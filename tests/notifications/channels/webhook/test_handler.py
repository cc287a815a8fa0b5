"""WebhookNotificationHandler: the generic payload, JSON validation, hostile content, end to end."""

import json

import pytest
from django.utils import timezone

from taskmanager.models import Delivery
from taskmanager.notifications.channels.webhook.handler import WebhookNotificationHandler
from taskmanager.notifications.checks import check_templates
from taskmanager.notifications.delivery import attempt_delivery
from taskmanager.notifications.exceptions import NotificationTemplateError
from taskmanager.notifications.filters import moment
from taskmanager.results import Level
from tests.fakes.webhook import Answer, WebhookReceiver
from tests.notifications.hostile import INJECTING_NAME, LONG_NAME, hostile_fields, hostile_lines
from tests.notifications.sequences import a_task, emit_sequence
from tests.notifications.test_delivery import Clock

WEBHOOK = "taskmanager.notifications.WebhookNotificationHandler"


@pytest.fixture
def hook(settings):
    with WebhookReceiver() as receiver:
        settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
            "hook": {"class": WEBHOOK, "level": "ok", "url": receiver.url, "timeout": 5, "max_attempts": 1}
        }
        yield receiver


def handler(**kwargs):
    return WebhookNotificationHandler("hook", options={"url": "https://example.com/hook"}, **kwargs)


def test_the_posted_json_equals_the_rendered_payload(hook, make_report):
    [outcome] = make_report("errors").emit_notifications()
    assert outcome.sent, outcome.error
    [received] = hook.requests
    assert received.body.decode() == outcome.message.parts["json"]


def test_the_default_payload_describes_the_report(make_report):
    report = make_report("errors", extra={"summary": "imported 1,234 rows", "rows": 1234})
    payload = json.loads(handler().render(report).parts["json"])
    assert payload["event"] == "taskmanager.report"
    assert payload["level"] == "errors"
    assert payload["test"] is False
    assert payload["text"] == "[errors] nightly import: 2 errors, 1 warning in 1 min 23 s"
    assert payload["task"] == {
        "id": report.task.pk,
        "name": "nightly import",
        "command": "sampleapp: sample",
        "arguments": ["--since", "2026-01-01", "-v", "2"],
    }
    assert payload["report"]["id"] == report.pk
    assert payload["report"]["result"] == "errors"
    assert (payload["report"]["n_errors"], payload["report"]["n_warnings"], payload["report"]["n_lines"]) == (
        2,
        1,
        3,
    )
    assert payload["report"]["duration_seconds"] == 83.0
    assert payload["report"]["started"] == timezone.localtime(report.invocation_datetime).isoformat()
    assert payload["report"]["started"].endswith(("+01:00", "+02:00"))  # Europe/Rome, the project's zone
    assert payload["report"]["log_url"] == f"https://tasks.example.com/taskmanager/logviewer/{report.pk}/"
    assert payload["summary"] == "imported 1,234 rows"
    assert payload["extra"] == {"summary": "imported 1,234 rows", "rows": 1234}
    assert payload["log_tail"] == ["line one", "WARNING careful", "ERROR broken"]


def test_failed_and_test_reports_say_so(make_report):
    payload = json.loads(handler().render(make_report("failed"), test=True).parts["json"])
    assert payload["text"] == "[TEST] [failed] nightly import failed"
    assert payload["test"] is True


def test_the_shipped_webhook_template_passes_the_checks(db):
    assert check_templates([handler(level=Level.OK)]) == []


def test_a_template_rendering_invalid_json_is_an_error_naming_the_template(settings, tmp_path, make_report):
    (tmp_path / "webhook").mkdir()
    (tmp_path / "webhook" / "default.json").write_text('{"text": {{ task_name }}}\n')
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path)]
    with pytest.raises(NotificationTemplateError) as caught:
        handler().render(make_report("errors"), strict=True)
    error = caught.value
    assert error.filename == str(tmp_path / "webhook" / "default.json")
    assert "invalid JSON" in str(error)
    assert "|tojson" in str(error)
    assert "UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS" in str(error)


def test_an_invalid_override_falls_back_to_the_shipped_payload_and_is_logged(
    settings, tmp_path, hook, make_report, caplog
):
    (tmp_path / "webhook").mkdir()
    (tmp_path / "webhook" / "default.json").write_text('{"text": "{{ task_name }}",}\n')
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path)]
    [outcome] = make_report("errors").emit_notifications()
    assert outcome.sent
    assert "invalid JSON" in outcome.message.problems[0]
    assert str(tmp_path / "webhook" / "default.json") in caplog.text
    [received] = hook.requests
    assert json.loads(received.body)["task"]["name"] == "nightly import"


def test_a_server_error_is_a_failed_outcome_without_the_url(hook, make_report, caplog):
    hook.answer(Answer(500, b"boom"))
    [outcome] = make_report("errors").emit_notifications()
    assert not outcome.sent
    assert outcome.permanent is False
    assert "s3cr3t-token" not in caplog.text
    assert "HTTP 500" in caplog.text


def test_a_query_string_echoed_by_the_server_reaches_neither_the_record_nor_the_log(
    settings, hook, make_report, caplog
):
    url = hook.url + "?key=AIzaSy-chat-key-0123&token=chat-token-4567"
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS["hook"]["url"] = url
    hook.answer(Answer(404, b"No space at ", echo=True))
    report = make_report("errors")
    [outcome] = report.emit_notifications()
    assert not outcome.sent
    [delivery] = Delivery.objects.filter(report=report)
    assert "HTTP 404" in delivery.last_error
    assert "HTTP 404" in caplog.text
    for text in (delivery.last_error, caplog.text, outcome.error):
        for secret in ("AIzaSy-chat-key-0123", "chat-token-4567", "s3cr3t-token"):
            assert secret not in text


def test_a_two_megabyte_summary_is_posted_cut_with_a_marker(hook, make_report):
    [outcome] = make_report("errors", extra={"summary": "s" * 2_000_000}).emit_notifications()
    assert outcome.sent, outcome.error
    payload = json.loads(hook.requests[0].body)
    assert payload["summary"] == "s" * 2000 + "… [1,998,000 more characters]"
    assert payload["extra"]["summary"] == payload["summary"]
    assert len(hook.requests[0].body) < 10_000


# -- hostile report content -----------------------------------------------------------------


def test_hostile_content_arrives_intact_and_json_escaped(hook, make_report):
    lines = hostile_lines()
    [outcome] = make_report("errors", name=INJECTING_NAME, **hostile_fields()).emit_notifications()
    assert outcome.sent, outcome.error
    body = hook.requests[0].body
    payload = json.loads(body)
    assert payload["log_tail"] == lines
    assert payload["task"]["name"] == INJECTING_NAME
    assert payload["summary"].startswith("summary <!channel> <@U123> <http://x|y> <script>")
    # |tojson escapes < > & ' so the payload is safe to embed even in HTML.
    assert b"<script>" not in body
    assert b"<!channel>" not in body


def test_a_250_character_task_name_is_kept_whole(make_report):
    payload = json.loads(handler().render(make_report("ok", name=LONG_NAME)).parts["json"])
    assert payload["task"]["name"] == LONG_NAME


def test_one_emission_parses_the_json_once(hook, make_report, monkeypatch):
    from taskmanager.notifications.channels.webhook import transport

    calls = []
    original = transport.check_json

    def counting(text):
        calls.append(text)
        original(text)

    monkeypatch.setattr(transport, "check_json", counting)

    [outcome] = make_report("errors").emit_notifications()

    assert outcome.sent, outcome.error
    assert calls == [outcome.message.parts["json"]]


def test_a_delivery_waits_as_long_as_the_webhook_asked_before_trying_again(make_report):
    with WebhookReceiver() as receiver:
        receiver.answer(Answer(429, headers=(("Retry-After", "20"),)), Answer(204))
        hook = WebhookNotificationHandler("hook", options={"url": receiver.url}, deadline=60)
        clock = Clock()
        attempted = attempt_delivery(hook, hook.render(make_report("errors")), sleep=clock.sleep, clock=clock)
        assert (attempted.sent, attempted.attempts, clock.sleeps) == (True, 2, [20])
        assert len(receiver.requests) == 2


def test_a_retry_after_past_the_deadline_fails_the_delivery_at_once_as_transient(make_report):
    with WebhookReceiver() as receiver:
        receiver.answer(Answer(503, headers=(("Retry-After", "3600"),)))
        hook = WebhookNotificationHandler("hook", options={"url": receiver.url}, deadline=60)
        clock = Clock()
        attempted = attempt_delivery(hook, hook.render(make_report("errors")), sleep=clock.sleep, clock=clock)
        assert (attempted.sent, attempted.permanent, attempted.attempts, clock.sleeps) == (
            False,
            False,
            1,
            [],
        )
        assert "Retry-After 3600 s" in attempted.error
        assert len(receiver.requests) == 1


def test_the_payload_names_the_policys_event_and_a_recovery_says_so(settings, db):
    with WebhookReceiver() as receiver:
        settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
            "hook": {"class": WEBHOOK, "url": receiver.url, "notify": "change", "remind_every": "4h"}
        }
        reports = emit_sequence(a_task())
        payloads = [json.loads(request.body) for request in receiver.requests]
    since = moment(reports[1].invocation_datetime)
    assert [p["event"] for p in payloads] == [
        "taskmanager.triggered",
        "taskmanager.reminder",
        "taskmanager.recovered",
    ]
    assert payloads[0]["text"] == "[failed] Nightly import failed"
    assert payloads[1]["text"] == f"Still failing: Nightly import, 3rd failed run since {since}"
    recovered_news = f"Recovered: Nightly import is ok again after 4 runs with errors since {since}"
    assert payloads[2]["text"] == recovered_news
    policy = payloads[2]["policy"]
    assert (policy["event"], policy["streak"]) == ("recovered", 4)
    assert policy["failing_since"] == timezone.localtime(reports[1].invocation_datetime).isoformat()
    assert policy["previous"]["id"] == reports[4].pk
    assert policy["previous"]["result"] == "errors"
    assert policy["previous"]["url"].endswith(f"/report/{reports[4].pk}/change/")


def test_under_notify_every_the_event_is_the_report_as_before(hook, make_report):
    make_report("errors").emit_notifications()
    [received] = hook.requests
    payload = json.loads(received.body)
    assert payload["event"] == "taskmanager.report"
    assert payload["policy"] == {
        "event": "report",
        "streak": 1,
        "failing_since": payload["report"]["started"],
        "previous": None,
    }
