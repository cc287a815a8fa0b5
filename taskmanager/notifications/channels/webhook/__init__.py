"""Webhook: a JSON payload rendered from ``webhook/`` templates, POSTed to a URL."""

from taskmanager.notifications.channels.webhook.handler import WebhookNotificationHandler
from taskmanager.notifications.channels.webhook.transport import WebhookTransport

__all__ = ["WebhookNotificationHandler", "WebhookTransport"]
