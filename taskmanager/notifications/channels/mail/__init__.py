"""Mail: subject, text and HTML parts rendered from ``mail/`` templates, sent with Django's mail."""

from taskmanager.notifications.channels.mail.handler import EmailNotificationHandler, MailNotificationHandler
from taskmanager.notifications.channels.mail.transport import MailTransport

__all__ = ["EmailNotificationHandler", "MailNotificationHandler", "MailTransport"]
