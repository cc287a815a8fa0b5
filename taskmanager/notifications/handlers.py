"""Notification handlers: a transport paired with a folder of per-level templates."""

from __future__ import annotations

import html
import json
import logging
from dataclasses import replace
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, ClassVar

from taskmanager.notifications.context import build_context
from taskmanager.notifications.delivery_policy import MAX_DEADLINE, RetryPolicy
from taskmanager.notifications.exceptions import (
    NotificationConfigurationError,
    NotificationTemplateError,
    TemplateNotFound,
)
from taskmanager.notifications.handler_options import HandlerOption, parse_options
from taskmanager.notifications.isolation import describe, is_interrupt
from taskmanager.notifications.message import Message
from taskmanager.notifications.policy import Notify, Policy, parse_duration, parse_notify
from taskmanager.notifications.rendering import get_renderer
from taskmanager.notifications.routes import ROUTE_KEYS, Route, parse_patterns
from taskmanager.notifications.transport import Transport
from taskmanager.results import Result
from taskmanager.text import SECRET, part_kind, redact, secret_values

if TYPE_CHECKING:
    from taskmanager.models import Report

logger = logging.getLogger("taskmanager.notifications")


class NotificationHandler:
    """Renders a report with the handler's templates and sends it with its transport.

    Configured in ``UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS``; the generic class
    takes ``transport`` and ``templates`` from settings, and subclasses (the
    built-in Slack, mail, log and webhook handlers) set them as defaults.
    """

    #: Default transport class; settings' ``transport`` overrides it.
    transport_class: type[Transport] | None = None
    #: The folder of the handler's templates (``"slack"``): a subclass sets a default,
    #: settings' ``templates`` overrides it for one handler. Empty: none.
    templates: str = ""
    #: Settings keys the handler reads itself (never passed to the transport), each with the
    #: function that checks and converts its value: a subclass adds its own, the base class
    #: declares the notification policy's (docs/policy.rst). Read them in ``self.own_options``.
    handler_options: ClassVar[dict[str, HandlerOption]] = {
        "notify": HandlerOption(parse_notify, default=Notify.EVERY),
        "remind_every": HandlerOption(parse_duration),
        **{key: HandlerOption(parse_patterns) for key in ROUTE_KEYS},
    }

    def __init__(
        self,
        name: str,
        *,
        level: Result = Result.ERRORS,
        templates: str | None = None,
        transport_class: type[Transport] | None = None,
        options: dict[str, Any] | None = None,
        max_attempts: int | None = None,
        deadline: float | None = None,
        retry_delay: float | None = None,
        handler_options: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.level = level
        try:
            #: The values of the keys of :attr:`handler_options`, checked (defaults filled in).
            self.own_options: dict[str, Any] = parse_options(type(self), handler_options or {})
            self.policy = Policy(level, self.own_options["notify"], self.own_options["remind_every"])
        except NotificationConfigurationError as exc:
            raise exc.for_handler(name) from None
        self.route = Route(**{key: self.own_options[key] for key in ROUTE_KEYS})
        self.retry_policy = _retry_policy(name, max_attempts, deadline, retry_delay)
        transport_class = transport_class or type(self).transport_class
        if transport_class is None:
            raise NotificationConfigurationError(
                "no transport",
                handler=name,
                key="transport",
                hint="Give 'transport' (a Transport subclass's dotted path) or a 'class' that sets one.",
            )
        self.transport_class = transport_class
        folder = templates if templates is not None and templates != "" else type(self).templates
        self.templates = check_template_folder(name, folder)
        self.options = dict(options or {})
        self.transport = build_transport(name, transport_class, self.options)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} level={self.level} templates={self.templates!r}>"

    @property
    def template_folder(self) -> str:
        """3.0's name of :attr:`templates`, the folder of the handler's templates."""
        return self.templates

    @property
    def template_parts(self) -> tuple[str, ...]:
        return tuple(self.transport.template_parts)

    @property
    def secrets(self) -> list[str]:
        """The values of the transport's secret options (tokens, webhook URLs, passwords)."""
        return [
            secret for key in self.transport.secret_options for secret in secret_values(self.options.get(key))
        ]

    def redact(self, text: str) -> str:
        """``text`` with every secret value replaced by ``[secret]``."""
        return redact(text, self.secrets)

    def public_options(self) -> dict[str, Any]:
        """The transport options as they may be shown (secrets masked)."""
        return {
            key: SECRET if key in self.transport.secret_options and value else value
            for key, value in self.options.items()
        }

    def accepts(self, report: Report) -> bool:
        """Whether this handler takes ``report`` at all: by default, whether its task is routed
        here (``tasks``, ``categories`` and their exclusions).

        Asked only for a report the level and the policy send; override it to filter further
        (call ``super()`` to keep the routes). See docs/custom-handler.rst.
        """
        route = self.route
        if route.categories is None and route.exclude_categories is None:
            return route.accepts(report.task.name, None)  # no query for a category it ignores
        category = report.task.category
        return route.accepts(report.task.name, category.name if category else None)

    def context(
        self, report: Report, *, level: Result | None = None, shared: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The context this handler's templates get for ``report``: the context every handler
        shares, what :meth:`extra_context` adds, and the handler's name.

        ``shared`` is the shared context when the caller built it already, once for every
        handler of a report (emission); else it is built here, at ``level`` (default the
        report's own).
        """
        shared = shared if shared is not None else build_context(report, handler=self.name, level=level)
        return {**shared, **self.extra_context(report), "handler": self.name}

    def extra_context(self, report: Report) -> dict[str, Any]:
        """What this handler adds to the shared context (override in a subclass)."""
        return {}

    def render(
        self,
        report: Report,
        *,
        level: Result | None = None,
        context: dict[str, Any] | None = None,
        test: bool = False,
        strict: bool = False,
    ) -> Message:
        """Render every template part for ``report`` (at ``level``, default the report's).

        ``context`` is this handler's :meth:`context` when the caller built it already.
        ``strict`` raises template errors (previews); otherwise a failing
        template falls back so that the notification still goes out.
        """
        context = context if context is not None else self.context(report, level=level)
        context = {**context, "test": test}
        parts: dict[str, str] = {}
        problems: list[str] = []
        for part in self.template_parts:
            if strict:
                name, _root = get_renderer().resolve(
                    self.templates, context["level"], part, context.get("event")
                )
                parts[part] = self._render_part(name, part, context)
            else:
                parts[part] = self._render_with_fallback(part, context, problems)
        return Message(
            handler=self.name,
            level=context["level"],
            parts=parts,
            report=report,
            test=test,
            context=context,
            problems=tuple(problems),
        )

    def finish_part(self, part: str, text: str) -> str:
        """Check or reshape a rendered part, once, before the message is frozen.

        By default the transport's :meth:`~Transport.finish_part` does it (a Slack payload
        made to fit, a mail's styles inlined); override to change it for one handler.
        Raise ValueError when the text cannot be used: it is reported as an error of the
        template that produced it, and falls back like one.
        """
        return self.transport.finish_part(part, text)

    def _render_part(self, name: str, part: str, context: dict[str, Any]) -> str:
        renderer = get_renderer()
        text = renderer.render(name, context)
        try:
            return self.finish_part(part, text)
        except ValueError as exc:
            filename, origin = renderer.locate(name)
            raise NotificationTemplateError(
                f"the rendered {part!r} part is not usable: {exc}",
                template=name,
                filename=filename,
                origin=origin,
            ) from None

    def _render_with_fallback(self, part: str, context: dict[str, Any], problems: list[str]) -> str:
        """Render a part; if a template fails, the shipped default, then a minimal message.

        The alert still goes out when a project's override has a bug: the check
        catches syntax errors at deploy time, this catches what fails at run time.
        """
        renderer = get_renderer()
        level, event = context["level"], context.get("event")
        try:
            name, _root = renderer.resolve(self.templates, level, part, event)
            return self._render_part(name, part, context)
        except NotificationTemplateError as exc:
            problem = self.redact(str(exc))
            logger.error("Notification handler %r: template failed, falling back: %s", self.name, problem)
            problems.append(problem)
        try:
            return self._render_part(
                renderer.resolve_shipped(self.templates, level, part, event), part, context
            )
        except NotificationTemplateError as exc:
            if not isinstance(exc, TemplateNotFound):
                problem = self.redact(str(exc))
                logger.error("Notification handler %r: shipped template failed too: %s", self.name, problem)
                problems.append(problem)
        minimal = minimal_part(part, context, problems[0] if problems else "no template")
        try:
            return self.finish_part(part, minimal)
        except ValueError:
            return minimal

    def send(self, message: Message) -> str | None:
        """Deliver ``message`` with the transport; its note, if any (:meth:`Transport.send`)."""
        return self.transport.send(message)


def check_template_folder(name: str, value: object) -> str:
    """The folder a handler's templates are in, checked: a relative folder name (``"teams"``,
    ``"acme/teams"``) looked up in the template folders, never a path of its own."""
    hint = (
        "'templates' names a folder inside the notification template folders "
        "(UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS, an app's notification_templates/, the shipped "
        "ones), e.g. 'teams'."
    )
    if value is None or value == "":
        raise NotificationConfigurationError(
            "no template folder",
            handler=name,
            key="templates",
            hint="Give 'templates': the folder its templates are in, e.g. 'teams'.",
        )
    if not isinstance(value, str):
        raise NotificationConfigurationError(
            f"'templates' must be a folder name as a string, not {type(value).__name__}: {value!r}",
            handler=name,
            key="templates",
            hint=hint,
        )
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or PureWindowsPath(value).is_absolute() or ".." in path.parts:
        raise NotificationConfigurationError(
            f"'templates' must be a folder name, not a path outside the template folders: {value!r}",
            handler=name,
            key="templates",
            hint=f"{hint} To use {value!r}, add the folder holding it to "
            "UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS and give its name here.",
        )
    return path.as_posix()


def build_transport(name: str, transport_class: type[Transport], options: dict[str, Any]) -> Transport:
    """``transport_class(**options)``; whatever its constructor raises is a configuration error
    of handler ``name`` (check E006 unless it says otherwise), with the option values it
    declares secret hidden."""
    try:
        return transport_class(**options)
    except NotificationConfigurationError as exc:
        raise exc.for_handler(name) from None
    except BaseException as exc:
        if is_interrupt(exc):
            raise
        secrets = [
            value for key in transport_class.secret_options for value in secret_values(options.get(key))
        ]
        takes = ", ".join(transport_class.option_names()) or "no options"
        # A TypeError is mostly a required keyword-only option left out; anything else, a
        # value it cannot use ("from_email": ["a@b"], a port given as a word...).
        raise NotificationConfigurationError(
            redact(f"{transport_class.__name__} could not be built: {describe(exc)}", secrets),
            handler=name,
            hint=f"Check its options and their types: {transport_class.__name__} takes: {takes}.",
        ) from None


def _seconds_option(name: str, key: str, value: object, upper: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= upper:
        raise NotificationConfigurationError(
            f"{key!r} must be a number of seconds above 0 and at most {upper:g}, not {value!r}",
            handler=name,
            key=key,
            hint=f"Give a number, e.g. {key!r}: 30.",
        )
    return float(value)


def _retry_policy(
    name: str, max_attempts: object, deadline: object, retry_delay: object = None
) -> RetryPolicy:
    policy = RetryPolicy()
    if max_attempts is not None:
        if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or not 1 <= max_attempts <= 20:
            raise NotificationConfigurationError(
                f"'max_attempts' must be a whole number from 1 to 20, not {max_attempts!r}",
                handler=name,
                key="max_attempts",
                hint="Give a number, e.g. 'max_attempts': 3.",
            )
        policy = replace(policy, max_attempts=max_attempts)
    if deadline is not None:
        policy = replace(policy, deadline=_seconds_option(name, "deadline", deadline, MAX_DEADLINE))
    if retry_delay is not None:
        policy = replace(policy, base_delay=_seconds_option(name, "retry_delay", retry_delay, 600))
    return policy


def minimal_part(part: str, context: dict[str, Any], problem: str) -> str:
    """A plain message for a part whose templates all failed, in the part's format.

    It says only that the template failed, and which (handler, part, level): ``problem``
    names server paths and quotes template source, so it stays in the log and on the
    delivery record, never in a message that leaves for an external service.
    """
    task = str(context.get("task_name", "a task"))
    level = str(context.get("level", ""))
    result = str(context.get("result") or level)
    handler = str(context.get("handler", ""))
    where = f"handler {handler!r}, part {part!r}, level {level!r}" if handler else f"part {part!r}"
    text = (
        f"{task} finished with {result}; the notification template failed ({where}): "
        "see the server's log or the delivery record for why"
    )
    kind = part_kind(part)
    if kind == "subject":
        return " ".join(f"[{result}] {task} (notification template failed)".split())[:200]
    if kind == "json":
        return json.dumps({"text": text[:3900]})
    if kind == "html":
        return f"<!doctype html><html><body><p>{html.escape(text)}</p></body></html>"
    return text
