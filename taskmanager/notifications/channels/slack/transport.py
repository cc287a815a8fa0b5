"""Posts a rendered Block Kit payload to Slack with slack_sdk (Web API or an incoming webhook).

slack_sdk is imported when the first message is sent, never at start-up.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import threading
from collections.abc import Callable
from http.client import HTTPException
from typing import TYPE_CHECKING, Any

from taskmanager.notifications.channels.slack.check import check_payload, fits_as_rendered
from taskmanager.notifications.channels.slack.errors import (
    PayloadError,
    api_error,
    network_error,
    retry_after,
    scrubber,
    sdk_logger,
    summarise,
    webhook_error,
)
from taskmanager.notifications.channels.slack.fit import fit_payload, parse_payload
from taskmanager.notifications.channels.slack.thread import thread_lines_option, thread_payload
from taskmanager.notifications.exceptions import DeliveryError, NotificationConfigurationError
from taskmanager.notifications.isolation import describe
from taskmanager.notifications.message import Message
from taskmanager.notifications.transport import Transport, seconds_option, text_option
from taskmanager.text import secret_values

if TYPE_CHECKING:
    from slack_sdk import WebClient, WebhookClient
    from slack_sdk.http_retry import RetryHandler

logger = logging.getLogger("taskmanager.notifications")

#: The longest Retry-After honoured by waiting; a longer one fails the delivery (retry later).
MAX_RETRY_AFTER = 30
#: Retries after a 429 and after a connection error, each.
MAX_RETRIES = 2


def _channels(value: object) -> list[str]:
    """``"C123"``, ``"#ops, #alerts"`` or ``["#ops", "C123"]`` as a list without blanks or repeats."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise NotificationConfigurationError(
            f"'channel' must be a string or a list of strings, not {type(value).__name__}",
            key="channel",
            hint="Give a channel id or name, a comma-separated string, or a list.",
        )
    channels: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise NotificationConfigurationError(
                f"'channel' entries must be strings, not {type(item).__name__}",
                key="channel",
                hint='Give channel ids or names as strings, e.g. ["#ops", "C0123456789"].',
            )
        name = item.strip()
        if name and name not in channels:
            channels.append(name)
    return channels


