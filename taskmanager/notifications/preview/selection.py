"""What to preview: the configured handlers (or those named), a real report's level, the secrets to mask."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from taskmanager.conf import settings
from taskmanager.models import Report
from taskmanager.notifications.config import SETTING, Loaded, load_handlers, parse_spec
from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.results import Level, level_of_result
from taskmanager.text import redact, secret_values


class PreviewError(Exception):
    """A problem that stops a preview before anything is rendered (the message says what to do)."""


@dataclass
class Selection:
    """The handlers to preview, and those left out with the reason."""

    handlers: list[NotificationHandler] = field(default_factory=list)
    #: Handlers left unconfigured (check W001): name -> why.
    skipped: dict[str, str] = field(default_factory=dict)
    #: Misconfigured handlers: name -> the system check's message and hint.
    errors: dict[str, str] = field(default_factory=dict)


UNCONFIGURED = "not configured: its required options are empty (check taskmanager.W001)"


def describe_configuration_error(exc: NotificationConfigurationError) -> str:
    """The message ``manage.py check`` gives for ``exc``, with its hint and id."""
    text = f"({exc.check_id}) {exc}"
    return f"{text}\n  HINT: {exc.hint}" if exc.hint else text


def select_handlers(names: Sequence[str] | None = None, loaded: Loaded | None = None) -> Selection:
    """The configured handlers, or those named (in the order given).

    An unknown name raises :class:`PreviewError` listing the configured ones;
    a named handler that is unconfigured or misconfigured is an error too,
    while without names those are reported beside the others.
    """
    loaded = loaded if loaded is not None else load_handlers()
    selection = Selection()
    if "*" in loaded.errors:
        selection.errors["*"] = describe_configuration_error(loaded.errors["*"])
        return selection
    if not names:
        selection.handlers = list(loaded.handlers.values())
        selection.skipped = dict.fromkeys(loaded.unconfigured, UNCONFIGURED)
        selection.errors = {name: describe_configuration_error(exc) for name, exc in loaded.errors.items()}
        return selection
    known = [*loaded.handlers, *loaded.unconfigured, *loaded.errors]
    unknown = [name for name in names if name not in known]
    if unknown:
        listed = ", ".join([*loaded.handlers, *loaded.errors]) or f"none ({SETTING} is empty)"
        if loaded.unconfigured:
            listed += f"; not configured: {', '.join(loaded.unconfigured)}"
        raise PreviewError(
            f"No notification handler named {', '.join(map(repr, unknown))}. Configured: {listed}."
        )
    for name in dict.fromkeys(names):
        if name in loaded.handlers:
            selection.handlers.append(loaded.handlers[name])
        elif name in loaded.unconfigured:
            selection.errors[name] = f"Notification handler {name!r} is {UNCONFIGURED}."
        else:
            selection.errors[name] = describe_configuration_error(loaded.errors[name])
    return selection


def configured_secrets(loaded: Loaded | None = None) -> list[str]:
    """Every secret option value in the settings, also of handlers that failed to load."""
    loaded = loaded if loaded is not None else load_handlers()
    secrets: set[str] = set()
    for handler in loaded.handlers.values():
        secrets.update(handler.secrets)
    entries = settings.NOTIFICATION_HANDLERS
    if isinstance(entries, Mapping):
        for name, entry in entries.items():
            if not isinstance(entry, Mapping):
                continue
            try:
                transport = parse_spec(str(name), entry).effective_transport
                keys: Iterable[str] = transport.secret_options if transport else ()
            except NotificationConfigurationError:
                # A broken entry cannot say which options are secret: guess by name.
                keys = [key for key in entry if _looks_secret(str(key))]
            for key in keys:
                secrets.update(secret_values(entry.get(key)))
    return sorted(secrets, key=len, reverse=True)


def _looks_secret(key: str) -> bool:
    return any(word in key.lower() for word in ("token", "secret", "password", "webhook", "key", "url"))


class Redactor:
    """Masks secret values in any text about to be shown."""

    def __init__(self, secrets: Iterable[str]):
        self.secrets = list(secrets)

    def __call__(self, text: str) -> str:
        return redact(text, self.secrets)


def report_level(report: Report) -> Level:
    """The level a real report is previewed at by default."""
    level = level_of_result(report.invocation_result)
    if level is None:
        raise PreviewError(
            f"Report {report.pk} has no result yet (is its task still running?): choose a level with --level."
        )
    return level
