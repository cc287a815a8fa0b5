import json
import logging
import sys

import pytest

from taskmanager.notifications import DeliveryError, Message, NotificationConfigurationError
from taskmanager.notifications.channels.slack.errors import PayloadError
from taskmanager.notifications.channels.slack.transport import SlackTransport
from tests.fakes import FakeSlack

TOKEN = "xoxb-test-token"
PAYLOAD = {
    "text": "nightly import finished with errors",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "nightly import: errors"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": ":x: *Finished with errors*"}},
    ],
}


def message(payload=PAYLOAD):
    return Message(handler="slack", level="errors", parts={"json": json.dumps(payload)})


def transport(fake: FakeSlack, **options) -> SlackTransport:
    options.setdefault("token", TOKEN)
    options.setdefault("channel", "#general")
    return SlackTransport(base_url=fake.base_url, **options)


def test_it_posts_the_payload_with_chat_post_message(fake_slack):
    transport(fake_slack).send(message())
    [posted] = fake_slack.messages
    assert posted["method"] == "chat.postMessage"
    assert posted["channel"] == "C0000000001"
    assert posted["token"] == TOKEN
    assert posted["text"] == PAYLOAD["text"]
    assert posted["blocks"] == PAYLOAD["blocks"]
    assert posted["raw"]["unfurl_links"] is False


def test_a_channel_list_gets_one_message_per_channel(fake_slack):
    fake_slack.channels["C0000000002"] = "ops"
    transport(fake_slack, channel=["#general", "C0000000002"]).send(message())
    assert [m["channel"] for m in fake_slack.messages] == ["C0000000001", "C0000000002"]


def test_a_comma_separated_channel_string_gets_one_message_per_channel(fake_slack):
    fake_slack.channels["C0000000002"] = "ops"
    transport(fake_slack, channel=" #general, ops ,, #general").send(message())
    assert [m["channel"] for m in fake_slack.messages] == ["C0000000001", "C0000000002"]


def test_a_webhook_url_posts_to_the_incoming_webhook(fake_slack):
    url = fake_slack.webhook_url("T1/B1/secret")
    SlackTransport(webhook_url=url, username="Task manager", icon_emoji=":robot_face:").send(message())
    [posted] = fake_slack.messages
    assert posted["method"] == "incoming-webhook"
    assert posted["webhook"] == "T1/B1/secret"
    assert posted["blocks"] == PAYLOAD["blocks"]
    assert (posted["username"], posted["icon_emoji"]) == ("Task manager", ":robot_face:")


def test_username_and_icon_emoji_reach_chat_post_message(fake_slack):
    transport(fake_slack, username="Task manager", icon_emoji=":robot_face:").send(message())
    [posted] = fake_slack.messages
    assert (posted["username"], posted["icon_emoji"]) == ("Task manager", ":robot_face:")


def test_the_payload_is_made_to_fit_when_it_is_finished(fake_slack):
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"b{i}"}} for i in range(59)]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "<https://x.test/r|Report>"}]})
    slack = transport(fake_slack)
    finished = slack.finish_part("json", json.dumps({"text": "t" * 5000, "blocks": blocks}))
    slack.send(Message(handler="slack", level="errors", parts={"json": finished}))
    [posted] = fake_slack.messages
    assert len(posted["blocks"]) == 50
    assert posted["blocks"][-1] == blocks[-1]
    assert len(posted["text"]) <= 4000
    assert posted["text"].endswith("more characters")
    assert posted["warnings"] == []


def test_a_payload_that_fits_is_finished_as_the_template_laid_it_out(fake_slack):
    rendered = json.dumps(PAYLOAD, indent=4)
    assert transport(fake_slack).finish_part("json", rendered) is rendered


def test_only_the_json_part_is_finished(fake_slack):
    assert transport(fake_slack).finish_part("txt", "not { json") == "not { json"


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"text": "t", "blocks": [{"type": "sparkles"}]}, "unknown block type 'sparkles'"),
        ({"text": "t", "blocks": [{"type": "header"}]}, "text attribute must be specified"),
        ({"text": "t", "blocks": "nope"}, "'blocks' must be a list of objects"),
        ({"text": "t", "channel": "C1"}, "unknown top-level key(s) 'channel'"),
        ({"text": 5}, "'text' must be a string"),
        ({"text": "t", "blocks": [{"type": "section", "text": "raw string"}]}, "text has no text"),
    ],
)
def test_what_cannot_be_made_to_fit_is_refused_with_the_reason(fake_slack, payload, problem):
    with pytest.raises(PayloadError) as caught:
        transport(fake_slack).finish_part("json", json.dumps(payload))
    assert problem in str(caught.value)


