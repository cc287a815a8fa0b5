"""Posts a rendered Block Kit payload to Slack with slack_sdk (Web API or an incoming webhook).

slack_sdk is imported when the first message is sent, never at start-up.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import re
import threading
import weakref
from collections.abc import Callable, Iterable
from http.client import HTTPException
from typing import TYPE_CHECKING, Any

from taskmanager.notifications.channels.slack.payload import PayloadError, prepare_payload
from taskmanager.notifications.exceptions import DeliveryError, NotificationConfigurationError
from taskmanager.notifications.message import Message
from taskmanager.notifications.transport import Transport

if TYPE_CHECKING:
    from slack_sdk import WebClient, WebhookClient
    from slack_sdk.http_retry import RetryHandler

logger = logging.getLogger("taskmanager.notifications")

#: Slack error codes that no retry can fix: the settings, the app or the payload must change.
PERMANENT_ERRORS = frozenset(
    {
        # Web API
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "invalid_json",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "too_many_attachments",
        "ekm_access_denied",
        "team_access_not_granted",
        "as_user_not_supported",
        "unknown_method",
        # Incoming webhooks (plain-text answers)
        "invalid_token",
        "no_service",
        "no_service_id",
        "no_team",
        "team_disabled",
        "channel_is_archived",
        "action_prohibited",
        "posting_to_general_channel_denied",
        "invalid_payload",
        "missing_text_or_fallback_or_attachments",
        "user_not_found",
    }
)

#: The longest Retry-After honoured by waiting; a longer one fails the delivery (retry later).
MAX_RETRY_AFTER = 30
#: Retries after a 429 and after a connection error, each.
MAX_RETRIES = 2
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,80}$")
_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")
_HOOK = re.compile(r"https://hooks\.slack(?:-gov)?\.com/\S+")


class _SecretScrubber(logging.Filter):
    """Takes tokens and webhook URLs out of slack_sdk's log records.

    slack_sdk logs the full webhook URL (the webhook's only secret) when it
    retries; every configured secret, and anything shaped like a Slack token
    or hooks URL, is replaced before a handler can see it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets: weakref.WeakKeyDictionary[SlackTransport, tuple[str, ...]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def register(self, transport: SlackTransport, secrets: Iterable[str | None]) -> None:
        with self._lock:
            self._secrets[transport] = tuple(s for s in secrets if s)

    def scrub(self, text: str) -> str:
        with self._lock:
            secrets = {s for values in self._secrets.values() for s in values}
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, "[secret]")
        return _HOOK.sub("[secret]", _TOKEN.sub("[secret]", text))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = self.scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


_scrubber = _SecretScrubber()
#: The logger handed to slack_sdk's clients (their own would print the webhook URL).
sdk_logger = logging.getLogger("taskmanager.notifications.slack_sdk")
sdk_logger.addFilter(_scrubber)


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
                f"'channel' entries must be strings, not {type(item).__name__}", key="channel"
            )
        name = item.strip()
        if name and name not in channels:
            channels.append(name)
    return channels


