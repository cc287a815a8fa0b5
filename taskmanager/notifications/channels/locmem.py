"""A transport that keeps messages in memory, for tests (like Django's locmem mail backend)."""

from __future__ import annotations

from typing import Any

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
            # Per instance: the handler asks the transport, not the class.
            self.template_parts = tuple(parts)

    def send(self, message: Message) -> None:
        outbox.append(message)