def test_send_posts_the_finished_payload_as_it_is_without_fitting_it_again(fake_slack):
    # Built by hand, never finished: a 5,000-character text Slack accepts (with a warning).
    transport(fake_slack).send(message({"text": "t" * 5000}))
    [posted] = fake_slack.messages
    assert posted["text"] == "t" * 5000
    assert posted["warnings"] == ["text is over 4,000 characters: Slack may split it"]


def test_a_payload_built_by_hand_past_slacks_limits_is_refused_by_slack_permanently(fake_slack):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"b{i}"}} for i in range(51)]
    with pytest.raises(DeliveryError) as caught:
        transport(fake_slack).send(message({"text": "t", "blocks": blocks}))
    assert caught.value.permanent is True
    assert "invalid_blocks: no more than 50 items allowed [json-pointer:/blocks]" in str(caught.value)
    assert [r["error"] for r in fake_slack.requests] == ["invalid_blocks"]
    assert fake_slack.messages == []


@pytest.mark.parametrize("rendered", ["not json", "[]"])
def test_a_json_part_that_is_not_an_object_is_a_permanent_error_and_nothing_is_posted(fake_slack, rendered):
    with pytest.raises(DeliveryError, match="not a JSON object") as caught:
        transport(fake_slack).send(Message(handler="slack", level="errors", parts={"json": rendered}))
    assert caught.value.permanent is True
    assert fake_slack.requests == []


def test_invalid_auth_is_a_permanent_error_that_does_not_show_the_token(fake_slack):
    secret = "xoxb-1234-do-not-print-me"
    with pytest.raises(DeliveryError) as caught:
        transport(fake_slack, token=secret).send(message())
    assert caught.value.permanent is True
    assert "invalid_auth" in str(caught.value)
    assert secret not in str(caught.value)
    assert "do-not-print" not in repr(caught.value)
    assert fake_slack.messages == []


def test_an_unknown_channel_is_a_permanent_error_naming_it(fake_slack):
    with pytest.raises(DeliveryError, match=r"channel_not_found.*#nowhere") as caught:
        transport(fake_slack, channel="#nowhere").send(message())
    assert caught.value.permanent is True


def test_one_failing_channel_does_not_stop_the_others(fake_slack):
    with pytest.raises(DeliveryError) as caught:
        transport(fake_slack, channel="#nowhere, #general").send(message())
    assert [m["channel"] for m in fake_slack.messages] == ["C0000000001"]
    assert str(caught.value) == "Slack: 1 of 2 channels failed: #nowhere: channel_not_found"
    assert caught.value.permanent is True


def test_a_summary_of_failures_is_permanent_only_when_every_failure_is(fake_slack):
    fake_slack.rate_limit_next(retry_after=3600)  # the first channel's request
    with pytest.raises(DeliveryError) as caught:
        transport(fake_slack, channel="#general, #nowhere").send(message())
    assert "#general: ratelimited (HTTP 429), Retry-After 3600 s" in str(caught.value)
    assert "#nowhere: channel_not_found" in str(caught.value)
    assert caught.value.permanent is False


def test_a_429_is_retried_after_retry_after_and_delivered_once(fake_slack):
    fake_slack.rate_limit_next(retry_after=0)
    transport(fake_slack).send(message())
    assert [r["status"] for r in fake_slack.requests] == [429, 200]
    assert len(fake_slack.messages) == 1


def test_a_429_with_a_long_retry_after_fails_at_once_and_can_be_retried_later(fake_slack):
    fake_slack.rate_limit_next(retry_after=120)
    with pytest.raises(DeliveryError, match="ratelimited") as caught:
        transport(fake_slack).send(message())
    assert caught.value.permanent is False
    assert len(fake_slack.requests) == 1


def test_429s_are_retried_twice_at_most(fake_slack):
    fake_slack.rate_limit_next(3, retry_after=0)
    with pytest.raises(DeliveryError, match="ratelimited") as caught:
        transport(fake_slack).send(message())
    assert caught.value.permanent is False
    assert len(fake_slack.requests) == 3
    assert fake_slack.messages == []


def test_a_server_error_is_a_temporary_error(fake_slack):
    fake_slack.fail_next(status=503)
    with pytest.raises(DeliveryError, match=r"unexpected answer \(HTTP 503\)") as caught:
        transport(fake_slack).send(message())
    assert caught.value.permanent is False


def test_a_timeout_is_a_temporary_error_and_is_not_retried(fake_slack):
    # The message may have been posted before the answer was lost: no blind retry.
    fake_slack.hang_next(seconds=3)
    with pytest.raises(DeliveryError, match="timed out") as caught:
        transport(fake_slack, timeout=0.3).send(message())
    assert caught.value.permanent is False
    assert len(fake_slack.requests) <= 1


def test_a_revoked_webhook_is_permanent_and_its_url_is_never_shown(fake_slack):
    url = fake_slack.webhook_url("T1/B1/s3cr3t")
    fake_slack.revoke_webhook("T1/B1/s3cr3t")
    with pytest.raises(DeliveryError) as caught:
        SlackTransport(webhook_url=url).send(message())
    assert str(caught.value) == "Slack: invalid_token (HTTP 403)"
    assert caught.value.permanent is True


