"""The Slack handler: renders ``slack/<level>.json`` and sends it with :class:`SlackTransport`."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from taskmanager.notifications.exceptions import NotificationTemplateError
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.levels import Level
from taskmanager.notifications.message import Message
from taskmanager.notifications.rendering import get_renderer
from taskmanager.notifications.slack_payload import PayloadError, prepare_payload
from taskmanager.notifications.transports.slack import SlackTransport

if TYPE_CHECKING:
    from taskmanager.models import Report


class SlackNotificationHandler(NotificationHandler):
    """Posts reports to Slack channels (``token`` + ``channel``) or an incoming webhook (``webhook_url``).

    The rendered ``json`` part is parsed and made to fit Block Kit's limits here,
    so a template that is not valid JSON is a template error naming the file,
    and a preview shows the payload exactly as it will be sent.
    """

    transport_class = SlackTransport
    templates = "slack"

    def render(
        self,
        report: Report,
        *,
        level: Level | None = None,
        context: dict[str, Any] | None = None,
        test: bool = False,
        strict: bool = False,
    ) -> Message:
        message = super().render(report, level=level, context=context, test=test, strict=strict)
        if "json" not in message.parts:
            return message
        try:
            fitted = prepare_payload(message.parts["json"])
        except PayloadError as exc:
            name, root = get_renderer().resolve(self.template_folder, message.level, "json")
            raise NotificationTemplateError(
                f"the rendered Slack message is not usable: {exc}",
                template=name,
                filename=str(root.path / name),
                origin=root.origin,
            ) from None
        text = json.dumps(fitted.payload, ensure_ascii=False, indent=2)
        return dataclasses.replace(message, parts={**message.parts, "json": text})
