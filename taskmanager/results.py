"""A run's result, ok < warnings < errors < failed, and the rule that marks a log line.

:class:`Result` is the one form of a result everywhere: on a report
(:attr:`taskmanager.models.Report.result`), as a handler's threshold, in the
template context, on a :class:`~taskmanager.notifications.Message` and a delivery
record. It is a ``str`` enum: a member *is* its name (``Result.ERRORS == "errors"``,
``f"{Result.ERRORS}"``, JSON and templates give ``errors``) and is stored as that
string, while ``<``, ``>=``, ``sorted()`` and ``max()`` follow the order of seriousness,
also against a plain result name (``Result.WARNINGS < "errors"``).

:func:`line_result` is 2.x's rule for a line of a log that is not a logging record;
the report's counts, the log viewer's highlighting and the ``log_severity`` template
filter all use it, so they cannot disagree.
"""

from __future__ import annotations

import enum
from typing import Any


class Result(str, enum.Enum):
    """A run's result, ordered by seriousness: ``OK < WARNINGS < ERRORS < FAILED``.

    ``Result(value)`` also takes what :func:`parse_result` takes (any case, 2.x's
    integers and spellings).
    """

    OK = "ok"
    WARNINGS = "warnings"
    ERRORS = "errors"
    FAILED = "failed"

    # Printed, formatted and rendered as the plain name, as the strings it replaces were.
    def __str__(self) -> str:
        return self.value

    def __format__(self, format_spec: str) -> str:
        return format(self.value, format_spec)

    @property
    def label(self) -> str:
        """The name used in settings, templates and file names: ``"errors"``."""
        return self.value

    @property
    def rank(self) -> int:
        """2.x's integer for the level: 0, 10, 20, 30."""
        return _RANKS[self]

    @classmethod
    def names(cls) -> list[str]:
        return [member.value for member in cls]

    @classmethod
    def _missing_(cls, value: object) -> Result | None:
        try:
            return parse_result(value)
        except ValueError:
            return None

    # str's own comparisons would order the names alphabetically ("errors" < "ok"):
    # these compare ranks, and refuse a string that is not a result's name rather than
    # fall back to str's answer.
    def __lt__(self, other: object) -> bool:
        return self.rank < _rank_of(other, "<")

    def __le__(self, other: object) -> bool:
        return self.rank <= _rank_of(other, "<=")

    def __gt__(self, other: object) -> bool:
        return self.rank > _rank_of(other, ">")

    def __ge__(self, other: object) -> bool:
        return self.rank >= _rank_of(other, ">=")


_RANKS = {Result.OK: 0, Result.WARNINGS: 10, Result.ERRORS: 20, Result.FAILED: 30}
_BY_RANK = {rank: result for result, rank in _RANKS.items()}

#: The public name of 3.0 (``from taskmanager.notifications import Level``): the same type.
Level = Result


def _rank_of(other: object, operator: str) -> int:
    # Exactly the names, as == compares them: "ERRORS" equals no result, so it orders none.
    if isinstance(other, str) and other in Result._value2member_map_:
        return _RANKS[Result(other)]
    raise TypeError(f"{operator!r} not supported between a Result and {other!r}")


# Names 2.x's own sample settings used; accepted so old settings keep working.
_ALIASES = {
    "warning": Result.WARNINGS,
    "error": Result.ERRORS,
    "failure": Result.FAILED,
    "fail": Result.FAILED,
}


def parse_result(value: object) -> Result:
    """Turn a settings value (``"errors"``, ``"ERRORS"``, ``"error"``, ``20``) into a Result.

    Raises ValueError for anything else.
    """
    if isinstance(value, Result):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value in _BY_RANK:
            return _BY_RANK[value]
    elif isinstance(value, str):
        key = value.strip().lower()
        if key in Result._value2member_map_:
            return Result(key)
        if key in _ALIASES:
            return _ALIASES[key]
    raise ValueError(
        f"unknown level {value!r}: use one of {', '.join(Result.names())} (or 2.x's 0, 10, 20, 30)"
    )


#: 3.0's name of :func:`parse_result`.
parse_level = parse_result


def level_of_result(result: str | None) -> Result | None:
    """The Result a report's ``invocation_result`` holds; None for none (a run in progress)."""
    key = (result or "").lower()
    return Result(key) if key in Result._value2member_map_ else None


# -- the severity of a log line ---------------------------------------------------------

#: The words 2.x's rule looks for, most serious first.
LINE_MARKERS: tuple[tuple[str, Result], ...] = (("ERROR", Result.ERRORS), ("WARNING", Result.WARNINGS))


def line_result(line: str) -> Result | None:
    """2.x's rule for a log line that is not a logging record: ``ERRORS`` when it contains
    ``ERROR``, else ``WARNINGS`` when it contains ``WARNING``, else None.

    Case-sensitive and anywhere in the line (docs/tasks-and-reports.rst): ``WARNING: row 9``
    is a warning, ``warning: row 9`` is not, ``ERRORS: 0`` is an error.
    """
    for word, result in LINE_MARKERS:
        if word in line:
            return result
    return None


_SEVERITY = {Result.ERRORS: "error", Result.WARNINGS: "warning"}


def line_severity(line: Any) -> str:
    """``"error"``, ``"warning"`` or ``""``: :func:`line_result` as a word, for CSS classes."""
    found = line_result(str(line))
    return _SEVERITY[found] if found is not None else ""
