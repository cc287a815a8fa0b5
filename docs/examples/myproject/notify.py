"""A custom transport: what docs/custom-handler.rst shows (and the suite tests)."""

from __future__ import annotations

import urllib.request
from typing import Any

from taskmanager.notifications import DeliveryError, Message, Transport


class TeamsTransport(Transport):
    template_parts = ("json",)  # renders teams/<level>.json
    required_options = ("url",)  # all empty: the handler is skipped (W001)
    secret_options = ("url",)  # never shown in logs, previews or the admin

    def __init__(self, *, url: str = "", timeout: float = 10, **options: Any) -> None:
        super().__init__(**options)  # an unknown option is a configuration error
        self.url, self.timeout = url, timeout

    def send(self, message: Message) -> None:
        request = urllib.request.Request(
            self.url,
            data=message.parts["json"].encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(request, timeout=self.timeout).close()
        except OSError as exc:
            raise DeliveryError(f"Teams did not accept the message: {exc}") from None
