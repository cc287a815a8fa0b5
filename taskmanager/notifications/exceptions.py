"""The two roots of notification errors: configuration and delivery.

Configuration errors are ``ImproperlyConfigured`` (never swallowed with delivery
failures, surfaced by ``manage.py check``); delivery errors say whether trying
again can help.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class NotificationConfigurationError(ImproperlyConfigured):
    """A handler's settings are wrong; the message names the handler and the key."""

    def __init__(
        self,
        message: str,
        *,
        handler: str | None = None,
        key: str | None = None,
        hint: str = "",
        check_id: str = "taskmanager.E006",
    ):
        self.message = message
        self.handler = handler
        self.key = key
        self.hint = hint
        #: The system check id this error is reported under (see checks.py).
        self.check_id = check_id
        super().__init__(str(self))

    def for_handler(self, handler: str) -> NotificationConfigurationError:
        """The same error, naming the handler it was found in."""
        return NotificationConfigurationError(
            self.message, handler=handler, key=self.key, hint=self.hint, check_id=self.check_id
        )

    def __str__(self) -> str:
        where = f"Notification handler {self.handler!r}: " if self.handler else ""
        return where + self.message


class NotificationTemplateError(Exception):
    """A notification template is missing, or fails to compile or render.

    ``filename`` and ``lineno`` point at the template file at fault, and
    ``origin`` says which folder of the search order it came from.
    """

    def __init__(
        self,
        message: str,
        *,
        template: str | None = None,
        filename: str | None = None,
        lineno: int | None = None,
        origin: str | None = None,
        tried: list[str] | None = None,
    ):
        self.message = message
        self.template = template
        self.filename = filename
        self.lineno = lineno
        self.origin = origin
        self.tried = tried or []
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.filename or self.template
        if where and self.lineno:
            where = f"{where}, line {self.lineno}"
        text = f"{where}: {self.message}" if where else self.message
        if self.origin:
            text += f" (from {self.origin})"
        return text


class TemplateNotFound(NotificationTemplateError):
    """No folder of the search order has the part; ``tried`` lists every path looked at."""

    def __str__(self) -> str:
        return self.message + "".join(f"\n  tried: {path}" for path in self.tried)


class DeliveryError(Exception):
    """A transport could not deliver; ``permanent`` says retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        self.message = message
        self.permanent = permanent
        #: Seconds the service asked us to wait (HTTP Retry-After), if it said.
        self.retry_after = retry_after
        super().__init__(message)
