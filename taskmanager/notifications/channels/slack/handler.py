"""The Slack handler: renders ``slack/<level>.json`` and sends it with :class:`SlackTransport`."""

from __future__ import annotations

import json
import logging

from taskmanager.notifications.channels.slack.payload import (
    PayloadError,
    check_payload,
    fit_payload,
    parse_payload,
)
from taskmanager.notifications.channels.slack.transport import SlackTransport
from taskmanager.notifications.handlers import NotificationHandler

logger = logging.getLogger("taskmanager.notifications")


class SlackNotificationHandler(NotificationHandler):
    """Posts reports to Slack channels (``token`` + ``channel``) or an incoming webhook (``webhook_url``).

    The rendered ``json`` part is parsed and made to fit Block Kit's limits here,
    so a template that is not valid JSON is a template error naming the file,
    and a preview shows the payload exactly as it will be sent.
    """

    transport_class = SlackTransport
    templates = "slack"

    def finish_part(self, part: str, text: str) -> str:
        if part != "json":
            return text
        # PayloadError is a ValueError: reported as a template error.
        payload = parse_payload(text)
        fitted = fit_payload(payload)
        problems = check_payload(fitted.payload)
        if problems:
            raise PayloadError(problems)
        for change in fitted.changes:
            logger.info("Slack message for %r made to fit: %s", self.name, change)
        if fitted.payload == payload:
            return text  # already fits: kept as the template laid it out
        return json.dumps(fitted.payload, ensure_ascii=False, indent=2)
