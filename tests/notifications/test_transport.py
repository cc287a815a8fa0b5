"""Transport.finish_part: a transport's parts are finished once, when rendered, and sent as they are;
and reading an HTTP Retry-After, for every transport."""

import datetime
from typing import Any

import pytest

from taskmanager.notifications.channels.locmem import LocmemTransport
from taskmanager.notifications.exceptions import NotificationConfigurationError, NotificationTemplateError
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.message import Message
from taskmanager.notifications.transport import Transport, retry_after_seconds


class ShoutingTransport(LocmemTransport):
    """Finishes every part in capitals, and refuses a part that says "refuse"."""

    finished: list[str] = []

    def finish_part(self, part: str, text: str) -> str:
        type(self).finished.append(part)
        if "refuse" in text:
            raise ValueError("this text says refuse")
        return text.upper()


@pytest.fixture
def project(settings, tmp_path):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path)]
    (tmp_path / "shout").mkdir()
    ShoutingTransport.finished = []
    return tmp_path


def handler(**options: Any) -> NotificationHandler:
    return NotificationHandler("shout", transport_class=ShoutingTransport, templates="shout", options=options)


def test_the_default_keeps_the_text_as_rendered():
    class Plain(Transport):
        def send(self, message: Message) -> None:
            pass

    assert Plain().finish_part("json", '{"a": 1}\n') == '{"a": 1}\n'


def test_the_handler_finishes_each_part_with_its_transport_once_and_send_gets_them_as_finished(
    project, make_report, outbox
):
    (project / "shout" / "default.txt").write_text("{{ task_name }} {{ level }}")
    (project / "shout" / "default.subject.txt").write_text("about {{ task_name }}")
    shout = handler(parts=["subject.txt", "txt"])

    message = shout.render(make_report("errors"))
    shout.send(message)

    assert ShoutingTransport.finished == ["subject.txt", "txt"]
    assert dict(message.parts) == {"subject.txt": "ABOUT NIGHTLY IMPORT", "txt": "NIGHTLY IMPORT ERRORS"}
    assert outbox == [message]


def test_a_value_error_is_a_template_error_naming_the_file(project, make_report):
    template = project / "shout" / "default.txt"
    template.write_text("please refuse {{ task_name }}")
    with pytest.raises(NotificationTemplateError, match="this text says refuse") as caught:
        handler().render(make_report("errors"), strict=True)
    assert caught.value.filename == str(template)


def test_a_refused_part_falls_back_like_a_failing_template(project, make_report):
    (project / "shout" / "default.txt").write_text("please refuse {{ task_name }}")
    message = handler().render(make_report("errors", name="refuse import"))
    # No shipped "shout" folder: the minimal message, which names the task ("refuse import"),
    # so the transport refuses it too, and it goes out as it is.
    assert message.parts["txt"].startswith("refuse import finished with errors; the notification template")
    assert "this text says refuse" in message.problems[0]
    assert ShoutingTransport.finished == ["txt", "txt"]


def test_a_minimal_message_the_transport_accepts_is_finished_like_any_part(project, make_report):
    (project / "shout" / "default.txt").write_text("please refuse {{ task_name }}")
    message = handler().render(make_report("errors"))
    assert message.parts["txt"].startswith("NIGHTLY IMPORT FINISHED WITH ERRORS; THE NOTIFICATION TEMPLATE")
    assert ShoutingTransport.finished == ["txt", "txt"]


def test_a_handler_that_overrides_finish_part_decides_for_itself(project, make_report):
    class Quiet(NotificationHandler):
        def finish_part(self, part: str, text: str) -> str:
            return text.lower()

    (project / "shout" / "default.txt").write_text("{{ task_name }} IS DONE")
    quiet = Quiet("quiet", transport_class=ShoutingTransport, templates="shout")
    assert quiet.render(make_report("ok")).parts["txt"] == "nightly import is done"
    assert ShoutingTransport.finished == []


NOW = datetime.datetime(2026, 10, 21, 7, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize(("value", "seconds"), [("120", 120.0), (" 3600 ", 3600.0), ("0", 0.0), ("1.5", 1.5)])
def test_a_retry_after_in_seconds_is_read_as_seconds(value, seconds):
    assert retry_after_seconds(value, now=NOW) == seconds


def test_a_retry_after_given_as_an_http_date_is_the_time_until_then():
    assert retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT", now=NOW) == 28 * 60


def test_a_retry_after_date_already_past_means_now():
    assert retry_after_seconds("Wed, 21 Oct 2026 06:00:00 GMT", now=NOW) == 0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "nan", "inf", "Blursday, 99 Foo 20x6"])
def test_a_retry_after_that_says_nothing_usable_is_none(value):
    assert retry_after_seconds(value, now=NOW) is None


def test_an_unknown_option_names_the_option_it_resembles():
    with pytest.raises(NotificationConfigurationError) as caught:
        LocmemTransport(part=["txt"])
    assert caught.value.check_id == "taskmanager.E005"
    assert caught.value.hint == "Did you mean 'parts'? LocmemTransport takes: parts."


def test_an_unknown_option_resembling_a_handler_key_names_that_key():
    assert LocmemTransport.unknown_option("templete").hint.startswith("Did you mean 'templates'?")


def test_an_unknown_option_resembling_nothing_lists_the_options():
    assert LocmemTransport.unknown_option("colour").hint == "LocmemTransport takes: parts."
