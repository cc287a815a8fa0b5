"""The built-in handlers, imported on first use by ``taskmanager.notifications``."""

from taskmanager.notifications.mail import EmailNotificationHandler, MailNotificationHandler
from taskmanager.notifications.slack_handler import SlackNotificationHandler
from taskmanager.notifications.webhook import WebhookNotificationHandler

__all__ = [
    "EmailNotificationHandler",
    "MailNotificationHandler",
    "SlackNotificationHandler",
    "WebhookNotificationHandler",
]
