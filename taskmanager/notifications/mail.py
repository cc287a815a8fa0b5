"""The built-in mail handler: a subject line, a plain-text part and an inlined HTML part."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.message import Message
from taskmanager.notifications.transports.mail import MailTransport, inline_css, one_line

if TYPE_CHECKING:
    from taskmanager.models import Report


class MailNotificationHandler(NotificationHandler):
    """Emails reports through Django's email backend (templates ``mail/``).

    Rendering finishes the parts the way they are sent, so that a preview shows
    exactly what recipients get: the subject becomes one line (CR, LF and runs
    of whitespace collapsed, at most 200 characters) and the HTML part's
    ``<style>`` rules are inlined.
    """

    transport_class = MailTransport
    templates = "mail"

    def render(self, report: Report, **options: Any) -> Message:
        """Render as the base class does (same keyword options), then finish the parts."""
        message = super().render(report, **options)
        parts = dict(message.parts)
        if "subject.txt" in parts:
            parts["subject.txt"] = one_line(parts["subject.txt"])
        if "html" in parts:
            parts["html"] = inline_css(parts["html"])
        return dataclasses.replace(message, parts=parts)


#: 2.x's name, kept so that 2.x settings keep working.
EmailNotificationHandler = MailNotificationHandler
