"""The built-in mail handler: a subject line, a plain-text part and an inlined HTML part."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from taskmanager.notifications.channels.mail.log_attachment import plan_log_attachment
from taskmanager.notifications.channels.mail.transport import MailTransport
from taskmanager.notifications.handlers import NotificationHandler

if TYPE_CHECKING:
    from taskmanager.models import Report


class MailNotificationHandler(NotificationHandler):
    """Emails reports through Django's email backend (templates ``mail/``).

    The transport finishes the parts the way they are sent, so that a preview shows
    exactly what recipients get: the subject becomes one line (CR, LF and runs of
    whitespace collapsed, at most 200 characters) and the HTML part's ``<style>`` rules
    are inlined.
    """

    transport_class = MailTransport
    templates = "mail"

    def extra_context(self, report: Report) -> dict[str, Any]:
        """``log_attachment``: what the option ``attach_log`` attaches (a
        :class:`~.log_attachment.LogAttachment`, its ``filename`` empty when the run kept no
        log file), decided here so that the text can say so; None without the option."""
        transport = self.transport
        if not isinstance(transport, MailTransport) or not transport.attach_log:
            return {"log_attachment": None}
        return {"log_attachment": plan_log_attachment(report, transport.attach_log_max_bytes)}


#: 2.x's name, kept so that 2.x settings keep working.
EmailNotificationHandler = MailNotificationHandler
