"""A transport that keeps messages in memory, for tests (like Django's locmem mail backend)."""

from __future__ import annotations

from typing import Any

from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.message import Message
from taskmanager.notifications.transport import Transport

#: Every message sent by any LocmemTransport, in order; tests clear it.
outbox: list[Message] = []


class LocmemTransport(Transport):
    """Appends each message to ``taskmanager.notifications.channels.locmem.outbox``.

    ``template_parts`` defaults to ``("txt",)``; pass ``parts`` to test other
    template folders (``"parts": ["subject.txt", "txt", "html"]``).
    """

    template_parts: tuple[str, ...] = ("txt",)

    def __init__(self, *, parts: list[str] | tuple[str, ...] | None = None, **options: Any) -> None:
        super().__init__(**options)
        if parts is not None:
            if not isinstance(parts, list | tuple) or not all(isinstance(part, str) for part in parts):
                # A string would be read as its letters: "txt" as the parts "t", "x" and "t".
                raise NotificationConfigurationError(
                    f"'parts' must be a list of part names, not {type(parts).__name__}",
                    key="parts",
                    hint='Give the parts\' names, e.g. ["subject.txt", "txt", "html"].',
                )
            # Per instance: the handler asks the transport, not the class.
            self.template_parts = tuple(parts)

    def send(self, message: Message) -> None:
        outbox.append(message)
