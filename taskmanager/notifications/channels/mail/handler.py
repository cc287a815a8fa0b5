"""The built-in mail handler: a subject line, a plain-text part and an inlined HTML part."""

from __future__ import annotations

from taskmanager.notifications.channels.mail.transport import MailTransport
from taskmanager.notifications.handlers import NotificationHandler


class MailNotificationHandler(NotificationHandler):
    """Emails reports through Django's email backend (templates ``mail/``).

    The transport finishes the parts the way they are sent, so that a preview shows
    exactly what recipients get: the subject becomes one line (CR, LF and runs of
    whitespace collapsed, at most 200 characters) and the HTML part's ``<style>`` rules
    are inlined.
    """

    transport_class = MailTransport
    templates = "mail"


#: 2.x's name, kept so that 2.x settings keep working.
EmailNotificationHandler = MailNotificationHandler
