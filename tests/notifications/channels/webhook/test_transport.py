"""WebhookTransport against a real HTTP server on loopback."""

import email.utils
import json
import socket
import time
from urllib.parse import unquote

import pytest
from django.core import checks

from taskmanager.notifications.channels.webhook.transport import WebhookTransport
from taskmanager.notifications.checks import check_notification_settings
from taskmanager.notifications.exceptions import DeliveryError, NotificationConfigurationError
from taskmanager.notifications.message import Message
from tests.fakes.webhook import Answer, WebhookReceiver

PAYLOAD = '{"text": "[errors] nightly import: 2 errors", "n": 2}'
SECRET = "s3cr3t-token"


@pytest.fixture
def hook():
    with WebhookReceiver() as receiver:
        yield receiver


def message(payload: str = PAYLOAD) -> Message:
    return Message(handler="hook", level="errors", parts={"json": payload})


def send(url: str, answer: Answer | None = None, hook: WebhookReceiver | None = None, **options):
    if answer and hook:
        hook.answer(answer)
    WebhookTransport(url=url, **options).send(message())


def test_the_json_part_is_posted_as_is_with_a_json_content_type(hook):
    WebhookTransport(url=hook.url).send(message())
    [received] = hook.requests
    assert received.body == PAYLOAD.encode()
    assert received.headers["Content-Type"] == "application/json; charset=utf-8"
    assert received.path == "/hooks/T000/B000/s3cr3t-token"


def test_configured_headers_are_sent(hook):
    WebhookTransport(url=hook.url, headers={"Authorization": "Bearer abc", "X-Team": "ops"}).send(message())
    headers = hook.requests[0].headers
    assert (headers["Authorization"], headers["X-Team"]) == ("Bearer abc", "ops")


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_any_2xx_is_sent(hook, status):
    hook.answer(Answer(status, b"ok"))
    WebhookTransport(url=hook.url).send(message())
    assert len(hook.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_server_errors_rate_limits_and_request_timeouts_are_transient(hook, status):
    hook.answer(Answer(status, b"try later"))
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(url=hook.url).send(message())
    assert caught.value.permanent is False
    assert f"HTTP {status}" in str(caught.value)


@pytest.mark.parametrize("status", [429, 503])
def test_a_429_or_503_says_how_long_the_server_asked_to_wait(hook, status):
    hook.answer(Answer(status, b"slow down", headers=(("Retry-After", "120"),)))
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(url=hook.url).send(message())
    assert (caught.value.retry_after, caught.value.permanent) == (120, False)
    assert f"HTTP {status}" in str(caught.value)
    assert "Retry-After 120 s" in str(caught.value)


def test_a_retry_after_given_as_an_http_date_is_the_time_until_then(hook):
    later = email.utils.formatdate(time.time() + 600, usegmt=True)
    hook.answer(Answer(429, headers=(("Retry-After", later),)))
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(url=hook.url).send(message())
    assert caught.value.retry_after is not None
    assert 500 < caught.value.retry_after <= 600


def test_a_retry_after_on_another_status_is_not_read(hook):
    hook.answer(Answer(500, headers=(("Retry-After", "120"),)))
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(url=hook.url).send(message())
    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 413])
def test_client_errors_are_permanent(hook, status):
    hook.answer(Answer(status, b'{"message": "Invalid Form Body"}'))
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(url=hook.url).send(message())
    assert caught.value.permanent is True
    assert f"HTTP {status}" in str(caught.value)
    assert "Invalid Form Body" in str(caught.value)


def test_the_error_quotes_only_the_first_200_characters_of_the_body(hook):
    hook.answer(Answer(400, b"a" * 200 + b"b" * 800))
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(url=hook.url).send(message())
    assert "a" * 200 + "…" in str(caught.value)
    assert "b" not in str(caught.value).split(":", 1)[1]


def test_the_url_never_appears_in_an_error_even_when_the_server_echoes_it(hook):
    hook.answer(Answer(404, f"no webhook at {hook.url} (path /hooks/T000/B000/{SECRET})".encode()))
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(url=hook.url).send(message())
    assert SECRET not in str(caught.value)
    assert hook.url not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_an_echoed_url_or_path_reads_secret_as_every_hidden_secret_does(hook):
    path = "/" + hook.url.split("/", 3)[3]
    hook.answer(Answer(404, f"no webhook at {hook.url}; nothing at {path}".encode()))
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(url=hook.url).send(message())
    assert str(caught.value).endswith("no webhook at [secret]; nothing at [secret]")


#: Google Chat's webhook URLs carry their secrets in the query: ?key=...&token=...
CHAT_KEY = "AIzaSyChat-key-0123456789"
CHAT_TOKEN = "chat-token-abcdef%3D"


def chat_url(hook: WebhookReceiver) -> str:
    return hook.url.replace("/hooks/", "/v1/spaces/").rsplit("/", 1)[0] + (
        f"/messages?key={CHAT_KEY}&token={CHAT_TOKEN}"
    )


def test_a_query_string_echoed_in_an_error_is_hidden_whole_and_value_by_value(hook):
    url = chat_url(hook)
    hook.answer(Answer(400, b"Invalid request for ", echo=True))
    hook.answer(Answer(403, f"key {CHAT_KEY} expired; token {unquote(CHAT_TOKEN)} unknown".encode()))
    for _ in range(2):
        with pytest.raises(DeliveryError) as caught:
            WebhookTransport(url=url).send(message())
        error = str(caught.value)
        assert "HTTP 40" in error
        for secret in (CHAT_KEY, CHAT_TOKEN, unquote(CHAT_TOKEN), "key=", "token="):
            assert secret not in error
    assert hook.requests[0].path.endswith(f"?key={CHAT_KEY}&token={CHAT_TOKEN}")


