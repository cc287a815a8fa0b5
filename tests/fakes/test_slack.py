"""FakeSlack driven by the real slack_sdk clients, as the app's transports will drive it."""

import json
import urllib.request
from typing import Any
from urllib.error import HTTPError, URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.fakes import FakeSlack, validate_blocks

TOKEN = "xoxb-test-token"
#: A hang or latency no test outlives: an answer that comes at all was cut short by stop().
NEVER = 1e6
#: How long to wait for what stop() sets off; it bounds only a broken fake (pytest-timeout would too).
PATIENCE = 60.0


def client(fake: FakeSlack, **kwargs: Any) -> WebClient:
    kwargs.setdefault("token", TOKEN)
    return WebClient(base_url=fake.base_url, **kwargs)


def section(text: str, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": "section", "text": {"type": kind, "text": text}}


def api_error(fake: FakeSlack, **message: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        client(fake).chat_postMessage(**message)
    return caught.value


def test_a_valid_message_is_accepted_and_recorded(fake_slack: FakeSlack) -> None:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "Nightly import"}}, section("*ok*")]
    response = client(fake_slack).chat_postMessage(
        channel="#general", text="Nightly import: ok", blocks=blocks, username="tasks", icon_emoji=":robot:"
    )

    assert response["ok"] is True
    assert response["channel"] == "C0000000001"
    [message] = fake_slack.messages
    assert message["method"] == "chat.postMessage"
    assert message["channel"] == "C0000000001"
    assert message["text"] == "Nightly import: ok"
    assert message["blocks"] == blocks
    assert (message["username"], message["icon_emoji"], message["token"]) == ("tasks", ":robot:", TOKEN)
    assert message["raw"]["channel"] == "#general"


def test_a_channel_can_be_named_with_or_without_hash_or_by_id() -> None:
    with FakeSlack(channels={"C1": "general", "C2": "alerts"}) as fake:
        for channel in ("alerts", "#alerts", "C2"):
            client(fake).chat_postMessage(channel=channel, text="x")
        assert [m["channel"] for m in fake.messages] == ["C2", "C2", "C2"]


def test_auth_test_answers_for_a_valid_token(fake_slack: FakeSlack) -> None:
    assert client(fake_slack).auth_test()["bot_id"] == "B0000000001"


def test_an_unknown_token_is_invalid_auth(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as caught:
        client(fake_slack, token="xoxb-wrong").chat_postMessage(channel="#general", text="x")

    assert caught.value.response["error"] == "invalid_auth"
    assert caught.value.response.status_code == 200
    assert fake_slack.messages == []
    assert fake_slack.requests[-1]["error"] == "invalid_auth"


def test_a_missing_token_is_not_authed(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as caught:
        WebClient(base_url=fake_slack.base_url).chat_postMessage(channel="#general", text="x")

    assert caught.value.response["error"] == "not_authed"


def test_an_unknown_channel_is_channel_not_found(fake_slack: FakeSlack) -> None:
    assert api_error(fake_slack, channel="#nowhere", text="x").response["error"] == "channel_not_found"


def test_an_archived_channel_is_is_archived(fake_slack: FakeSlack) -> None:
    fake_slack.archive_channel("general")

    assert api_error(fake_slack, channel="#general", text="x").response["error"] == "is_archived"


def test_a_message_without_text_or_blocks_is_no_text(fake_slack: FakeSlack) -> None:
    with pytest.warns(UserWarning, match="text"):  # slack_sdk warns before sending
        error = api_error(fake_slack, channel="#general")

    assert error.response["error"] == "no_text"


def test_text_over_40000_characters_is_msg_too_long(fake_slack: FakeSlack) -> None:
    client(fake_slack).chat_postMessage(channel="#general", text="x" * 40_000)

    assert api_error(fake_slack, channel="#general", text="x" * 40_001).response["error"] == "msg_too_long"
    assert len(fake_slack.messages) == 1


def test_text_over_4000_characters_is_accepted_with_a_warning(fake_slack: FakeSlack) -> None:
    client(fake_slack).chat_postMessage(channel="#general", text="x" * 4_000)
    client(fake_slack).chat_postMessage(channel="#general", text="x" * 4_001)

    assert [bool(m["warnings"]) for m in fake_slack.messages] == [False, True]


def test_51_blocks_are_invalid_blocks_and_say_why(fake_slack: FakeSlack) -> None:
    client(fake_slack).chat_postMessage(channel="#general", text="x", blocks=[{"type": "divider"}] * 50)

    error = api_error(fake_slack, channel="#general", text="x", blocks=[{"type": "divider"}] * 51)

    assert error.response["error"] == "invalid_blocks"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"
    ]
    assert fake_slack.requests[-1]["errors"] == ["no more than 50 items allowed [json-pointer:/blocks]"]


FIELD = {"type": "mrkdwn", "text": "f"}
IMAGE = {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "a"}

INVALID_BLOCKS = {
    "section text of 3001": (
        section("x" * 3001),
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ),
    "section without text and fields": ({"type": "section"}, "must provide either text or fields"),
    "11 fields": ({"type": "section", "fields": [FIELD] * 11}, "no more than 10 items allowed"),
    "a field of 2001": (
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]},
        "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]",
    ),
    "header of 151": (
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}},
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ),
    "mrkdwn header": (
        {"type": "header", "text": {"type": "mrkdwn", "text": "*x*"}},
        "must be a valid enum value [json-pointer:/blocks/0/text/type]",
    ),
    "context with 11 elements": (
        {"type": "context", "elements": [FIELD] * 11},
        "no more than 10 items allowed",
    ),
    "context without elements": ({"type": "context", "elements": []}, "must provide at least 1 item"),
    "empty mrkdwn": (section(""), "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
    "divider with text": ({"type": "divider", "text": "x"}, "invalid additional property: text"),
    "block_id of 256": (
        {"type": "divider", "block_id": "b" * 256},
        "must be less than 256 characters [json-pointer:/blocks/0/block_id]",
    ),
    "image without alt_text": (
        {"type": "image", "image_url": "https://e.com/a.png"},
        "missing required field: alt_text",
    ),
    "image without image_url": ({"type": "image", "alt_text": "a"}, "missing required field: image_url"),
    "unknown type": ({"type": "banner"}, "unsupported type: banner [json-pointer:/blocks/0/type]"),
}