def _optional_str(name: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise NotificationConfigurationError(
            f"'{name}' must be a string, not {type(value).__name__}", key=name
        )
    return value.strip() or None


class SlackTransport(Transport):
    """Sends the ``json`` part, ``{"text": ..., "blocks": [...]}``, to Slack.

    With ``token`` and ``channel``: ``chat.postMessage`` once per channel. With
    ``webhook_url``: one POST to the incoming webhook. The payload is made to
    fit Block Kit's limits first (see :mod:`taskmanager.notifications.channels.slack.payload`).
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
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.token = _optional_str("token", token)
        self.channels = _channels(channel)
        self.webhook_url = _optional_str("webhook_url", webhook_url)
        self.base_url = _optional_str("base_url", base_url)
        self.username = _optional_str("username", username)
        self.icon_emoji = _optional_str("icon_emoji", icon_emoji)
        self._check_combination()
        for key in ("webhook_url", "base_url"):
            url = getattr(self, key)
            if url and not url.startswith(("https://", "http://")):
                # Never the URL itself in the message: a webhook URL is a secret.
                raise NotificationConfigurationError(
                    f"'{key}' must be an http(s) URL", key=key, hint="It starts with https://."
                )
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise NotificationConfigurationError(
                f"'timeout' must be a positive number of seconds, not {timeout!r}", key="timeout"
            )
        self.timeout = float(timeout)
        if self.base_url and not self.base_url.endswith("/"):
            # slack_sdk joins method names onto it: ".../api" + "chat.postMessage" would lose "api".
            self.base_url += "/"
        self._client: WebClient | WebhookClient | None = None
        self._client_lock = threading.Lock()
        _scrubber.register(self, (self.token, self.webhook_url))

    def _check_combination(self) -> None:
        hint = "Give 'token' and 'channel' (the Web API), or 'webhook_url' (an incoming webhook)."
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

    def __repr__(self) -> str:
        # Never the token or the webhook URL.
        target = "incoming webhook" if self.webhook_url else ", ".join(self.channels)
        return f"<SlackTransport {target}>"

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

    # -- sending ---------------------------------------------------------------------------

    def send(self, message: Message) -> None:
        try:
            fitted = prepare_payload(message.parts["json"])
        except PayloadError as exc:
            raise DeliveryError(
                f"Slack: the message cannot be sent as rendered: {exc}", permanent=True
            ) from None
        for change in fitted.changes:
            logger.info("Slack message for %r made to fit: %s", message.handler, change)
        payload = {"unfurl_links": False, "unfurl_media": False, **fitted.payload}
        if self.username:
            payload["username"] = self.username
        if self.icon_emoji:
            payload["icon_emoji"] = self.icon_emoji
        if self.webhook_url:
            self._send_webhook(payload)
            return
        failures: list[tuple[str, DeliveryError]] = []
        for channel in self.channels:
            try:
                self._post(channel, payload)
            except DeliveryError as exc:
                failures.append((channel, exc))
        if failures:
            raise _summarise(failures, len(self.channels))

    def _post(self, channel: str, payload: dict[str, Any]) -> None:
        from slack_sdk import WebClient
        from slack_sdk.errors import SlackApiError

        client = self.client
        assert isinstance(client, WebClient)
        try:
            response = client.chat_postMessage(channel=channel, **payload)
        except SlackApiError as exc:
            raise self._api_error(exc) from None
        except (OSError, HTTPException) as exc:
            raise self._network_error(exc) from None
        warnings = (response.get("response_metadata") or {}).get("warnings") or response.get("warning")
        if warnings:
            logger.warning("Slack accepted the message to %s with warnings: %s", channel, warnings)

    def _send_webhook(self, payload: dict[str, Any]) -> None:
        from slack_sdk import WebhookClient

        client = self.client
        assert isinstance(client, WebhookClient)
        try:
            response = client.send_dict(payload)
        except (OSError, HTTPException) as exc:
            raise self._network_error(exc) from None
        if response.status_code == 200:
            return
        body = (response.body or "").strip()
        code = body if _CODE.match(body) else None
        raise self._error(code, response.status_code, _retry_after(response.headers))

    def _api_error(self, exc: Any) -> DeliveryError:
        response = exc.response
        data = response.data if isinstance(response.data, dict) else {}
        error = data.get("error")
        code = error if isinstance(error, str) and _CODE.match(error) else None
        detail = ""
        if code in ("invalid_blocks", "invalid_blocks_format") and data.get("errors"):
            detail = ": " + "; ".join(str(e) for e in data["errors"][:5])
        return self._error(code, response.status_code, _retry_after(response.headers), detail)

    def _error(
        self, code: str | None, status: int, retry_after: str | None = None, detail: str = ""
    ) -> DeliveryError:
        label = code or ("ratelimited" if status == 429 else "unexpected answer")
        text = label if status == 200 else f"{label} (HTTP {status})"
        if status == 429 and retry_after:
            text += f", Retry-After {retry_after} s"
        return DeliveryError(
            _scrubber.scrub(f"Slack: {text}{detail}"),
            permanent=code in PERMANENT_ERRORS,
            retry_after=_seconds(retry_after) if status == 429 else None,
        )

    def _network_error(self, exc: OSError | HTTPException) -> DeliveryError:
        kind = (
            "timed out" if isinstance(exc, TimeoutError) or "timed out" in str(exc) else "connection failed"
        )
        reason = getattr(exc, "reason", None) or exc
        return DeliveryError(
            _scrubber.scrub(f"Slack: {kind} ({type(exc).__name__}: {reason})"), permanent=False
        )


def _retry_after(headers: Any) -> str | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if key.lower() == "retry-after":
            return str(value[0] if isinstance(value, list) else value)
    return None


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _summarise(failures: list[tuple[str, DeliveryError]], total: int) -> DeliveryError:
    if total == 1:
        channel, error = failures[0]
        return DeliveryError(f"{error.message} (channel {channel})", permanent=error.permanent)
    detail = "; ".join(f"{channel}: {error.message.removeprefix('Slack: ')}" for channel, error in failures)
    return DeliveryError(
        f"Slack: {len(failures)} of {total} channels failed: {detail}",
        permanent=all(error.permanent for _, error in failures),
    )


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
            wait = _retry_after(response.headers)
            try:
                return wait is None or int(wait) <= self.max_wait
            except ValueError:
                return False

    return BoundedRateLimitErrorRetryHandler
