"""What can go wrong with a Slack message, said without secrets.

- :class:`PayloadError`: the rendered payload is not a Slack message and cannot be made one
  (raised when it is finished, so reported as a template error).
- :func:`api_error`, :func:`webhook_error`, :func:`network_error`: Slack's answer (or the lack
  of one) as a :class:`~taskmanager.notifications.DeliveryError` that says whether retrying can
  help (:data:`PERMANENT_ERRORS`) and how long Slack asked to wait.
- :data:`scrubber`: takes tokens and webhook URLs out of error messages and of slack_sdk's
  log records (:data:`sdk_logger`).
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from collections.abc import Iterable
from http.client import HTTPException
from typing import Any

from taskmanager.notifications.exceptions import DeliveryError
from taskmanager.notifications.transport import retry_after_seconds
from taskmanager.text import redact


class PayloadError(ValueError):
    """The payload is not a Slack message and cannot be made into one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


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
        "invalid_thread_ts",
        "cannot_reply_to_message",
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

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,80}$")
#: What a Slack secret looks like, so that one is hidden even when it is not ours (a token
#: in an error from another workspace): tokens, then incoming webhook URLs.
SECRET_SHAPES = (
    re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+"),
    re.compile(r"https://hooks\.slack(?:-gov)?\.com/\S+"),
)


class _SecretScrubber(logging.Filter):
    """Takes tokens and webhook URLs out of slack_sdk's log records.

    slack_sdk logs the full webhook URL (the webhook's only secret) when it
    retries; every configured secret, and anything shaped like a Slack token
    or hooks URL, is replaced before a handler can see it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets: weakref.WeakKeyDictionary[object, tuple[str, ...]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def register(self, transport: object, secrets: Iterable[str | None]) -> None:
        with self._lock:
            self._secrets[transport] = tuple(s for s in secrets if s)

    def scrub(self, text: str) -> str:
        with self._lock:
            secrets = [s for values in self._secrets.values() for s in values]
        return redact(text, secrets, SECRET_SHAPES)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = self.scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


#: Registered by every SlackTransport with its own token and webhook URL.
scrubber = _SecretScrubber()
#: The logger handed to slack_sdk's clients (their own would print the webhook URL).
sdk_logger = logging.getLogger("taskmanager.notifications.slack_sdk")
sdk_logger.addFilter(scrubber)


def code_of(text: object) -> str | None:
    """``text`` if it looks like one of Slack's error codes (``channel_not_found``), else None."""
    return text if isinstance(text, str) and _CODE.match(text) else None


def api_error(exc: Any) -> DeliveryError:
    """The DeliveryError for slack_sdk's ``SlackApiError`` (a Web API answer with ``ok: false``)."""
    response = exc.response
    data = response.data if isinstance(response.data, dict) else {}
    code = code_of(data.get("error"))
    detail = ""
    if code in ("invalid_blocks", "invalid_blocks_format") and data.get("errors"):
        detail = ": " + "; ".join(str(e) for e in data["errors"][:5])
    return delivery_error(code, response.status_code, retry_after(response.headers), detail)


def webhook_error(status: int, body: str | None, headers: Any) -> DeliveryError:
    """The DeliveryError for an incoming webhook's answer other than 200 (a plain-text code)."""
    return delivery_error(code_of((body or "").strip()), status, retry_after(headers))


def delivery_error(code: str | None, status: int, wait: str | None = None, detail: str = "") -> DeliveryError:
    """Slack's error ``code`` (None when it gave none) and HTTP ``status`` as a DeliveryError."""
    label = code or ("ratelimited" if status == 429 else "unexpected answer")
    text = label if status == 200 else f"{label} (HTTP {status})"
    seconds = retry_after_seconds(wait) if status == 429 else None
    if seconds is not None:
        text += f", Retry-After {seconds:g} s"
    return DeliveryError(
        scrubber.scrub(f"Slack: {text}{detail}"),
        permanent=code in PERMANENT_ERRORS,
        retry_after=seconds,
    )


def network_error(exc: OSError | HTTPException) -> DeliveryError:
    """A connection that failed or timed out: temporary."""
    kind = "timed out" if isinstance(exc, TimeoutError) or "timed out" in str(exc) else "connection failed"
    reason = getattr(exc, "reason", None) or exc
    return DeliveryError(scrubber.scrub(f"Slack: {kind} ({type(exc).__name__}: {reason})"), permanent=False)


def retry_after(headers: Any) -> str | None:
    """The Retry-After header's value, whatever the case of its name."""
    if not headers:
        return None
    for key, value in dict(headers).items():
        if key.lower() == "retry-after":
            return str(value[0] if isinstance(value, list) else value)
    return None


def summarise(failures: list[tuple[str, DeliveryError]], total: int) -> DeliveryError:
    """One DeliveryError for the channels that failed; permanent only when every failure is.

    It keeps the longest ``Retry-After`` any channel was given: the retry posts to every
    channel again, and one sooner than that would be refused again.
    """
    waits = [error.retry_after for _channel, error in failures if error.retry_after is not None]
    wait = max(waits, default=None)
    if total == 1:
        channel, error = failures[0]
        return DeliveryError(
            f"{error.message} (channel {channel})", permanent=error.permanent, retry_after=wait
        )
    detail = "; ".join(f"{channel}: {error.message.removeprefix('Slack: ')}" for channel, error in failures)
    return DeliveryError(
        f"Slack: {len(failures)} of {total} channels failed: {detail}",
        permanent=all(error.permanent for _, error in failures),
        retry_after=wait,
    )
