"""Notification levels: ok < warnings < errors < failed."""

from __future__ import annotations

import enum


class Level(enum.IntEnum):
    """A report's level; the integers are 2.x's, which settings may still use."""

    OK = 0
    WARNINGS = 10
    ERRORS = 20
    FAILED = 30

    @property
    def label(self) -> str:
        """The name used in settings, templates and file names: ``"errors"``."""
        return self.name.lower()

    @classmethod
    def names(cls) -> list[str]:
        return [level.label for level in cls]


# Names 2.x's own sample settings used; accepted so old settings keep working.
_ALIASES = {"warning": Level.WARNINGS, "error": Level.ERRORS, "failure": Level.FAILED, "fail": Level.FAILED}


def parse_level(value: object) -> Level:
    """Turn a settings value (``"errors"``, ``"ERRORS"``, ``20``) into a Level; ValueError if none."""
    if isinstance(value, Level):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return Level(value)
        except ValueError:
            pass
    elif isinstance(value, str):
        key = value.strip().lower()
        if key in Level.names():
            return Level[key.upper()]
        if key in _ALIASES:
            return _ALIASES[key]
    raise ValueError(
        f"unknown level {value!r}: use one of {', '.join(Level.names())} (or 2.x's 0, 10, 20, 30)"
    )


def level_of_result(result: str) -> Level | None:
    """The level of a report's ``invocation_result`` (None while it has none)."""
    return Level[result.upper()] if result and result.lower() in Level.names() else None
