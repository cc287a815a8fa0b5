"""Settings keys a handler reads itself: declared on the class, checked, never given to the transport.

A :class:`~taskmanager.notifications.handlers.NotificationHandler` subclass lists them in its
``handler_options`` (docs/custom-handler.rst); the base class declares the notification
policy's keys the same way (``notify``, ``remind_every``, ``tasks``, ``categories``,
``exclude_tasks``, ``exclude_categories``). Every other key of a settings entry, apart from the
framework's own (``class``, ``level``...), is an option of the transport.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from taskmanager.notifications.exceptions import NotificationConfigurationError


@dataclass(frozen=True)
class HandlerOption:
    """One key a handler takes itself.

    ``parse(key, value)`` turns the settings value into what the handler uses, and raises
    :class:`~taskmanager.notifications.NotificationConfigurationError` (or ``ValueError``
    with a message) for a value it cannot use: ``manage.py check`` reports it (E017) with
    ``hint``. ``default`` is the value when the key is absent (not parsed).
    """

    parse: Callable[[str, Any], Any]
    default: Any = None
    hint: str = ""


def declared_options(cls: type) -> dict[str, HandlerOption]:
    """The ``handler_options`` of ``cls`` and its bases, a subclass's declaration winning."""
    options: dict[str, HandlerOption] = {}
    for klass in reversed(cls.__mro__):
        options.update(vars(klass).get("handler_options", {}))
    return options


def parse_options(cls: type, given: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared option of ``cls``: ``given``'s value parsed, else the default.

    A key ``cls`` does not declare is a configuration error (E005): the framework hands a
    handler only the keys it declared, so this is a handler built by hand with a typo."""
    declared = declared_options(cls)
    for key in given:
        if key not in declared:
            raise NotificationConfigurationError(
                f"{cls.__name__} declares no option {key!r}",
                key=key,
                hint=f"{cls.__name__} takes: {', '.join(declared) or 'no options of its own'}.",
                check_id="taskmanager.E005",
            )
    values: dict[str, Any] = {}
    for key, option in declared.items():
        if key not in given:
            values[key] = option.default
            continue
        try:
            values[key] = option.parse(key, given[key])
        except NotificationConfigurationError as exc:
            if exc.check_id == "taskmanager.E006":  # an option's error is E017 unless it says
                exc.check_id = "taskmanager.E017"
            exc.hint = exc.hint or option.hint
            raise
        except ValueError as exc:
            raise NotificationConfigurationError(
                f"{key!r}: {exc}", key=key, hint=option.hint, check_id="taskmanager.E017"
            ) from None
    return values
