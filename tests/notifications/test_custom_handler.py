"""A custom handler is a transport class plus a template folder, registered in settings."""

import json

import pytest

from taskmanager.notifications import Message, NotificationHandler, Transport
from taskmanager.notifications.channels.locmem import LocmemTransport

sent: list[Message] = []


class TeamsTransport(Transport):
    """What a project writes: one small class, no Jinja."""

    template_parts = ("json",)

    def __init__(self, *, url: str, timeout: float = 10, **options):
        super().__init__(**options)
        self.url, self.timeout = url, timeout

    def send(self, message: Message) -> None:
        sent.append(message)


@pytest.fixture
def teams(settings, tmp_path):
    folder = tmp_path / "teams"
    folder.mkdir()
    (folder / "default.json").write_text(
        '{"title": {{ (task_name ~ " " ~ level)|tojson }}, "errors": {{ n_errors }},'
        ' "summary": {{ extra.get("summary", "")|tojson }}, "link": {{ report_url|tojson }}}'
    )
    (folder / "failed.json").write_text('{"title": {{ ("FAILED: " ~ task_name)|tojson }}}')
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path)]
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "teams": {
            "transport": f"{__name__}.TeamsTransport",
            "templates": "teams",
            "level": "warnings",
            "url": "https://example.webhook.office.com/secret",
        }
    }
    sent.clear()
    yield
    sent.clear()


def test_a_transport_and_a_template_folder_receive_rendered_messages(teams, make_report):
    report = make_report("errors", extra={"summary": "imported 1,234 rows, 3 skipped"})
    report.emit_notifications()
    assert len(sent) == 1
    message = sent[0]
    assert (message.handler, message.level, message.report) == ("teams", "errors", report)
    assert json.loads(message.parts["json"]) == {
        "title": "nightly import errors",
        "errors": 2,
        "summary": "imported 1,234 rows, 3 skipped",
        "link": f"https://tasks.example.com/admin/taskmanager/report/{report.pk}/change/",
    }


def test_a_per_level_template_of_the_custom_folder_is_used(teams, make_report):
    make_report("failed").emit_notifications()
    assert json.loads(sent[0].parts["json"]) == {"title": "FAILED: nightly import"}


def test_the_transport_receives_its_options(teams):
    from taskmanager.notifications.config import get_handler

    transport = get_handler("teams").transport
    assert isinstance(transport, TeamsTransport)
    assert (transport.url, transport.timeout) == ("https://example.webhook.office.com/secret", 10)


def test_reports_below_the_level_are_not_sent(teams, make_report):
    make_report("ok").emit_notifications()
    assert sent == []


def test_a_handler_subclass_can_add_to_the_context(settings, tmp_path, make_report, outbox):
    (tmp_path / "oncall").mkdir()
    (tmp_path / "oncall" / "default.txt").write_text("{{ task_name }} -> {{ on_call }}")
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path)]
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "oncall": {"class": f"{__name__}.OnCallHandler", "level": "ok"},
    }
    make_report("ok").emit_notifications()
    assert [m.parts["txt"] for m in outbox] == ["nightly import -> ada@example.com"]


class OnCallHandler(NotificationHandler):
    transport_class = LocmemTransport
    templates = "oncall"

    def extra_context(self, report):
        return {"on_call": "ada@example.com"}
