"""Sends a message as a multipart/alternative email through Django's configured email backend."""

from __future__ import annotations

import importlib.util
import re
import smtplib
from collections.abc import Iterable, Mapping
from email.utils import parseaddr
from typing import Any, ClassVar

from django.conf import settings as django_settings
from django.core.mail import EmailMultiAlternatives

from taskmanager.notifications.channels.mail.log_attachment import (
    DEFAULT_MAX_BYTES,
    LogAttachment,
    build_log_attachment,
    max_bytes_option,
    plan_log_attachment,
)
from taskmanager.notifications.channels.mail.mailers import (
    DEFAULT_MAILER,
    chainable,
    check_mailer,
    mailer_secrets,
    open_mailer,
)
from taskmanager.notifications.exceptions import DeliveryError, NotificationConfigurationError
from taskmanager.notifications.message import Message
from taskmanager.notifications.transport import Transport, text_option
from taskmanager.text import cut, redact

#: Subjects longer than this are cut, with an ellipsis: mail clients show about 80
#: characters, and a 250-character task name should not make a 300-character header.
SUBJECT_MAX_LENGTH = 200

_BREAKS = re.compile(r"[\r\n]")
# A light check, on purpose: local@domain, dotted labels, no blanks or separators. Django's
# validate_email would cost every process ~35 ms to compile its expressions on first use
# (felt by manage.py check), and the mail server is the final judge anyway.
_ADDRESS = re.compile(r"^[^@\s<>,;:()\[\]\\\"]+@[^@\s<>,;:()\[\]\\\".]+(\.[^@\s<>,;:()\[\]\\\".]+)*$")


def one_line(text: str, max_length: int = SUBJECT_MAX_LENGTH) -> str:
    """``text`` as one header-safe line: every run of whitespace (CR and LF included)
    becomes one space, and the result is cut to ``max_length`` characters with "…"."""
    return cut(" ".join(text.split()), max_length, rstrip=True)