@pytest.mark.parametrize(("block", "reason"), INVALID_BLOCKS.values(), ids=INVALID_BLOCKS.keys())
def test_a_block_breaking_a_slack_rule_is_invalid_blocks(
    fake_slack: FakeSlack, block: dict[str, Any], reason: str
) -> None:
    error = api_error(fake_slack, channel="#general", text="x", blocks=[block])

    assert error.response["error"] == "invalid_blocks"
    assert any(reason in line for line in error.response["errors"]), error.response["errors"]
    assert fake_slack.messages == []


VALID_AT_THE_LIMIT = {
    "section text of 3000": section("x" * 3000),
    "10 fields of 2000": {"type": "section", "fields": [{"type": "plain_text", "text": "x" * 2000}] * 10},
    "header of 150": {"type": "header", "text": {"type": "plain_text", "text": "x" * 150}},
    "context with 10 elements": {"type": "context", "elements": [FIELD] * 9 + [IMAGE]},
    "block_id of 255": {"type": "divider", "block_id": "b" * 255},
    "image": IMAGE,
    "rich_text": {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": []}]},
}


@pytest.mark.parametrize("block", VALID_AT_THE_LIMIT.values(), ids=VALID_AT_THE_LIMIT.keys())
def test_a_block_at_the_limit_is_accepted(fake_slack: FakeSlack, block: dict[str, Any]) -> None:
    client(fake_slack).chat_postMessage(channel="#general", text="x", blocks=[block])

    assert fake_slack.messages[0]["blocks"] == [block]


def test_blocks_that_are_not_a_list_of_objects_are_invalid_blocks_format(fake_slack: FakeSlack) -> None:
    error = api_error(fake_slack, channel="#general", text="x", blocks=json.dumps({"type": "divider"}))

    assert error.response["error"] == "invalid_blocks_format"
    assert validate_blocks(["divider"])[0] == "invalid_blocks_format"


def test_a_form_encoded_call_is_understood(fake_slack: FakeSlack) -> None:
    blocks = [section("from a form")]
    client(fake_slack).api_call(
        "chat.postMessage", data={"channel": "general", "text": "x", "blocks": json.dumps(blocks)}
    )

    assert fake_slack.messages[0]["blocks"] == blocks
    assert fake_slack.requests[0]["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


def test_rate_limited_answers_429_with_retry_after(fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit_next(retry_after=7)

    error = api_error(fake_slack, channel="#general", text="x")

    assert error.response.status_code == 429
    assert error.response["error"] == "ratelimited"
    assert error.response.headers["Retry-After"] == "7"


def test_the_rate_limit_retry_handler_gets_through_on_the_second_try(fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit_next(1, retry_after=0)
    web = client(fake_slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])

    assert web.chat_postMessage(channel="#general", text="x")["ok"] is True
    assert [r["status"] for r in fake_slack.requests] == [429, 200]
    assert len(fake_slack.messages) == 1


def test_a_server_error_answers_html_and_raises(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next(1, status=503)

    error = api_error(fake_slack, channel="#general", text="x")

    assert error.response.status_code == 503
    assert fake_slack.messages == []
    assert fake_slack.requests[-1]["error"] == "http_503"


def test_the_server_error_retry_handler_gets_through_on_the_second_try(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next(1, status=500)
    web = client(fake_slack, retry_handlers=[ServerErrorRetryHandler(max_retry_count=1)])

    assert web.chat_postMessage(channel="#general", text="x")["ok"] is True
    assert [r["status"] for r in fake_slack.requests] == [500, 200]


def test_a_hanging_answer_times_the_client_out(fake_slack: FakeSlack) -> None:
    fake_slack.hang_next(1, seconds=NEVER)

    with pytest.raises(TimeoutError):
        client(fake_slack, timeout=1).chat_postMessage(channel="#general", text="x")

    # The client gave up on its own: the fake has answered nothing, and could not have.
    assert fake_slack.requests == []


def test_stop_does_not_wait_for_a_hanging_answer() -> None:
    fake = FakeSlack().start()
    fake.hang_next(1, seconds=NEVER)
    with pytest.raises(TimeoutError):
        client(fake, timeout=1).chat_postMessage(channel="#general", text="x")
    assert fake.messages == []

    fake.stop()

    # Only stop() can end a hang of NEVER seconds: the message is recorded once it did.
    assert [m["text"] for m in fake.wait_for_messages(1, timeout=PATIENCE)] == ["x"]


def test_a_stopped_fake_refuses_connections_and_can_start_again(fake_slack: FakeSlack) -> None:
    port = fake_slack.port
    fake_slack.stop()

    with pytest.raises(URLError) as caught:
        client(fake_slack, retry_handlers=[]).chat_postMessage(channel="#general", text="x")
    assert isinstance(caught.value.reason, ConnectionRefusedError)

    fake_slack.start()
    assert fake_slack.port == port
    assert client(fake_slack).chat_postMessage(channel="#general", text="x")["ok"] is True


def test_a_webhook_message_is_answered_ok_and_recorded(fake_slack: FakeSlack) -> None:
    response = WebhookClient(fake_slack.webhook_url()).send(text="done", blocks=[section("*done*")])

    assert (response.status_code, response.body) == (200, "ok")
    [message] = fake_slack.messages
    assert message["method"] == "incoming-webhook"
    assert (message["channel"], message["webhook"], message["token"]) == (
        "C0000000001",
        "T000/B000/XXX",
        None,
    )
    assert message["blocks"] == [section("*done*")]


def test_a_webhook_with_invalid_blocks_answers_400(fake_slack: FakeSlack) -> None:
    response = WebhookClient(fake_slack.webhook_url()).send(text="x", blocks=[section("x" * 3001)])

    assert (response.status_code, response.body) == (400, "invalid_blocks")
    assert fake_slack.requests[-1]["errors"] == [
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]
    assert fake_slack.messages == []


def test_an_unknown_webhook_path_is_no_service(fake_slack: FakeSlack) -> None:
    fake_slack.webhook_url("T000/B000/XXX")
    url = f"http://127.0.0.1:{fake_slack.port}/services/T000/B000/WRONG"

    response = WebhookClient(url).send(text="x")

    assert (response.status_code, response.body) == (404, "no_service")


@pytest.mark.parametrize(
    ("break_it", "status", "body"),
    [
        (lambda fake: fake.revoke_webhook("T000/B000/XXX"), 403, "invalid_token"),
        (lambda fake: fake.archive_channel("C0000000001"), 410, "channel_is_archived"),
    ],
    ids=["revoked", "archived"],
)
def test_a_webhook_that_cannot_post_says_why(
    fake_slack: FakeSlack, break_it: Any, status: int, body: str
) -> None:
    url = fake_slack.webhook_url()
    break_it(fake_slack)

    response = WebhookClient(url).send(text="x")

    assert (response.status_code, response.body) == (status, body)


def test_a_webhook_without_text_says_so(fake_slack: FakeSlack) -> None:
    response = WebhookClient(fake_slack.webhook_url()).send_dict({"username": "tasks"})

    assert (response.status_code, response.body) == (400, "missing_text_or_fallback_or_attachments")


def post_raw(url: str, body: bytes, content_type: str) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()


def test_a_webhook_payload_that_is_not_json_is_invalid_payload(fake_slack: FakeSlack) -> None:
    assert post_raw(fake_slack.webhook_url(), b"{not json", "application/json") == (400, "invalid_payload")


def test_a_webhook_accepts_a_form_encoded_payload(fake_slack: FakeSlack) -> None:
    body = b"payload=" + urllib.parse.quote(json.dumps({"text": "from curl"})).encode()

    assert post_raw(fake_slack.webhook_url(), body, "application/x-www-form-urlencoded") == (200, "ok")
    assert fake_slack.messages[0]["text"] == "from curl"


def test_a_rate_limited_webhook_answers_429(fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit_next(retry_after=3)

    response = WebhookClient(fake_slack.webhook_url()).send(text="x")

    assert (response.status_code, response.body) == (429, "rate_limited")
    assert response.headers["Retry-After"] == "3"


def test_wait_for_messages_says_how_many_arrived(fake_slack: FakeSlack) -> None:
    client(fake_slack).chat_postMessage(channel="#general", text="x")

    with pytest.raises(TimeoutError, match="1 Slack message"):
        fake_slack.wait_for_messages(2, timeout=0.1)


def test_latency_delays_every_answer_and_the_message_still_arrives(fake_slack: FakeSlack) -> None:
    fake_slack.latency = 1.0

    with pytest.raises(TimeoutError):  # the answer comes after the client gave up
        client(fake_slack, timeout=0.3, retry_handlers=[]).chat_postMessage(channel="#general", text="late")
    fake_slack.latency = 0.1
    answer = client(fake_slack, timeout=5).chat_postMessage(channel="#general", text="on time")

    assert answer["ok"] is True
    # The late message is recorded too, once its wait is over, as Slack may post one whose answer was lost.
    assert sorted(m["text"] or "" for m in fake_slack.wait_for_messages(2)) == ["late", "on time"]


def test_stop_cuts_the_latency_short() -> None:
    fake = FakeSlack().start()
    fake.latency = NEVER
    with pytest.raises(TimeoutError):
        client(fake, timeout=1).chat_postMessage(channel="#general", text="x")
    assert fake.messages == []

    fake.stop()

    # Only stop() can end a wait of NEVER seconds: the message is recorded once it did.
    assert [m["text"] for m in fake.wait_for_messages(1, timeout=PATIENCE)] == ["x"]


def test_many_clients_connecting_at_once_are_all_answered(fake_slack: FakeSlack) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    ready = threading.Barrier(50)

    def post(n: int) -> bool:
        web = client(fake_slack, retry_handlers=[])  # a reset connection would raise
        ready.wait()
        return bool(web.chat_postMessage(channel="#general", text=str(n))["ok"])

    fake_slack.latency = 0.2  # keeps every connection open at the same time
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(post, range(50)))

    assert all(answers)
    assert sorted(int(m["text"] or "") for m in fake_slack.messages) == list(range(50))


# -- threads ---------------------------------------------------------------------------------


def test_a_reply_is_recorded_in_the_thread_of_the_message_it_names(fake_slack: FakeSlack) -> None:
    parent = client(fake_slack).chat_postMessage(channel="#general", text="Nightly import failed")
    client(fake_slack).chat_postMessage(channel="C0000000001", text="the log", thread_ts=parent["ts"])

    first, reply = fake_slack.messages
    assert (first["ts"], first["thread_ts"]) == (parent["ts"], None)
    assert reply["thread_ts"] == parent["ts"]
    assert fake_slack.replies(parent["ts"]) == [reply]


def test_a_reply_naming_an_unknown_message_is_refused(fake_slack: FakeSlack) -> None:
    error = api_error(fake_slack, channel="#general", text="the log", thread_ts="1700000000.000001")
    assert error.response["error"] == "invalid_thread_ts"
    assert fake_slack.messages == []


def test_a_reply_naming_a_message_of_another_channel_or_a_reply_is_refused(fake_slack: FakeSlack) -> None:
    fake_slack.channels["C0000000002"] = "ops"
    parent = client(fake_slack).chat_postMessage(channel="#general", text="failed")
    reply = client(fake_slack).chat_postMessage(channel="#general", text="log", thread_ts=parent["ts"])

    assert api_error(fake_slack, channel="#ops", text="x", thread_ts=parent["ts"]).response["error"] == (
        "invalid_thread_ts"
    )
    assert api_error(fake_slack, channel="#general", text="x", thread_ts=reply["ts"]).response["error"] == (
        "invalid_thread_ts"
    )


def test_refused_replies_answer_the_error_while_messages_still_post(fake_slack: FakeSlack) -> None:
    fake_slack.refuse_replies()
    parent = client(fake_slack).chat_postMessage(channel="#general", text="failed")

    error = api_error(fake_slack, channel="#general", text="log", thread_ts=parent["ts"])
    assert error.response["error"] == "cannot_reply_to_message"
    assert len(fake_slack.messages) == 1


def test_a_reply_longer_than_a_section_holds_is_refused_like_any_message(fake_slack: FakeSlack) -> None:
    parent = client(fake_slack).chat_postMessage(channel="#general", text="failed")
    error = api_error(
        fake_slack, channel="#general", text="log", blocks=[section("x" * 3001)], thread_ts=parent["ts"]
    )
    assert error.response["error"] == "invalid_blocks"
