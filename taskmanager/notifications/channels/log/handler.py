"""The log handler: renders ``log/<level>.txt`` and writes it to a logger."""

from __future__ import annotations

from taskmanager.notifications.channels.log.transport import LogTransport
from taskmanager.notifications.handlers import NotificationHandler


class LogNotificationHandler(NotificationHandler):
    """Writes the rendered text to the ``taskmanager.notifications`` logger."""

    transport_class = LogTransport
    templates = "log"
