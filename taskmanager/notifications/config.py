"""Read ``UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS`` into handlers (the settings dict is never mutated)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import import_string

from taskmanager.conf import settings
from taskmanager.lazy import Lazy
from taskmanager.models import Delivery
from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.handler_options import declared_options
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.isolation import describe, is_interrupt
from taskmanager.notifications.transport import HANDLER_KEYS, Transport
from taskmanager.results import Result, parse_result
from taskmanager.text import redact, secret_values

logger = logging.getLogger("taskmanager.notifications")

SETTING = "UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS"
#: The keys the framework reads itself; every other key is one the handler class declares it
#: reads itself (its ``handler_options``: the policy's keys and a subclass's own), or else an
#: option of the transport.
RESERVED_KEYS = HANDLER_KEYS


@dataclass
class HandlerSpec:
    """One entry of the settings dict, with its dotted paths imported."""

    name: str
    handler_class: type[NotificationHandler]
    transport_class: type[Transport] | None
    level: Any
    templates: str | None
    options: dict[str, Any] = field(default_factory=dict)
    max_attempts: Any = None
    deadline: Any = None
    retry_delay: Any = None
    #: The keys the handler class declares it reads itself (``handler_options``).
    own_options: dict[str, Any] = field(default_factory=dict)

    @property
    def effective_transport(self) -> type[Transport] | None:
        return self.transport_class or self.handler_class.transport_class

    def is_unconfigured(self) -> bool:
        transport = self.effective_transport
        return transport is not None and transport.is_unconfigured(self.options)

    def check_dependencies(self) -> None:
        """Raise when the transport's packages are missing (named with the pip extra)."""
        transport = self.effective_transport
        missing = transport.check_dependencies() if transport else None
        if missing and transport is not None:
            extra = f'pip install "django-uwsgi-taskmanager[{transport.extra}]"' if transport.extra else ""
            raise NotificationConfigurationError(
                f"{transport.__name__} cannot work: {missing}",
                handler=self.name,
                hint=f"Install it: {extra}." if extra else "Install the package it needs.",
                check_id="taskmanager.E009",
            )

    def check_option_names(self) -> None:
        """Raise E005 for an option the transport does not take, before anything else: a
        misspelt required option ("recipient") must not pass for one left empty on purpose."""
        transport = self.effective_transport
        if transport is None:
            return
        names = transport.option_names()
        for key in self.options:
            if key not in names:
                also = list(declared_options(self.handler_class))
                raise transport.unknown_option(key, also=also).for_handler(self.name)

    def build(self) -> NotificationHandler:
        level = parse_level(self.level) if self.level is not None else None
        kwargs: dict[str, Any] = {
            "templates": self.templates,
            "transport_class": self.transport_class,
            "max_attempts": self.max_attempts,
            "deadline": self.deadline,
            "retry_delay": self.retry_delay,
        }
        if level is not None:
            kwargs["level"] = level
        if self.own_options:  # only then: a subclass's own __init__ may predate the keyword
            kwargs["handler_options"] = self.own_options
        try:
            return self.handler_class(self.name, options=self.options, **kwargs)
        except NotificationConfigurationError as exc:
            if exc.check_id == "taskmanager.E005" and exc.key in self.options:
                exc = self._unknown_option(exc)
            raise exc if exc.handler else exc.for_handler(self.name) from None
        except BaseException as exc:
            if is_interrupt(exc):
                raise
            # The handler's own __init__ (its transport's is reported by build_transport).
            raise NotificationConfigurationError(
                redact(f"{self.handler_class.__name__} could not be built: {describe(exc)}", self.secrets()),
                handler=self.name,
                hint="Check the handler's settings, and its __init__.",
            ) from None

    def _unknown_option(self, exc: NotificationConfigurationError) -> NotificationConfigurationError:
        """E005 from the transport, its hint also offering the keys the handler reads itself
        (a misspelt ``notfy`` reaches the transport as an option of its own)."""
        transport = self.effective_transport
        if transport is None or exc.key is None:
            return exc
        return transport.unknown_option(exc.key, also=list(declared_options(self.handler_class)))

    def secrets(self) -> list[str]:
        """The values of the options its transport declares secret, to hide them in errors."""
        transport = self.effective_transport
        keys = transport.secret_options if transport is not None else ()
        return [value for key in keys for value in secret_values(self.options.get(key))]


