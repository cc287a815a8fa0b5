"""The Django mailer that sends a mail handler's messages, on every supported Django.

Django 6.1 replaced ``EMAIL_BACKEND``, the other ``EMAIL_*`` settings and ``get_connection()``
with the ``MAILERS`` setting and ``django.core.mail.mailers[alias]``; the old ones warn
(``RemovedInDjango2028Warning``) and go in Django 7.0. On 6.1 and later a handler sends
through ``mailers[using]``, which also gives a project still on the ``EMAIL_*`` settings its
``"default"`` mailer, so that nothing here reads a deprecated setting. Before 6.1 it sends
through ``get_connection()``, as it always did, and only the default mailer exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import django
from django.conf import settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend

from taskmanager.notifications.exceptions import DeliveryError, NotificationConfigurationError
from taskmanager.text import secret_values

#: The mailer Django sends with when none is named.
DEFAULT_MAILER = "default"

#: ``django.core.mail.mailers`` on Django 6.1 and later, None before.
_mailers: Any = getattr(mail, "mailers", None)

#: OPTIONS holding secrets: the SMTP backend's ``password``, and the API keys, tokens and
#: secrets of third-party backends.
_SECRET_OPTION = re.compile(r"password|secret|token|api_?key|(^|_)key$", re.IGNORECASE)


def mailers_setting() -> dict[str, Any] | None:
    """The project's ``MAILERS``, or None where mail goes through the ``EMAIL_*`` settings
    (before Django 6.1, or a project that has not migrated yet)."""
    if _mailers is None:
        return None
    configured: dict[str, Any] | None = getattr(settings, "MAILERS", None)
    return configured


def check_mailer(using: str) -> None:
    """Raise a configuration error when ``using`` names no mailer of this project."""
    configured = mailers_setting()
    if configured is not None:
        if using not in configured:
            aliases = ", ".join(repr(str(alias)) for alias in configured)
            raise NotificationConfigurationError(
                f"'using': MAILERS has no mailer {using!r}",
                key="using",
                hint=(
                    f"MAILERS defines {aliases}; name one of them."
                    if aliases
                    else "MAILERS defines no mailer: add one, e.g. MAILERS = {'default': {...}}."
                ),
            )
        return
    if using == DEFAULT_MAILER:
        return
    if _mailers is None:
        raise NotificationConfigurationError(
            f"'using': {using!r} names a MAILERS alias, which needs Django 6.1 or later "
            f"(this is Django {django.get_version()})",
            key="using",
            hint="Leave 'using' out: mail goes through EMAIL_BACKEND and the EMAIL_* settings.",
        )
    raise NotificationConfigurationError(
        f"'using': {using!r} names a MAILERS alias, but the MAILERS setting is not defined",
        key="using",
        hint="Define MAILERS, or leave 'using' out to send with the EMAIL_* settings.",
    )


def open_mailer(using: str) -> BaseEmailBackend:
    """A new instance of the mailer ``using`` names (Django 6.1+), or of ``EMAIL_BACKEND``
    before 6.1 (where ``using`` is always the default mailer, see :func:`check_mailer`)."""
    if _mailers is None:
        connection: BaseEmailBackend = mail.get_connection()
        return connection
    try:
        mailer: BaseEmailBackend = _mailers[using]
    except ImproperlyConfigured as exc:
        # InvalidMailer, MailerDoesNotExist: only the settings can fix it, retrying cannot.
        raise DeliveryError(f"mailer {using!r}: {exc}", permanent=True) from exc
    return mailer


def mailer_secrets(mailer: BaseEmailBackend, using: str) -> list[str]:
    """What must never be shown of the mailer that sends (for ``taskmanager.text.redact``):
    its SMTP password as the backend read it (``OPTIONS["password"]`` or
    ``EMAIL_HOST_PASSWORD``) and the secret OPTIONS of its ``MAILERS`` entry."""
    found = secret_values(getattr(mailer, "password", None))
    configured = mailers_setting()
    if configured is not None:
        options = (configured.get(using) or {}).get("OPTIONS") or {}
        for key, value in options.items():
            if _SECRET_OPTION.search(str(key)):
                found.extend(secret_values(value))
    return found


def chainable(exc: BaseException, secrets: Iterable[str]) -> BaseException | None:
    """``exc`` to chain a delivery error from, or None when its text holds a secret (a
    server echoing the login in its reply), so that no traceback shows it."""
    text = " ".join(
        arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg) for arg in exc.args
    )
    return None if any(secret in text for secret in secrets) else exc
