"""Log: a text rendered from ``log/`` templates, written to a Python logger."""

from taskmanager.notifications.channels.log.handler import LogNotificationHandler
from taskmanager.notifications.channels.log.transport import LogTransport

__all__ = ["LogNotificationHandler", "LogTransport"]