def parse_level(value: object) -> Result:
    """Turn a settings value (``"errors"``, ``"ERRORS"``, ``20``) into a Result; a configuration
    error (check E004) for anything else."""
    try:
        return parse_result(value)
    except ValueError:
        raise NotificationConfigurationError(
            f"unknown level {value!r}",
            hint=f"Use one of {', '.join(Result.names())} (or 2.x's 0, 10, 20, 30).",
            key="level",
            check_id="taskmanager.E004",
        ) from None


_ID = {"class": "taskmanager.E002", "transport": "taskmanager.E003"}

#: Dotted paths that 3.0's settings may name and that have since moved.
MOVED_PATHS = {
    f"taskmanager.notifications.{old}": f"taskmanager.notifications.{name}"
    for old, name in (
        ("transports.slack.SlackTransport", "SlackTransport"),
        ("transports.mail.MailTransport", "MailTransport"),
        ("transports.webhook.WebhookTransport", "WebhookTransport"),
        ("transports.log.LogTransport", "LogTransport"),
        ("transports.locmem.LocmemTransport", "LocmemTransport"),
        ("transports.base.Transport", "Transport"),
        ("handlers.LogNotificationHandler", "LogNotificationHandler"),
        ("mail.MailNotificationHandler", "MailNotificationHandler"),
        ("mail.EmailNotificationHandler", "EmailNotificationHandler"),
        ("webhook.WebhookNotificationHandler", "WebhookNotificationHandler"),
        ("slack_handler.SlackNotificationHandler", "SlackNotificationHandler"),
        ("builtin.SlackNotificationHandler", "SlackNotificationHandler"),
        ("builtin.MailNotificationHandler", "MailNotificationHandler"),
        ("builtin.EmailNotificationHandler", "EmailNotificationHandler"),
        ("builtin.WebhookNotificationHandler", "WebhookNotificationHandler"),
        ("builtin.LogNotificationHandler", "LogNotificationHandler"),
    )
}


def _import(name: str, path: object, key: str, base: type) -> Any:
    if not isinstance(path, str) and isinstance(path, type) and issubclass(path, base):
        return path
    if not isinstance(path, str):
        raise NotificationConfigurationError(
            f"{key!r} must be a dotted path, not {path!r}", handler=name, key=key, check_id=_ID[key]
        )
    try:
        obj = import_string(MOVED_PATHS.get(path, path))
    except ImportError as exc:
        raise NotificationConfigurationError(
            f"cannot import {key} {path!r}: {exc}",
            handler=name,
            key=key,
            hint="Check the dotted path, and that its package is installed.",
            check_id=_ID[key],
        ) from None
    if not (isinstance(obj, type) and issubclass(obj, base)):
        raise NotificationConfigurationError(
            f"{key} {path!r} is not a {base.__module__.split('.')[0]}.notifications.{base.__name__} subclass",
            handler=name,
            key=key,
            check_id=_ID[key],
        )
    return obj


def parse_spec(name: str, entry: object) -> HandlerSpec:
    """Check one settings entry's shape and import its classes."""
    if not isinstance(entry, Mapping):
        raise NotificationConfigurationError(
            f"settings must be a dict, not {type(entry).__name__}", handler=name, check_id="taskmanager.E001"
        )
    if "class" not in entry and "transport" not in entry:
        raise NotificationConfigurationError(
            "neither 'class' nor 'transport' is given",
            handler=name,
            hint="Give 'class' (a NotificationHandler) or 'transport' (a Transport) plus 'templates'.",
            check_id="taskmanager.E001",
        )
    handler_class = (
        _import(name, entry["class"], "class", NotificationHandler)
        if "class" in entry
        else NotificationHandler
    )
    transport_class = (
        _import(name, entry["transport"], "transport", Transport) if "transport" in entry else None
    )
    if "level" in entry:
        try:
            parse_level(entry["level"])
        except NotificationConfigurationError as exc:
            raise exc.for_handler(name) from None
    own = declared_options(handler_class)
    return HandlerSpec(
        name=name,
        handler_class=handler_class,
        transport_class=transport_class,
        level=entry.get("level"),
        templates=entry.get("templates"),
        options={k: v for k, v in entry.items() if k not in RESERVED_KEYS and k not in own},
        own_options={k: v for k, v in entry.items() if k in own and k not in RESERVED_KEYS},
        max_attempts=entry.get("max_attempts"),
        deadline=entry.get("deadline"),
        retry_delay=entry.get("retry_delay"),
    )


