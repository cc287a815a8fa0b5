"""POSTs a rendered JSON payload to a URL (Microsoft Teams, Discord, or any webhook)."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit

from taskmanager.notifications.exceptions import DeliveryError, NotificationConfigurationError
from taskmanager.notifications.message import Message
from taskmanager.notifications.transport import Transport, retry_after_seconds, seconds_option, text_option
from taskmanager.text import cut, redact, secret_values

#: How much of an error response's body a DeliveryError quotes (then "…" when it goes on).
BODY_EXCERPT = 200

_USER_AGENT = "django-uwsgi-taskmanager (notifications)"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Make a 3xx an error: urllib would turn a redirected POST into a GET without its
    body, and report success for a payload that was never delivered."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class WebhookTransport(Transport):
    """POSTs the ``json`` part to ``url`` as ``application/json``.

    Options: ``url`` (http or https), ``timeout`` in seconds (default 10), ``headers``
    (a dict, e.g. an ``Authorization`` header). A 2xx answer is success; 4xx (but 408
    and 429) is a permanent failure, 5xx, 408, 429, timeouts and connection errors are
    transient. The URL and headers are secrets: no error message shows them.
    """

    template_parts = ("json",)
    required_options: ClassVar[tuple[str, ...]] = ("url",)
    secret_options: ClassVar[tuple[str, ...]] = ("url", "headers")

    def __init__(
        self,
        *,
        url: str | None = None,
        timeout: float = 10,
        headers: dict[str, str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        url = text_option("url", url, hint="Give the webhook's URL as a string, starting with https://.")
        if url is None:
            raise NotificationConfigurationError(
                "'url' is empty",
                key="url",
                hint="Give the webhook's URL (often from an environment variable).",
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
            # The URL itself is a secret (it authorises posting): describe it, never show it.
            raise NotificationConfigurationError(
                f"'url' is not an http(s) URL (scheme {parts.scheme or 'missing'!r})",
                key="url",
                hint="Give the full URL, starting with https://.",
            )
        self.url = url
        self.timeout = seconds_option("timeout", timeout)
        self.headers = self._check_headers(headers)

    @staticmethod
    def _check_headers(headers: object) -> dict[str, str]:
        if headers is None:
            return {}
        hint = 'Give a dict of header names to one-line strings, e.g. {"Authorization": "Bearer ..."}.'
        if not isinstance(headers, dict):
            raise NotificationConfigurationError(
                f"'headers' must be a dict of header names to values, not {type(headers).__name__}",
                key="headers",
                hint=hint,
            )
        checked: dict[str, str] = {}
        for name, value in headers.items():
            # Names are not secret, values may be (tokens): name the header, never its value.
            if not isinstance(name, str) or not name.strip() or any(c in name for c in ":\r\n \t"):
                raise NotificationConfigurationError(
                    f"'headers' has an invalid name {name!r}", key="headers", hint=hint
                )
            if not isinstance(value, str) or "\r" in value or "\n" in value:
                raise NotificationConfigurationError(
                    f"'headers': the value of {name!r} must be a one-line string", key="headers", hint=hint
                )
            checked[name] = value
        return checked

    def finish_part(self, part: str, text: str) -> str:
        """The ``json`` part, once it is known to be JSON (ValueError, saying where, if not)."""
        if part == "json":
            check_json(text)
        return text

    def request(self, message: Message) -> urllib.request.Request:
        """The POST request for ``message`` (not sent): its ``json`` part as finished."""
        payload = message.parts["json"]
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": _USER_AGENT}
        headers.update(self.headers)
        return urllib.request.Request(self.url, data=payload.encode("utf-8"), headers=headers, method="POST")

    def send(self, message: Message) -> None:
        request = self.request(message)
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            status = error.code
            with error:
                excerpt = _excerpt(error, self._scrub)
            transient = status >= 500 or status in (408, 429)
            what = "redirect (give the final URL)" if 300 <= status < 400 else error.reason
            wait = _retry_after(error) if status in (429, 503) else None
            text = f"webhook answered HTTP {status} {what}" + (f", Retry-After {wait:g} s" if wait else "")
            text += f": {excerpt}" if excerpt else ""
            raise DeliveryError(self._scrub(text), permanent=not transient, retry_after=wait) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            # from None, here and above: urllib's exceptions carry the URL.
            text = f"webhook could not be reached ({_describe(exc)})"
            raise DeliveryError(self._scrub(text), permanent=False) from None

    def _scrub(self, text: str) -> str:
        """Hide the URL and the headers' values should a server echo them back: the URL
        whole and each piece that authorises posting, the path (``/hooks/T000/B000/XXXX``,
        a 404 often quotes it) and the query (Google Chat's ``?key=...&token=...``)."""
        return redact(text, secret_values(self.url) + secret_values(self.headers))


def check_json(text: str) -> None:
    """Raise ValueError when ``text`` is not JSON, quoting the rendered text where it broke."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        near = text[max(0, exc.pos - 30) : exc.pos + 30]
        # A ValueError is reported as an error of the template that rendered it.
        raise ValueError(
            f"invalid JSON: {exc} (in the rendered text, near {near!r}); put every value through |tojson"
        ) from None


def _retry_after(error: urllib.error.HTTPError) -> float | None:
    """How long a 429 or 503 asked to wait (its ``Retry-After``); the delivery waits at least
    that long before trying again, or gives up at once when its deadline comes sooner."""
    return retry_after_seconds(error.headers.get("Retry-After") if error.headers else None)


def _excerpt(error: urllib.error.HTTPError, scrub: Callable[[str], str]) -> str:
    """The start of the error's body, scrubbed before it is cut: a secret cut in half would
    no longer be recognised."""
    try:
        body = error.read(BODY_EXCERPT * 4)
    except (OSError, http.client.HTTPException):
        return ""
    text = scrub(" ".join(body.decode("utf-8", "replace").split()))
    return cut(text, BODY_EXCERPT + len("…"))


def _describe(exc: BaseException) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, str):
        return reason
    return f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__
