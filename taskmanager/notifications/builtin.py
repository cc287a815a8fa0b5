"""The built-in handlers, imported on first use through ``taskmanager.notifications``."""

from taskmanager.notifications.slack_handler import SlackNotificationHandler

__all__ = [
    "SlackNotificationHandler",
]