def handler_settings() -> Mapping[str, Any]:
    value = settings.NOTIFICATION_HANDLERS
    if not isinstance(value, Mapping):
        raise NotificationConfigurationError(
            f"{SETTING} must be a dict of handler name to options, not {type(value).__name__}",
            check_id="taskmanager.E001",
        )
    return value


@dataclass
class Loaded:
    """Every configured handler, sorted into usable, unconfigured and broken."""

    handlers: dict[str, NotificationHandler] = field(default_factory=dict)
    unconfigured: list[str] = field(default_factory=list)
    errors: dict[str, NotificationConfigurationError] = field(default_factory=dict)
    #: The level of each broken handler whose name a delivery record can hold: emission
    #: records a failed delivery for it on every report at or above that level.
    broken_levels: dict[str, Result] = field(default_factory=dict)


def name_max_length() -> int:
    """The longest handler name a delivery record holds."""
    handler_field = Delivery._meta.get_field("handler")
    return int(getattr(handler_field, "max_length", None) or 100)


def load_handlers() -> Loaded:
    """Build every handler from settings; never raises for one bad entry, whatever its
    classes' code raises (except Ctrl-C)."""
    loaded = Loaded()
    try:
        entries = handler_settings()
    except NotificationConfigurationError as exc:
        loaded.errors["*"] = exc
        return loaded
    for key, entry in entries.items():
        name = str(key)
        try:
            handler = load_handler(name, entry)
        except NotificationConfigurationError as exc:
            loaded.errors[name] = exc
        except BaseException as exc:  # a transport's option_names, is_unconfigured...
            if is_interrupt(exc):
                raise
            loaded.errors[name] = NotificationConfigurationError(
                f"could not be loaded: {describe(exc)}", handler=name, hint="Check its settings and classes."
            )
        else:
            if handler is None:
                loaded.unconfigured.append(name)
            else:
                loaded.handlers[name] = handler
        if name in loaded.errors and len(name) <= name_max_length():
            loaded.broken_levels[name] = _level_of(entry)
    return loaded


def load_handler(name: str, entry: object) -> NotificationHandler | None:
    """The handler of one settings entry; None when it is left unconfigured on purpose
    (its required options empty)."""
    if len(name) > name_max_length():
        raise NotificationConfigurationError(
            f"its name is {len(name)} characters long; a delivery record holds at most {name_max_length()}",
            handler=name,
            hint="Give the handler a shorter name.",
            check_id="taskmanager.E001",
        )
    spec = parse_spec(name, entry)
    if spec.is_unconfigured():
        spec.check_option_names()
        return None
    spec.check_dependencies()
    return spec.build()


def _level_of(entry: object) -> Result:
    """A broken entry's level, when it says one; else the default, errors."""
    if isinstance(entry, Mapping) and entry.get("level") is not None:
        try:
            return parse_level(entry["level"])
        except NotificationConfigurationError:
            pass
    return Result.ERRORS


def _load_and_log() -> Loaded:
    loaded = load_handlers()
    for name in loaded.unconfigured:
        logger.warning("Notification handler %r is not configured (empty options): skipped", name)
    for name, exc in loaded.errors.items():
        logger.error("Notification handler %r is misconfigured and skipped: %s", name, exc)
    return loaded


_loaded = Lazy(_load_and_log).reset_when_changed(SETTING)


def get_loaded() -> Loaded:
    """The handlers, built once on first use (never at start-up), logged once."""
    return _loaded.get()


def get_handlers() -> list[NotificationHandler]:
    """The usable handlers, in settings order."""
    return list(get_loaded().handlers.values())


def get_handler(name: str) -> NotificationHandler:
    loaded = get_loaded()
    if name in loaded.errors:
        raise loaded.errors[name]
    try:
        return loaded.handlers[name]
    except KeyError:
        configured = ", ".join(loaded.handlers) or "none"
        raise NotificationConfigurationError(
            f"no usable handler named {name!r} (configured: {configured})", handler=None
        ) from None


def reset_handlers() -> None:
    _loaded.reset()