def test_a_secret_is_hidden_before_the_quote_is_cut_so_no_half_of_it_shows(hook):
    url = chat_url(hook)
    echoed = url.split("/", 3)[3]  # v1/spaces/T000/B000/messages?key=...
    # The quote keeps 200 characters: the cut falls 10 characters into the key.
    filler = 200 - 1 - len(echoed.split("key=")[0]) - len("key=") - 10
    hook.answer(Answer(400, b"x" * filler, echo=True))
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(url=url).send(message())
    assert "[secret]" in str(caught.value)
    assert CHAT_KEY[:10] not in str(caught.value)
    assert "/v1/spaces" not in str(caught.value)


def test_a_body_that_fits_in_the_quote_and_its_marker_is_quoted_whole(hook):
    hook.answer(Answer(400, b"a" * 201))
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(url=hook.url).send(message())
    assert str(caught.value).endswith(": " + "a" * 201)


def test_a_redirect_is_not_followed_and_is_permanent(hook):
    hook.answer(Answer(302, b"", headers=(("Location", "/elsewhere"),)))
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(url=hook.url).send(message())
    assert caught.value.permanent is True
    assert "HTTP 302" in str(caught.value)
    assert len(hook.requests) == 1  # urllib would have re-sent it as a GET without its body


def test_a_closed_port_is_transient_and_does_not_show_the_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hooks/{SECRET}"
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(url=url).send(message())
    assert caught.value.permanent is False
    assert "could not be reached" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_slow_server_times_out_transiently(hook):
    hook.answer(Answer(200, b"late", delay=1.0))
    with pytest.raises(DeliveryError) as caught:
        WebhookTransport(url=hook.url, timeout=0.2).send(message())
    assert caught.value.permanent is False
    assert "timed out" in str(caught.value)


def test_invalid_json_is_refused_when_the_part_is_finished_before_anything_is_posted(hook):
    with pytest.raises(ValueError, match="invalid JSON") as caught:
        WebhookTransport(url=hook.url).finish_part("json", '{"text": nightly}')
    assert "near '{\"text\": nightly}'" in str(caught.value)
    assert hook.requests == []


def test_a_finished_part_is_kept_as_rendered():
    transport = WebhookTransport(url="https://example.com/hook")
    assert transport.finish_part("json", PAYLOAD) is PAYLOAD


def test_send_posts_the_part_as_it_is_without_parsing_it_again(hook):
    # Built by hand, never finished: the transport trusts it, and the receiver judges it.
    WebhookTransport(url=hook.url).send(message('{"text": nightly}'))
    assert hook.requests[0].body == b'{"text": nightly}'


# -- options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"url": "ftp://example.com/" + SECRET}, "url"),
        ({"url": "example.com/hooks/" + SECRET}, "url"),
        ({"url": "https://example.com/a b/" + SECRET}, "url"),
        ({"url": "https://example.com/", "timeout": 0}, "timeout"),
        ({"url": "https://example.com/", "timeout": "10"}, "timeout"),
        ({"url": "https://example.com/", "headers": ["Authorization: x"]}, "headers"),
        ({"url": "https://example.com/", "headers": {"X-Token": "a\r\nX-Evil: 1"}}, "headers"),
        ({"url": "https://example.com/", "headers": {"X Token": "a"}}, "headers"),
    ],
)
def test_bad_options_are_configuration_errors_that_do_not_show_secrets(options, key):
    with pytest.raises(NotificationConfigurationError) as caught:
        WebhookTransport(**options)
    assert caught.value.key == key
    assert SECRET not in str(caught.value)
    assert "a\r\nX-Evil" not in str(caught.value)


@pytest.mark.parametrize(
    ("options", "key", "kind"),
    [
        ({"url": 8080}, "url", "must be a string, not int"),
        ({"url": ["https://example.com/hooks/" + SECRET]}, "url", "must be a string, not list"),
        ({"url": "https://example.com/", "timeout": "10"}, "timeout", "'10'"),
        ({"url": "https://example.com/", "headers": ["Authorization: x"]}, "headers", "not list"),
        ({"url": "https://example.com/", "headers": {"X-Token": 123}}, "headers", "one-line string"),
    ],
)
def test_an_option_of_the_wrong_type_says_which_with_a_hint(options, key, kind):
    with pytest.raises(NotificationConfigurationError) as caught:
        WebhookTransport(**options)
    assert caught.value.key == key
    assert kind in caught.value.message
    assert caught.value.hint
    assert SECRET not in str(caught.value)


def test_url_and_headers_are_secret_options():
    assert set(WebhookTransport.secret_options) == {"url", "headers"}


def test_an_empty_url_from_the_environment_leaves_the_handler_unconfigured(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "hook": {"class": "taskmanager.notifications.WebhookNotificationHandler", "url": ""}
    }
    assert [m.id for m in check_notification_settings() if isinstance(m, checks.CheckMessage)] == [
        "taskmanager.W001"
    ]


def test_the_posted_body_parses_to_the_rendered_payload(hook):
    payload = json.dumps({"text": "<!channel> & 🔥", "lines": ["a\r\nb"]}, ensure_ascii=False)
    WebhookTransport(url=hook.url).send(message(payload))
    assert json.loads(hook.requests[0].body) == json.loads(payload)
