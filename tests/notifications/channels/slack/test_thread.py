"""The Slack option ``thread_log``: the log's last lines as a reply in the message's thread,
fitted to Slack's limits, through the real slack_sdk against the loopback FakeSlack."""

import json

import pytest
from django.core import checks

from taskmanager.models import Delivery
from taskmanager.notifications import DeliveryError, Message, NotificationConfigurationError
from taskmanager.notifications.channels.slack.limits import SECTION_TEXT
from taskmanager.notifications.channels.slack.text import slack_length
from taskmanager.notifications.channels.slack.thread import (
    DEFAULT_LINES,
    thread_lines_option,
    thread_payload,
)
from taskmanager.notifications.channels.slack.transport import SlackTransport
from taskmanager.notifications.checks import check_notification_settings
from tests.fakes import FakeSlack

TOKEN = "xoxb-test-token"
SLACK = "taskmanager.notifications.SlackNotificationHandler"
PAYLOAD = {
    "text": "nightly import failed",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
}


def numbered(count: int, width: int = 20) -> str:
    return "\n".join(f"line {number:04d} " + "x" * width for number in range(1, count + 1))


def transport(fake: FakeSlack, **options) -> SlackTransport:
    options.setdefault("token", TOKEN)
    options.setdefault("channel", "#general")
    return SlackTransport(base_url=fake.base_url, **options)


def message(report) -> Message:
    return Message(handler="slack", level="failed", parts={"json": json.dumps(PAYLOAD)}, report=report)


def code_of(payload: dict | None) -> str:
    assert payload is not None
    [block] = payload["blocks"]
    return block["text"]["text"]


# -- the reply -------------------------------------------------------------------------------


def test_the_reply_shows_the_last_lines_in_a_code_block(make_report):
    report = make_report("failed", log=numbered(80), n_log_lines=80)

    payload = thread_payload(report, 50)
    assert payload is not None

    text = code_of(payload)
    assert text.startswith("*Last 50 log lines*\n```\n")
    assert text.endswith("line 0080 " + "x" * 20 + "\n```")
    assert "line 0031 " in text
    assert "line 0030 " not in text
    assert payload["text"] == "nightly import: last 50 log lines"


def test_lines_longer_than_a_section_holds_keep_the_last_ones(make_report):
    report = make_report("failed", log=numbered(200, width=100), n_log_lines=200)

    text = code_of(thread_payload(report, 200))

    assert slack_length(text) <= SECTION_TEXT.limit
    assert "earlier characters\n" in text
    assert text.endswith("line 0200 " + "x" * 100 + "\n```")


def test_log_content_cannot_ping_close_the_code_block_or_leak_a_token(make_report):
    log = "<!channel> deploy & go\n```\nnot code\nusing xoxb-1234-5678-abcdef\n\x1b[31mred\x1b[0m"
    report = make_report("failed", log=log, n_log_lines=5)

    text = code_of(
        thread_payload(report, 10, scrub=lambda line: line.replace("xoxb-1234-5678-abcdef", "[secret]"))
    )

    assert "&lt;!channel&gt; deploy &amp; go" in text
    assert text.count("```") == 2  # the log's own fence is broken by a zero-width space
    assert "using [secret]" in text
    assert "\x1b" not in text
    assert "red" in text


def test_a_report_without_log_lines_gets_no_reply(make_report):
    assert thread_payload(make_report("failed", log="", n_log_lines=0), 50) is None


def test_the_reply_reads_the_end_of_the_log_file_beyond_the_stored_tail(make_report, tmp_path):
    path = tmp_path / "run.log"
    path.write_text(numbered(300) + "\n")
    report = make_report("failed", log=numbered(300).split("\n", 290)[-1], n_log_lines=300, logfile=str(path))

    text = code_of(thread_payload(report, 40))

    assert "*Last 40 log lines*" in text
    assert "line 0261 " in text
    assert "line 0260 " not in text


@pytest.mark.parametrize(
    ("value", "lines"), [(False, 0), (None, 0), (True, DEFAULT_LINES), (1, 1), (200, 200)]
)
def test_thread_log_is_off_on_or_a_number_of_lines(value, lines):
    assert thread_lines_option(value) == lines


