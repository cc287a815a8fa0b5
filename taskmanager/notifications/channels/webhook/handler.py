"""The built-in webhook handler: POSTs a JSON payload rendered from ``webhook/`` templates."""

from __future__ import annotations

import json

from taskmanager.notifications.channels.webhook.transport import WebhookTransport
from taskmanager.notifications.handlers import NotificationHandler


class WebhookNotificationHandler(NotificationHandler):
    """POSTs the rendered ``json`` part to ``url`` (templates ``webhook/``).

    The rendered JSON is parsed before anything is sent: a template that renders
    invalid JSON is an error naming the template file and the line JSON stopped at.
    Point ``templates`` at a folder of your own to speak a service's format (see the
    Teams and Discord examples in the docs).
    """

    transport_class = WebhookTransport
    templates = "webhook"

    def finish_part(self, part: str, text: str) -> str:
        if part == "json":
            try:
                json.loads(text)
            except json.JSONDecodeError as exc:
                near = text[max(0, exc.pos - 30) : exc.pos + 30]
                # A ValueError is reported as an error of the template that rendered it.
                raise ValueError(
                    f"invalid JSON: {exc} (in the rendered text, near {near!r}); "
                    "put every value through |tojson"
                ) from None
        return text