class SlackTransport(Transport):
    """Sends the ``json`` part, ``{"text": ..., "blocks": [...]}``, to Slack.

    With ``token`` and ``channel``: ``chat.postMessage`` once per channel. With
    ``webhook_url``: one POST to the incoming webhook. The payload is made to fit
    Block Kit's limits and checked once, when it is rendered (:meth:`finish_part`, see
    :mod:`~taskmanager.notifications.channels.slack.fit`); ``send`` posts it as it is.
    With ``thread_log`` (Web API only), the log's last lines follow as a reply in the
    message's thread (:mod:`~taskmanager.notifications.channels.slack.thread`).
    """

    template_parts = ("json",)
    required_options = ("token", "channel", "webhook_url")
    secret_options = ("token", "webhook_url")
    extra = "notifications"

    def __init__(
        self,
        *,
        token: str | None = None,
        channel: str | list[str] | tuple[str, ...] | None = None,
        webhook_url: str | None = None,
        base_url: str | None = None,
        timeout: float = 10,
        username: str | None = None,
        icon_emoji: str | None = None,
        thread_log: bool | int = False,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.token = text_option("token", token, hint="Give the bot token, xoxb-..., as a string.")
        self.channels = _channels(channel)
        self.webhook_url = text_option("webhook_url", webhook_url)
        self.base_url = text_option("base_url", base_url)
        self.username = text_option("username", username)
        self.icon_emoji = text_option(
            "icon_emoji", icon_emoji, hint='Give an emoji code, e.g. ":robot_face:".'
        )
        #: Lines of the log replied in the message's thread; 0: no reply.
        self.thread_lines = thread_lines_option(thread_log)
        self._check_combination()
        for key in ("webhook_url", "base_url"):
            url = getattr(self, key)
            if url and not url.startswith(("https://", "http://")):
                # Never the URL itself in the message: a webhook URL is a secret.
                raise NotificationConfigurationError(
                    f"'{key}' must be an http(s) URL", key=key, hint="It starts with https://."
                )
        self.timeout = seconds_option("timeout", timeout)
        if self.base_url and not self.base_url.endswith("/"):
            # slack_sdk joins method names onto it: ".../api" + "chat.postMessage" would lose "api".
            self.base_url += "/"
        self._client: WebClient | WebhookClient | None = None
        self._client_lock = threading.Lock()
        # The webhook URL's pieces too (its path is what authorises posting).
        scrubber.register(self, secret_values(self.token) + secret_values(self.webhook_url))

    def _check_combination(self) -> None:
        hint = "Give 'token' and 'channel' (the Web API), or 'webhook_url' (an incoming webhook)."
        if self.webhook_url and self.thread_lines:
            raise NotificationConfigurationError(
                "'thread_log' cannot be used with 'webhook_url': an incoming webhook cannot reply in "
                "a thread (it does not say which message it posted)",
                key="thread_log",
                hint="Post with 'token' and 'channel' (the Web API) to reply with the log in the "
                "message's thread, or leave 'thread_log' out.",
            )
        if self.webhook_url:
            for key, value in (
                ("token", self.token),
                ("channel", self.channels),
                ("base_url", self.base_url),
            ):
                if value:
                    raise NotificationConfigurationError(
                        f"'{key}' cannot be used with 'webhook_url': an incoming webhook posts to its own "
                        "channel, with its own URL",
                        key=key,
                        hint=hint,
                    )
        elif self.token and not self.channels:
            raise NotificationConfigurationError(
                "a Slack token is set but no 'channel'", key="channel", hint=hint
            )
        elif self.channels and not self.token:
            raise NotificationConfigurationError(
                f"'channel' is set ({', '.join(self.channels)}) but no 'token'", key="token", hint=hint
            )

    @classmethod
    def check_dependencies(cls) -> str | None:
        if importlib.util.find_spec("slack_sdk") is None:
            return "the slack_sdk package is not installed"
        return None

    @property
    def _target(self) -> str:
        # Never the token or the webhook URL.
        return "incoming webhook" if self.webhook_url else ", ".join(self.channels)

    def __repr__(self) -> str:
        return f"<SlackTransport {self._target}>"

    # -- clients ---------------------------------------------------------------------------

    def _retry_handlers(self) -> list[RetryHandler]:
        from slack_sdk.http_retry import ConnectionErrorRetryHandler

        return [
            ConnectionErrorRetryHandler(max_retry_count=MAX_RETRIES),
            _bounded_rate_limit_handler(MAX_RETRIES, MAX_RETRY_AFTER),
        ]

    @property
    def client(self) -> WebClient | WebhookClient:
        """The slack_sdk client, built on first use and kept for every later message."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = self._build_client()
        return self._client

    def _build_client(self) -> WebClient | WebhookClient:
        from slack_sdk import WebClient, WebhookClient

        # urllib takes float seconds; slack_sdk annotates int.
        timeout: Any = self.timeout
        if self.webhook_url:
            return WebhookClient(
                self.webhook_url,
                timeout=timeout,
                logger=sdk_logger,
                retry_handlers=self._retry_handlers(),
                user_agent_prefix="django-uwsgi-taskmanager",
            )
        kwargs: dict[str, Any] = {"base_url": self.base_url} if self.base_url else {}
        return WebClient(
            token=self.token,
            timeout=timeout,
            logger=sdk_logger,
            retry_handlers=self._retry_handlers(),
            user_agent_prefix="django-uwsgi-taskmanager",
            **kwargs,
        )

    # -- finishing and sending -------------------------------------------------------------

    def finish_part(self, part: str, text: str) -> str:
        """The ``json`` part parsed, made to fit Block Kit's limits and checked, once.

        A payload that already fits is kept as the template laid it out (checked as parsed,
        nothing copied); one that was made to fit is written out again, and each change is
        logged. PayloadError (a ValueError) when it cannot be sent: the handler reports it as
        an error of the template.
        """
        if part != "json":
            return text
        payload = parse_payload(text)
        if fits_as_rendered(payload):
            return text
        fitted = fit_payload(payload)
        problems = check_payload(fitted.payload)
        if problems:
            raise PayloadError(problems)
        for change in fitted.changes:
            logger.info("Slack message for %s made to fit: %s", self._target, change)
        if fitted.payload == payload:
            return text
        return json.dumps(fitted.payload, ensure_ascii=False, indent=2)

    def send(self, message: Message) -> str | None:
        # Finished when rendered (finish_part): parsed for slack_sdk, never fitted or checked again.
        try:
            rendered = json.loads(message.parts["json"])
        except ValueError:
            rendered = None
        if not isinstance(rendered, dict):
            raise DeliveryError("Slack: the 'json' part is not a JSON object", permanent=True)
        payload = {"unfurl_links": False, "unfurl_media": False, **rendered}
        if self.username:
            payload["username"] = self.username
        if self.icon_emoji:
            payload["icon_emoji"] = self.icon_emoji
        if self.webhook_url:
            self._send_webhook(payload)
            return None
        reply, unreplied = self._thread_reply(message)
        failures: list[tuple[str, DeliveryError]] = []
        notes: list[str] = []
        for channel in self.channels:
            try:
                posted = self._post(channel, payload)
            except DeliveryError as exc:
                failures.append((channel, exc))
                continue
            if reply is None:
                continue
            # A failed reply never fails the delivery: retrying it would post the message again.
            if not posted.get("ts"):
                notes.append(f"Slack's answer gave no ts to reply to (channel {channel})")
                continue
            try:
                self._post(str(posted.get("channel") or channel), {**reply, "thread_ts": posted["ts"]})
            except DeliveryError as exc:
                logger.warning("Slack message to %s posted, but not its log reply: %s", channel, exc.message)
                notes.append(f"{exc.message} (channel {channel})")
        if failures:
            raise summarise(failures, len(self.channels))
        if unreplied:
            notes.append(unreplied)
        if notes:
            return "the message was posted, but not its log reply in the thread: " + "; ".join(notes)
        return None

    def _thread_reply(self, message: Message) -> tuple[dict[str, Any] | None, str]:
        """The log reply to post in each message's thread, as :meth:`_post` takes it (None
        without ``thread_log`` or log lines), or why it could not be made."""
        if not self.thread_lines or message.report is None:
            return None, ""
        try:
            reply = thread_payload(message.report, self.thread_lines, scrub=scrubber.scrub)
        except (OSError, ValueError) as exc:
            return None, scrubber.scrub(f"the log could not be read: {describe(exc)}")
        if reply is None:
            return None, ""
        reply = {"unfurl_links": False, "unfurl_media": False, **reply}
        if message.test:  # as the message it replies to says
            reply["text"] = "[TEST] " + reply["text"]
        if self.username:
            reply["username"] = self.username
        if self.icon_emoji:
            reply["icon_emoji"] = self.icon_emoji
        return reply, ""

    def _post(self, channel: str, payload: dict[str, Any]) -> dict[str, Any]:
        """``chat.postMessage`` to ``channel``; Slack's answer (the ``channel`` id and ``ts``)."""
        from slack_sdk import WebClient
        from slack_sdk.errors import SlackApiError

        client = self.client
        assert isinstance(client, WebClient)
        try:
            response = client.chat_postMessage(channel=channel, **payload)
        except SlackApiError as exc:
            raise api_error(exc) from None
        except (OSError, HTTPException) as exc:
            raise network_error(exc) from None
        warnings = (response.get("response_metadata") or {}).get("warnings") or response.get("warning")
        if warnings:
            logger.warning("Slack accepted the message to %s with warnings: %s", channel, warnings)
        data: dict[str, Any] = response.data if isinstance(response.data, dict) else {}
        return data

    def _send_webhook(self, payload: dict[str, Any]) -> None:
        from slack_sdk import WebhookClient

        client = self.client
        assert isinstance(client, WebhookClient)
        try:
            response = client.send_dict(payload)
        except (OSError, HTTPException) as exc:
            raise network_error(exc) from None
        if response.status_code != 200:
            raise webhook_error(response.status_code, response.body, response.headers)


def _bounded_rate_limit_handler(max_retry_count: int, max_wait: int) -> RetryHandler:
    """slack_sdk's 429 handler, refusing to wait longer than ``max_wait`` seconds.

    slack_sdk sleeps for whatever Retry-After says; an hour's Retry-After would
    hold a worker for an hour, so such a 429 fails the delivery instead.
    """
    return _bounded_rate_limit_class()(max_retry_count=max_retry_count, max_wait=max_wait)


@functools.cache
def _bounded_rate_limit_class() -> Callable[..., RetryHandler]:
    from slack_sdk.http_retry import RateLimitErrorRetryHandler

    class BoundedRateLimitErrorRetryHandler(RateLimitErrorRetryHandler):
        def __init__(self, *, max_retry_count: int, max_wait: int) -> None:
            super().__init__(max_retry_count=max_retry_count)
            self.max_wait = max_wait

        def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
            if not super()._can_retry(state=state, request=request, response=response, error=error):
                return False
            wait = retry_after(response.headers)
            try:
                return wait is None or int(wait) <= self.max_wait
            except ValueError:
                return False

    return BoundedRateLimitErrorRetryHandler
