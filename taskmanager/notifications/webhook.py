"""The built-in webhook handler: POSTs a JSON payload rendered from ``webhook/`` templates."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from taskmanager.notifications.exceptions import NotificationTemplateError
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.message import Message
from taskmanager.notifications.rendering import get_renderer
from taskmanager.notifications.transports.webhook import WebhookTransport

if TYPE_CHECKING:
    from taskmanager.models import Report


class WebhookNotificationHandler(NotificationHandler):
    """POSTs the rendered ``json`` part to ``url`` (templates ``webhook/``).

    The rendered JSON is parsed before anything is sent: a template that renders
    invalid JSON is an error naming the template file and the line JSON stopped at.
    Point ``templates`` at a folder of your own to speak a service's format (see the
    Teams and Discord examples in the docs).
    """

    transport_class = WebhookTransport
    templates = "webhook"

    def render(self, report: Report, **options: Any) -> Message:
        """Render as the base class does (same keyword options), then finish the parts."""
        message = super().render(report, **options)
        if "json" in message.parts:
            self._check_json(message)
        return message

    def _check_json(self, message: Message) -> None:
        try:
            json.loads(message.parts["json"])
        except ValueError as exc:
            renderer = get_renderer()
            name, root = renderer.resolve(self.template_folder, message.level, "json")
            near = ""
            if isinstance(exc, json.JSONDecodeError):
                near = f", near {exc.doc[max(0, exc.pos - 30) : exc.pos + 30]!r}"
            # No lineno: JSON's line is one of the rendered output, not of the template.
            raise NotificationTemplateError(
                f"renders invalid JSON at level {message.level!r}: {exc} (in the rendered text{near}); "
                "put every value through |tojson",
                template=name,
                filename=str(root.path / name),
                origin=root.origin,
            ) from exc