def test_an_unreachable_webhook_is_retried_and_its_url_stays_out_of_errors_and_logs(fake_slack, caplog):
    url = fake_slack.webhook_url("T1/B1/s3cr3t")
    fake_slack.stop()
    with caplog.at_level(logging.DEBUG), pytest.raises(DeliveryError, match="connection failed") as caught:
        SlackTransport(webhook_url=url).send(message())
    assert caught.value.permanent is False
    retries = [r for r in caplog.records if "retry" in r.getMessage().lower()]
    assert retries, "slack_sdk should have logged its retries"
    for record in caplog.records:
        assert "s3cr3t" not in record.getMessage()
    assert "s3cr3t" not in str(caught.value)


def test_the_client_is_built_once_on_first_use(fake_slack):
    slack = transport(fake_slack)
    assert slack._client is None
    slack.send(message())
    client = slack.client
    slack.send(message())
    assert slack.client is client
    assert len(fake_slack.messages) == 2


def test_a_transport_is_built_without_importing_slack_sdk(monkeypatch):
    monkeypatch.setitem(sys.modules, "slack_sdk", None)
    slack = SlackTransport(token=TOKEN, channel="#general")
    assert slack.channels == ["#general"]
    assert SlackTransport.check_dependencies() == "the slack_sdk package is not installed"


def test_its_repr_shows_neither_token_nor_webhook():
    assert repr(SlackTransport(token="xoxb-secret", channel="#a, #b")) == "<SlackTransport #a, #b>"
    assert "secret" not in repr(SlackTransport(webhook_url="https://hooks.slack.com/services/T/B/secret"))


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"token": TOKEN}, "channel"),
        ({"token": TOKEN, "channel": " , "}, "channel"),
        ({"channel": "#general"}, "token"),
        ({"webhook_url": "https://hooks.slack.com/services/T/B/x", "token": TOKEN}, "token"),
        ({"webhook_url": "https://hooks.slack.com/services/T/B/x", "channel": "#a"}, "channel"),
        ({"token": TOKEN, "channel": "#a", "timeout": 0}, "timeout"),
        ({"token": TOKEN, "channel": "#a", "timeout": "10"}, "timeout"),
        ({"token": TOKEN, "channel": 5}, "channel"),
        ({"token": TOKEN, "channel": ["#a", 5]}, "channel"),
        ({"token": 123, "channel": "#a"}, "token"),
        ({"webhook_url": "hooks.slack.com/services/T/B/x"}, "webhook_url"),
        ({"token": TOKEN, "channel": "#a", "base_url": "slack.example.com/api/"}, "base_url"),
    ],
)
def test_a_half_or_wrongly_configured_transport_names_the_key(options, key):
    with pytest.raises(NotificationConfigurationError) as caught:
        SlackTransport(**options)
    assert caught.value.key == key
    assert repr(key) in str(caught.value) or key in str(caught.value)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("options", "key", "kind"),
    [
        ({"token": 123, "channel": "#a"}, "token", "int"),
        ({"token": [TOKEN], "channel": "#a"}, "token", "list"),
        ({"webhook_url": ["https://hooks.slack.com/services/T/B/x"]}, "webhook_url", "list"),
        ({"token": TOKEN, "channel": "#a", "base_url": 8080}, "base_url", "int"),
        ({"token": TOKEN, "channel": "#a", "username": 7}, "username", "int"),
        ({"token": TOKEN, "channel": "#a", "icon_emoji": True}, "icon_emoji", "bool"),
        ({"token": TOKEN, "channel": "#a", "timeout": "10"}, "timeout", "'10'"),
        ({"token": TOKEN, "channel": 5}, "channel", "int"),
        ({"token": TOKEN, "channel": ["#a", 5]}, "channel", "int"),
    ],
)
def test_an_option_of_the_wrong_type_says_which_with_a_hint(options, key, kind):
    with pytest.raises(NotificationConfigurationError) as caught:
        SlackTransport(**options)
    assert caught.value.key == key
    assert kind in caught.value.message
    assert caught.value.hint
    assert TOKEN not in str(caught.value) + caught.value.hint


def test_an_unknown_option_is_refused():
    with pytest.raises(NotificationConfigurationError, match="unknown option 'channels'") as caught:
        SlackTransport(token=TOKEN, channels="#general")
    assert caught.value.check_id == "taskmanager.E005"


def test_a_base_url_without_a_trailing_slash_still_reaches_the_api(fake_slack):
    SlackTransport(token=TOKEN, channel="#general", base_url=fake_slack.base_url.rstrip("/")).send(message())
    assert [r["path"] for r in fake_slack.requests] == ["/api/chat.postMessage"]
