"""The built-in handlers, imported on first use through ``taskmanager.notifications``."""

from taskmanager.notifications.handlers import LogNotificationHandler
from taskmanager.notifications.mail import EmailNotificationHandler, MailNotificationHandler
from taskmanager.notifications.slack_handler import SlackNotificationHandler
from taskmanager.notifications.webhook import WebhookNotificationHandler

__all__ = [
    "EmailNotificationHandler",
    "LogNotificationHandler",
    "MailNotificationHandler",
    "SlackNotificationHandler",
    "WebhookNotificationHandler",
]
