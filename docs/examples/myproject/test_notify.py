import json
from pathlib import Path

import pytest
from django.core import checks

from myproject import notify
from taskmanager.models import AppCommand, Delivery, Report, Task
from taskmanager.notifications import DeliveryError, Message, NotificationConfigurationError
from tests.fakes.webhook import Answer, WebhookReceiver  # a loopback HTTP server: records, answers

TEMPLATES = Path(notify.__file__).parent / "notification_templates"


@pytest.fixture
def teams():
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def report(db):
    command = AppCommand.objects.create(app_name="myapp", name="import_data")
    task = Task.objects.create(name="nightly import", command=command)
    return Report.objects.create(task=task, invocation_result="errors", n_log_errors=2)


def configure(settings, url: str) -> None:
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(TEMPLATES)]
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "teams": {
            "transport": "myproject.notify.TeamsTransport",
            "templates": "teams",
            "level": "warnings",
            "url": url,
            "retry_delay": 0.01,  # keeps the test quick; the default is 1 s
        },
    }


def test_teams_receives_an_adaptive_card(settings, teams, report):
    configure(settings, teams.url)
    teams.answer(Answer(202))  # what a Teams workflow answers

    report.emit_notifications()

    [request] = teams.requests
    [attachment] = json.loads(request.body)["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    title, counts = attachment["content"]["body"]
    assert title["inlines"][0]["text"] == "nightly import finished with errors"
    assert counts["text"] == "2 errors, 0 warnings"
    assert report.deliveries.get().status == Delivery.STATUS_SENT


def test_a_card_teams_refuses_is_not_retried_and_its_answer_is_kept(settings, teams, report):
    configure(settings, teams.url)
    teams.answer(Answer(400, b'{"error": {"code": "InvalidRequestContent"}}'))

    report.emit_notifications()

    delivery = report.deliveries.get()
    assert (delivery.status, delivery.permanent, delivery.attempts) == (Delivery.STATUS_FAILED, True, 1)
    answer = '{"error": {"code": "InvalidRequestContent"}}'
    assert delivery.last_error.endswith(f"Teams answered HTTP 400: {answer}")


def test_throttling_is_retried_after_the_wait_teams_asks_for(settings, teams, report):
    teams.answer(Answer(429, headers=(("Retry-After", "7"),)))
    transport = notify.TeamsTransport(url=teams.url)

    with pytest.raises(DeliveryError) as raised:
        transport.send(Message("teams", "errors", {"json": "{}"}))

    assert (raised.value.permanent, raised.value.retry_after) == (False, 7)


def test_a_url_that_is_not_http_is_reported_by_check(settings):
    with pytest.raises(NotificationConfigurationError) as raised:
        notify.TeamsTransport(url="teams.example.com/workflows/1")
    assert raised.value.key == "url"

    configure(settings, "teams.example.com/workflows/1")
    [error] = [found for found in checks.run_checks(tags=["taskmanager"]) if found.id == "taskmanager.E006"]
    assert "Notification handler 'teams': 'url' is not an http(s) URL" in error.msg
    assert "teams.example.com" not in error.msg
