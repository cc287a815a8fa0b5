"""Notification handlers: a transport paired with a folder of per-level templates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from taskmanager.notifications.context import build_context
from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.levels import Level, level_of_result
from taskmanager.notifications.message import Message
from taskmanager.notifications.rendering import get_renderer
from taskmanager.notifications.transports.base import Transport
from taskmanager.notifications.transports.log import LogTransport

if TYPE_CHECKING:
    from taskmanager.models import Report


class NotificationHandler:
    """Renders a report with the handler's templates and sends it with its transport.

    Configured in ``UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS``; the generic class
    takes ``transport`` and ``templates`` from settings, and subclasses (the
    built-in Slack, mail, log and webhook handlers) set them as defaults.
    """

    #: Default transport class; settings' ``transport`` overrides it.
    transport_class: type[Transport] | None = None
    #: Default template folder; settings' ``templates`` overrides it.
    templates: ClassVar[str | None] = None

    def __init__(
        self,
        name: str,
        *,
        level: Level = Level.ERRORS,
        templates: str | None = None,
        transport_class: type[Transport] | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.level = level
        transport_class = transport_class or type(self).transport_class
        if transport_class is None:
            raise NotificationConfigurationError(
                "no transport",
                handler=name,
                key="transport",
                hint="Give 'transport' (a Transport subclass's dotted path) or a 'class' that sets one.",
            )
        folder = templates or type(self).templates
        if not folder:
            raise NotificationConfigurationError(
                "no template folder",
                handler=name,
                key="templates",
                hint="Give 'templates': the folder its templates are in, e.g. 'teams'.",
            )
        self.transport_class = transport_class
        self.template_folder = folder
        self.options = dict(options or {})
        try:
            self.transport = transport_class(**self.options)
        except NotificationConfigurationError as exc:
            raise exc.for_handler(name) from None
        except TypeError as exc:
            # A required keyword-only option is missing.
            raise NotificationConfigurationError(
                f"{transport_class.__name__}: {exc}",
                handler=name,
                hint=f"{transport_class.__name__} takes: {', '.join(transport_class.option_names())}.",
            ) from None

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.name!r} level={self.level.label} "
            f"templates={self.template_folder!r}>"
        )

    @property
    def template_parts(self) -> tuple[str, ...]:
        return tuple(self.transport.template_parts)

    def accepts(self, report: Report) -> bool:
        """Whether ``report`` is at or above this handler's level."""
        level = level_of_result(report.invocation_result)
        return level is not None and level >= self.level

    def context(self, report: Report, *, level: Level | None = None) -> dict[str, Any]:
        return {**build_context(report, handler=self.name, level=level), **self.extra_context(report)}

    def extra_context(self, report: Report) -> dict[str, Any]:
        """What this handler adds to the shared context (override in a subclass)."""
        return {}

    def render(
        self,
        report: Report,
        *,
        level: Level | None = None,
        context: dict[str, Any] | None = None,
        test: bool = False,
    ) -> Message:
        """Render every template part for ``report`` (at ``level``, default the report's)."""
        context = context if context is not None else self.context(report, level=level)
        context = {**context, "handler": self.name, "test": test}
        renderer = get_renderer()
        parts = {
            part: renderer.render_part(self.template_folder, context["level"], part, context)
            for part in self.template_parts
        }
        return Message(
            handler=self.name, level=context["level"], parts=parts, report=report, test=test, context=context
        )

    def send(self, message: Message) -> None:
        self.transport.send(message)

    def emit(self, report: Report) -> Message:
        message = self.render(report)
        self.send(message)
        return message


class LogNotificationHandler(NotificationHandler):
    """Writes the rendered text to the ``taskmanager.notifications`` logger."""

    transport_class = LogTransport
    templates = "log"
