"""A transport that writes messages to a logger: for development and the demo."""

from __future__ import annotations

import logging
from typing import Any

from taskmanager.notifications.message import Message
from taskmanager.notifications.transport import Transport, text_option
from taskmanager.results import Result

_LOG_LEVELS = {Result.OK: logging.INFO, Result.WARNINGS: logging.WARNING}


class LogTransport(Transport):
    """Logs the rendered ``txt`` part on ``logger`` (default ``taskmanager.notifications``).

    Reports at errors or failed are logged at ERROR, warnings at WARNING, ok at INFO.
    """

    template_parts = ("txt",)

    def __init__(self, *, logger: str = "taskmanager.notifications", **options: Any) -> None:
        super().__init__(**options)
        name = text_option("logger", logger, hint='Give a logger\'s dotted name, e.g. "myproject.alerts".')
        # An empty name is the root logger, as logging has it.
        self.logger = logging.getLogger(name)

    def send(self, message: Message) -> None:
        level = _LOG_LEVELS.get(message.level, logging.ERROR)
        # The template's final newline would print as an empty line after the record.
        text = message.parts["txt"].rstrip("\n")
        self.logger.log(level, "%s", text, extra={"notification_handler": message.handler})
