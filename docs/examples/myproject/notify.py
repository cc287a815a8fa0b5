"""A custom transport: what docs/custom-handler.rst shows (and the suite tests)."""

from __future__ import annotations

import email.utils
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from taskmanager.notifications import DeliveryError, Message, NotificationConfigurationError, Transport


class TeamsTransport(Transport):
    """Posts an Adaptive Card to a Microsoft Teams Workflows webhook (the workflow
    "Send webhook alerts to a channel"), which answers 202 Accepted."""

    template_parts = ("json",)  # renders teams/<level>.json
    required_options = ("url",)  # all empty: the handler is skipped (W001)
    secret_options = ("url",)  # its sig= authorises posting: never shown in logs, previews, admin

    def __init__(self, *, url: str = "", timeout: float = 10, **options: Any) -> None:
        super().__init__(**options)  # an unknown option is a configuration error (E005)
        if urlsplit(url).scheme not in ("http", "https"):
            # Reported by manage.py check (E006) with the hint; the URL itself is never shown.
            raise NotificationConfigurationError(
                "'url' is not an http(s) URL",
                key="url",
                hint="Copy the URL the Teams workflow shows, starting with https://.",
            )
        self.url, self.timeout = url, timeout

    def send(self, message: Message) -> None:
        request = urllib.request.Request(
            self.url,
            data=message.parts["json"].encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            urllib.request.urlopen(request, timeout=self.timeout).close()
        except urllib.error.HTTPError as error:
            with error:
                body = " ".join(error.read(1000).decode("utf-8", "replace").split())
            # 408 and 429 (throttled) and 5xx may pass later; any other 4xx (a card Teams
            # refuses, a revoked URL) fails again the same way: do not retry it.
            transient = error.code >= 500 or error.code in (408, 429)
            raise DeliveryError(
                f"Teams answered HTTP {error.code}: {body[:200]}",
                permanent=not transient,
                retry_after=retry_after(error.headers.get("Retry-After")) if transient else None,
            ) from None
        except OSError as exc:  # refused, timed out, no DNS: worth another try
            raise DeliveryError(f"Teams could not be reached: {exc}") from None


def retry_after(value: str | None) -> float | None:
    """The seconds an HTTP ``Retry-After`` asks to wait (a number, or a date), if any."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
