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
from taskmanager.notifications.handlers import LogNotificationHandler, NotificationHandler
from taskmanager.notifications.levels import Level
from taskmanager.notifications.message import Message
from taskmanager.notifications.transports.base import Transport

_LAZY = {
    "SlackNotificationHandler": "taskmanager.notifications.builtin",
    "MailNotificationHandler": "taskmanager.notifications.builtin",
    "EmailNotificationHandler": "taskmanager.notifications.builtin",
    "WebhookNotificationHandler": "taskmanager.notifications.builtin",
}

__all__ = [
    "DeliveryError",
    "EmailNotificationHandler",
    "Level",
    "LogNotificationHandler",
    "MailNotificationHandler",
    "Message",
    "NotificationConfigurationError",
    "NotificationHandler",
    "NotificationTemplateError",
    "SlackNotificationHandler",
    "TemplateNotFound",
    "Transport",
    "WebhookNotificationHandler",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
