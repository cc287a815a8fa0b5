"""The built-in webhook handler: POSTs a JSON payload rendered from ``webhook/`` templates."""

from __future__ import annotations

from taskmanager.notifications.channels.webhook.transport import WebhookTransport
from taskmanager.notifications.handlers import NotificationHandler


class WebhookNotificationHandler(NotificationHandler):
    """POSTs the rendered ``json`` part to ``url`` (templates ``webhook/``).

    The transport parses the rendered JSON when it is rendered, before anything is sent:
    a template that renders invalid JSON is an error naming the template file and the line
    JSON stopped at. Point ``templates`` at a folder of your own to speak a service's
    format (see the Teams and Discord examples in the docs).
    """

    transport_class = WebhookTransport
    templates = "webhook"
