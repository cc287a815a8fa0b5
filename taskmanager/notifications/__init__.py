"""Template-driven notifications: a handler pairs a transport with per-level templates.

The public names live here; transports that need optional packages (Slack)
are imported only when first used, so that start-up never pays for them.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from taskmanager.notifications.exceptions import (
    DeliveryError,
    NotificationConfigurationError,
    NotificationTemplateError,
    TemplateNotFound,
)
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.message import Message
from taskmanager.notifications.transport import Transport
from taskmanager.results import Level, Result

#: The built-in channels' public names, resolved on first use: the framework core imports
#: no channel, and a process pays only for the channels its settings name (Slack's needs
#: slack_sdk). 3.0's settings name them here ("taskmanager.notifications.SlackNotificationHandler").
CHANNEL_NAMES = {
    "SlackNotificationHandler": "taskmanager.notifications.channels.slack",
    "SlackTransport": "taskmanager.notifications.channels.slack",
    "MailNotificationHandler": "taskmanager.notifications.channels.mail",
    "EmailNotificationHandler": "taskmanager.notifications.channels.mail",
    "MailTransport": "taskmanager.notifications.channels.mail",
    "WebhookNotificationHandler": "taskmanager.notifications.channels.webhook",
    "WebhookTransport": "taskmanager.notifications.channels.webhook",
    "LogNotificationHandler": "taskmanager.notifications.channels.log",
    "LogTransport": "taskmanager.notifications.channels.log",
    "LocmemTransport": "taskmanager.notifications.channels.locmem",
}

__all__ = [
    "DeliveryError",
    "EmailNotificationHandler",
    "Level",
    "LocmemTransport",
    "LogNotificationHandler",
    "LogTransport",
    "MailNotificationHandler",
    "MailTransport",
    "Message",
    "NotificationConfigurationError",
    "NotificationHandler",
    "NotificationTemplateError",
    "Result",
    "SlackNotificationHandler",
    "SlackTransport",
    "TemplateNotFound",
    "Transport",
    "WebhookNotificationHandler",
    "WebhookTransport",
]


def __getattr__(name: str) -> Any:
    if name in CHANNEL_NAMES:
        return getattr(import_module(CHANNEL_NAMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
