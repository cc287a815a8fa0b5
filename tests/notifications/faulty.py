"""A handler whose own code fails at a chosen hook, in a chosen way (the fault matrix's subject).

Settings pick the hook and the fault: ``{"class": "tests.notifications.faulty.FaultyHandler",
"hook": "send", "fault": "exit"}``. Importable by ``manage.py`` in a subprocess too.
"""

from __future__ import annotations

import threading
from typing import Any

from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.message import Message
from taskmanager.notifications.transport import Transport

#: Where a handler's own code runs.
HOOKS = ("construction", "accepts", "extra_context", "render", "finish_part", "send")
#: How it fails: an Exception, BaseException subclasses, a hang (not for construction: see
#: docs/reliability.rst, it runs once per process, outside any delivery).
FAULTS = ("exception", "exit", "interrupt", "hang")
#: What each fault's error says on the delivery record.
SAYS = {
    "exception": "RuntimeError: the handler broke",
    "exit": "SystemExit: 3",
    "interrupt": "KeyboardInterrupt",
    "hang": "timed out",
}

#: Set to release every hung hook (a test sets it when it ends).
release = threading.Event()
#: Set when a hang starts: a test can act once the emission is waiting for it.
hanging = threading.Event()
#: Messages the faulty transport delivered.
sent: list[Message] = []


def strike(fault: str) -> None:
    if fault == "exception":
        raise RuntimeError("the handler broke")
    if fault == "exit":
        raise SystemExit(3)
    if fault == "interrupt":
        raise KeyboardInterrupt
    if fault == "hang":
        hanging.set()
        release.wait(60)


class FaultyTransport(Transport):
    template_parts = ("txt",)

    def __init__(self, *, hook: str = "", fault: str = "", **options: Any) -> None:
        super().__init__(**options)
        self.hook, self.fault = hook, fault
        if hook == "construction":
            strike(fault)

    def finish_part(self, part: str, text: str) -> str:
        if self.hook == "finish_part":
            strike(self.fault)
        return text

    def send(self, message: Message) -> None:
        if self.hook == "send":
            strike(self.fault)
        sent.append(message)


class FaultyHandler(NotificationHandler):
    transport_class = FaultyTransport
    templates = "log"

    def _strike_at(self, hook: str) -> None:
        transport = self.transport
        assert isinstance(transport, FaultyTransport)
        if transport.hook == hook:
            strike(transport.fault)

    def accepts(self, report: Any) -> bool:
        self._strike_at("accepts")
        return super().accepts(report)

    def extra_context(self, report: Any) -> dict[str, Any]:
        self._strike_at("extra_context")
        return {}

    def render(self, report: Any, **kwargs: Any) -> Message:
        self._strike_at("render")
        return super().render(report, **kwargs)