@pytest.mark.parametrize("value", ["yes", 0, -3, 1001, 2.5, [50]])
def test_any_other_thread_log_is_a_configuration_error_with_a_hint(value):
    with pytest.raises(NotificationConfigurationError) as caught:
        thread_lines_option(value)
    assert caught.value.key == "thread_log"
    assert "e.g. 100" in caught.value.hint


# -- posted in the thread --------------------------------------------------------------------


def test_the_log_is_replied_in_the_thread_of_the_message(fake_slack, make_report):
    report = make_report("failed", log=numbered(5), n_log_lines=5)

    note = transport(fake_slack, thread_log=True, username="tasks").send(message(report))

    assert note is None
    parent, reply = fake_slack.messages
    assert parent["thread_ts"] is None
    assert reply["thread_ts"] == parent["ts"]
    assert reply["channel"] == parent["channel"]
    assert reply["username"] == "tasks"
    assert reply["raw"]["unfurl_links"] is False
    assert "line 0005 " in reply["blocks"][0]["text"]["text"]


def test_the_reply_to_a_test_message_says_so(fake_slack, make_report):
    test = Message(
        handler="slack", level="failed", parts={"json": json.dumps(PAYLOAD)}, report=make_report(), test=True
    )

    transport(fake_slack, thread_log=True).send(test)

    _parent, reply = fake_slack.messages
    assert reply["text"] == "[TEST] nightly import: last 3 log lines"


def test_there_is_no_reply_by_default(fake_slack, make_report):
    transport(fake_slack).send(message(make_report("failed")))
    assert len(fake_slack.messages) == 1


def test_each_channel_gets_the_reply_in_its_own_message_thread(fake_slack, make_report):
    fake_slack.channels["C0000000002"] = "ops"
    transport(fake_slack, channel="#general, #ops", thread_log=10).send(message(make_report("failed")))

    first, first_reply, second, second_reply = fake_slack.messages
    assert (first_reply["thread_ts"], first_reply["channel"]) == (first["ts"], "C0000000001")
    assert (second_reply["thread_ts"], second_reply["channel"]) == (second["ts"], "C0000000002")


def test_a_refused_reply_leaves_the_message_sent_once_and_says_so(fake_slack, make_report):
    fake_slack.refuse_replies()

    note = transport(fake_slack, thread_log=True).send(message(make_report("failed")))

    assert note == (
        "the message was posted, but not its log reply in the thread: "
        "Slack: cannot_reply_to_message (channel #general)"
    )
    [posted] = fake_slack.messages
    assert posted["thread_ts"] is None


def test_a_refused_reply_is_recorded_on_the_sent_delivery_and_never_retried(
    settings, fake_slack, make_report
):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "slack": {
            "class": SLACK,
            "level": "errors",
            "token": TOKEN,
            "channel": "#general",
            "base_url": fake_slack.base_url,
            "thread_log": True,
            "max_attempts": 3,
        }
    }
    fake_slack.refuse_replies()
    report = make_report("failed")

    [outcome] = report.emit_notifications()

    assert outcome.sent
    delivery = Delivery.objects.get(report=report)
    assert delivery.status == Delivery.STATUS_SENT
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("the message was posted, but not its log reply in the thread: ")
    assert "cannot_reply_to_message" in delivery.last_error
    assert [m["thread_ts"] for m in fake_slack.messages] == [None]


def test_a_failing_channel_fails_the_delivery_while_the_other_has_its_message_and_reply(
    fake_slack, make_report
):
    fake_slack.channels["C0000000002"] = "ops"
    fake_slack.archive_channel("#ops")
    slack = transport(fake_slack, channel="#general, #ops", thread_log=True)

    with pytest.raises(DeliveryError) as caught:
        slack.send(message(make_report("failed")))

    assert "is_archived" in caught.value.message
    parent, reply = fake_slack.messages
    assert reply["thread_ts"] == parent["ts"]


# -- settings --------------------------------------------------------------------------------


def test_thread_log_with_an_incoming_webhook_is_a_check_error_with_a_hint(settings, fake_slack):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "slack": {"class": SLACK, "webhook_url": fake_slack.webhook_url(), "thread_log": True}
    }

    [error] = [m for m in check_notification_settings() if m.level >= checks.ERROR]

    assert error.id == "taskmanager.E006"
    assert "'thread_log' cannot be used with 'webhook_url'" in error.msg
    assert "'token' and 'channel'" in str(error.hint)
    assert fake_slack.webhook_url() not in error.msg + str(error.hint)