_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
_MEDIA_QUERY = re.compile(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", re.IGNORECASE)


def has_rules_to_inline(html: str) -> bool:
    """Whether a ``<style>`` block of ``html`` holds a rule outside a media query.

    The shipped template writes its styles inline and keeps only media queries in its
    ``<style>`` block, so it needs no inlining (css-inline was a third of its rendering);
    a project's override that brings rules of its own does.
    """
    return any("{" in _MEDIA_QUERY.sub("", css) for css in _STYLE_BLOCK.findall(html))


def inline_css(html: str) -> str:
    """Move the ``<style>`` rules of ``html`` into ``style`` attributes (css-inline).

    Mail clients drop or ignore ``<style>`` blocks unevenly; inline styles work in all of
    them. Media queries cannot be inlined and stay in a ``<style>`` block (clients that
    understand them also read that block). Remote stylesheets are never fetched.
    """
    import css_inline

    inliner = css_inline.CSSInliner(
        keep_at_rules=True,
        load_remote_stylesheets=False,
        apply_width_attributes=True,
    )
    return str(inliner.inline(html))


_ADDRESSES_HINT = (
    'Give addresses like "ops@example.com" or "Ops <ops@example.com>": a list, or one string '
    "separated by commas."
)


def _split_addresses(value: str) -> list[str]:
    """Split a comma-separated header value, keeping commas inside quotes or <...>."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    angle = 0
    for char in value:
        if char == '"':
            quoted = not quoted
        elif char == "<" and not quoted:
            angle += 1
        elif char == ">" and not quoted and angle:
            angle -= 1
        elif char == "," and not quoted and not angle:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return items


def parse_addresses(value: str | Iterable[str] | None, *, key: str) -> list[str]:
    """Addresses from a list or a comma-separated string (as environment variables give
    them): whitespace stripped, empty entries dropped, each checked to be an address.

    ``"Ops <ops@example.com>"`` forms are kept as written; Django's backend encodes them.
    """
    if value is None:
        return []
    if isinstance(value, str):
        raw = [value]
    elif isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        raw = list(value)
    else:
        raise NotificationConfigurationError(
            f"{key!r} must be a list of addresses or a comma-separated string, not {type(value).__name__}",
            key=key,
            hint=_ADDRESSES_HINT,
        )
    addresses: list[str] = []
    for entry in raw:
        if not isinstance(entry, str):
            raise NotificationConfigurationError(
                f"{key!r} holds a {type(entry).__name__}, not a string", key=key, hint=_ADDRESSES_HINT
            )
        for item in _split_addresses(entry):
            item = item.strip()
            if item:
                addresses.append(check_address(item, key=key))
    return addresses


def check_address(item: str, *, key: str) -> str:
    """``item`` if it is one email address (optionally with a display name), else a clear error."""
    _name, address = parseaddr(item)
    valid = bool(address) and not _BREAKS.search(item)
    valid = valid and _ADDRESS.match(address) is not None
    if not valid:
        raise NotificationConfigurationError(
            f"{key!r}: {item!r} is not an email address",
            key=key,
            hint=_ADDRESSES_HINT,
        )
    return item


class MailTransport(Transport):
    """Sends ``subject.txt``, ``txt`` and ``html`` as one multipart/alternative email.

    Options: ``recipients`` (a list or a comma-separated string), ``from_email``
    (default ``DEFAULT_FROM_EMAIL``), ``reply_to`` and ``cc`` (same forms as
    ``recipients``), ``using`` (a ``MAILERS`` alias, Django 6.1+; default: the default
    mailer). Delivery goes through that mailer, or before Django 6.1 through
    ``EMAIL_BACKEND`` and the ``EMAIL_*`` settings; failures are never silenced.
    ``attach_log`` (default False) attaches the run's log, at most ``attach_log_max_bytes``
    bytes of its end (default 10 MB; see :mod:`.log_attachment`).
    """

    template_parts = ("subject.txt", "txt", "html")
    required_options: ClassVar[tuple[str, ...]] = ("recipients",)
    extra: ClassVar[str | None] = "notifications"

    def __init__(
        self,
        *,
        recipients: str | list[str] | tuple[str, ...] | None = None,
        from_email: str | None = None,
        reply_to: str | list[str] | tuple[str, ...] | None = None,
        cc: str | list[str] | tuple[str, ...] | None = None,
        using: str | None = None,
        attach_log: bool = False,
        attach_log_max_bytes: int = DEFAULT_MAX_BYTES,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.recipients = parse_addresses(recipients, key="recipients")
        if not self.recipients:
            raise NotificationConfigurationError(
                "'recipients' has no address",
                key="recipients",
                hint='Give at least one address: a list or a string like "ops@example.com, dev@example.org".',
            )
        sender = text_option(
            "from_email", from_email, hint='Give one address, e.g. "Tasks <tasks@example.com>".'
        )
        self.from_email = check_address(sender, key="from_email") if sender else None
        self.reply_to = parse_addresses(reply_to, key="reply_to")
        self.cc = parse_addresses(cc, key="cc")
        self.using = text_option("using", using, hint="Give the alias of a MAILERS entry.") or DEFAULT_MAILER
        check_mailer(self.using)
        if not isinstance(attach_log, bool):
            raise NotificationConfigurationError(
                f"'attach_log' must be True or False, not {type(attach_log).__name__}",
                key="attach_log",
                hint="Give 'attach_log': True (from an environment variable, convert it to a bool).",
            )
        self.attach_log = attach_log
        self.attach_log_max_bytes = max_bytes_option(attach_log_max_bytes)

    @classmethod
    def check_dependencies(cls) -> str | None:
        # Found, not imported: the checks and start-up need not load it.
        if importlib.util.find_spec("css_inline") is None:
            return "the css-inline package is not installed (it inlines the HTML mail's styles)"
        return None

    def finish_part(self, part: str, text: str) -> str:
        """The subject made one header-safe line, the HTML part's ``<style>`` rules inlined
        (when it has any: the shipped template's are written inline already).

        Done once, when the message is rendered, so that a preview shows exactly what
        recipients get; :meth:`build` takes the parts as they are.
        """
        if part == "subject.txt":
            return one_line(text)
        if part == "html" and has_rules_to_inline(text):
            return inline_css(text)
        return text

    def log_attachment(self, message: Message) -> LogAttachment | None:
        """What is attached to ``message``: as its text says (the plan in its context, made when
        it was rendered), else planned now (a resent message); None without ``attach_log``."""
        if not self.attach_log or message.report is None:
            return None
        planned = message.context.get("log_attachment")
        if isinstance(planned, LogAttachment):
            return planned
        return plan_log_attachment(message.report, self.attach_log_max_bytes)

    def build(self, message: Message, *, secrets: list[str] | None = None) -> EmailMultiAlternatives:
        """The ``EmailMultiAlternatives`` for ``message`` (not sent), its parts as finished, and
        the log attached with ``attach_log`` (``secrets`` hidden in it)."""
        email = EmailMultiAlternatives(
            subject=message.parts["subject.txt"],
            body=message.parts["txt"],
            from_email=self.from_email or django_settings.DEFAULT_FROM_EMAIL,
            to=self.recipients,
            cc=self.cc,
            reply_to=self.reply_to,
        )
        email.attach_alternative(message.parts["html"], "text/html")
        plan = self.log_attachment(message)
        if plan is not None and message.report is not None:
            attachment = build_log_attachment(
                plan,
                self.attach_log_max_bytes,
                secrets=secrets or [],
                n_lines=message.report.n_log_lines,
                log_url=message.context.get("log_url"),
            )
            if attachment is not None:
                email.attach(*attachment)
        return email

    def send(self, message: Message) -> str | None:
        mailer = open_mailer(self.using)
        secrets = mailer_secrets(mailer, self.using)
        email = self.build(message, secrets=secrets)
        plan = self.log_attachment(message)
        # Its text says the log is attached: if the file went meanwhile, the record says it was not.
        unattached = bool(plan and plan.filename and not email.attachments)
        try:
            mailer.send_messages([email])
        except ValueError as exc:
            # Django refuses a header with a line break (BadHeaderError, a ValueError, before
            # 6.0; ValueError itself since); only a part not finished by finish_part (a message
            # built by hand) can hold one, and no retry mends it.
            raise DeliveryError(f"the message cannot be sent: {exc}", permanent=True) from None
        except smtplib.SMTPRecipientsRefused as exc:
            refusals = [
                f"{code} {_text(reply, secrets)} for {address}"
                for address, (code, reply) in exc.recipients.items()
            ]
            permanent = all(code >= 500 for code, _reply in exc.recipients.values())
            raise DeliveryError(
                "SMTP server refused the recipients: " + "; ".join(refusals), permanent=permanent
            ) from chainable(exc, secrets)
        except smtplib.SMTPResponseException as exc:
            # SMTPSenderRefused, SMTPDataError, SMTPAuthenticationError, SMTPConnectError...
            code = exc.smtp_code
            raise DeliveryError(
                f"SMTP error: {code} {_text(exc.smtp_error, secrets)} ({type(exc).__name__})",
                permanent=500 <= code < 600,
            ) from chainable(exc, secrets)
        except smtplib.SMTPNotSupportedError as exc:
            # e.g. AUTH or STARTTLS configured but not offered: fixing settings is the cure.
            raise DeliveryError(f"SMTP error: {redact(str(exc), secrets)}", permanent=True) from chainable(
                exc, secrets
            )
        except (smtplib.SMTPException, OSError) as exc:
            # Disconnections, refused connections, timeouts, DNS: worth trying again.
            kind = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            raise DeliveryError(
                f"could not reach the SMTP server ({kind}): {redact(str(exc), secrets)}", permanent=False
            ) from chainable(exc, secrets)
        except Exception as exc:
            # Another backend's own error (a provider's API): told as it is, its secrets hidden.
            raise DeliveryError(
                f"{type(exc).__name__}: {redact(str(exc), secrets)}", permanent=False
            ) from chainable(exc, secrets)
        return "sent without the log attached: its log file could not be read" if unattached else None


def _text(reply: bytes | str, secrets: list[str]) -> str:
    """A server's reply on one line, the mailer's secrets hidden whatever the server echoes."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return redact(" ".join(text.split()), secrets)
