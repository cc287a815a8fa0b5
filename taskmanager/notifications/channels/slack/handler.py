"""The Slack handler: renders ``slack/<level>.json`` and sends it with :class:`SlackTransport`."""

from __future__ import annotations

from taskmanager.notifications.channels.slack.transport import SlackTransport
from taskmanager.notifications.handlers import NotificationHandler


class SlackNotificationHandler(NotificationHandler):
    """Posts reports to Slack channels (``token`` + ``channel``) or an incoming webhook (``webhook_url``).

    The transport finishes the rendered ``json`` part (parsed, made to fit Block Kit's
    limits, checked), so a template that is not valid JSON is a template error naming the
    file, and a preview shows the payload exactly as it will be sent.
    """

    transport_class = SlackTransport
    templates = "slack"
