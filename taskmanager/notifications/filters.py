"""Jinja filters registered on the notification environment."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from markupsafe import Markup

from taskmanager.results import Result, line_severity, parse_result
from taskmanager.text import cut, more_characters

_MRKDWN_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def mrkdwn(value: object) -> str:
    """Escape Slack's control characters so text cannot mention, ping or link.

    Slack reads ``<!channel>``, ``<@U123>`` and ``<http://x|y>`` as commands;
    its docs ask for exactly these three characters to be escaped.
    """
    return str(value).translate(_MRKDWN_ESCAPES)


#: Put between two backticks so that no two stand side by side: invisible, and Slack has no
#: other escape for the three backticks that would close the code block a log is shown in.
ZERO_WIDTH_SPACE = "\u200b"
_BACKTICK_PAIR = re.compile(r"`(?=`)")


def mrkdwn_code(value: object) -> str:
    """:func:`mrkdwn`, and no run of backticks: for text inside a Slack code block (a log tail),
    where a line holding three backticks would end the block and show the rest as mrkdwn."""
    return _BACKTICK_PAIR.sub("`" + ZERO_WIDTH_SPACE, mrkdwn(value))


def markdown(value: object) -> Markup:
    """Render Markdown to HTML (the ``markdown`` package, with fenced code and tables)."""
    import markdown as markdown_lib  # on first use: importing it costs every process start-up

    return Markup(markdown_lib.markdown(str(value), extensions=["fenced_code", "tables", "sane_lists"]))


def duration(value: datetime.timedelta | None) -> str:
    """``1 h 2 min``, ``3 min 4 s``, ``5.2 s``: how long a run took, for people."""
    if value is None:
        return "unknown"
    seconds = value.total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def plural(count: int | None, singular: str, plural_form: str | None = None) -> str:
    """``plural(2, "error")`` -> ``"2 errors"``; thousands separated."""
    count = count or 0
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"


#: What the runs of a streak are called by the least serious result among them: true of
#: each run (a failed run ends its log with its error, so it is a run with errors too).
_STREAK_RUNS = {
    Result.FAILED: ("failed run", "failed runs"),
    Result.ERRORS: ("run with errors", "runs with errors"),
    Result.WARNINGS: ("run with warnings or worse", "runs with warnings or worse"),
}


def runs(count: int | None, result: object) -> str:
    """``runs(5, "failed")`` -> ``"5 failed runs"``, ``runs(3, "errors")`` -> ``"3 runs with
    errors"``: a streak's runs named by ``result``, the least serious among them (the context's
    ``streak_result``), as the recovery messages say "ok again after ..."."""
    try:
        singular, plural_form = _STREAK_RUNS.get(parse_result(result), ("run", "runs"))
    except ValueError:  # None (a streak of nothing) or a template's own value
        singular, plural_form = "run", "runs"
    return plural(count, singular, plural_form)


def moment(value: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    """``02:00`` for a time of the day of ``now`` (default: the current time), else
    ``2026-11-27 02:00``; in the current time zone. For ``failing since 02:00``."""
    if value is None:
        return "unknown"
    now = now or timezone.now()
    if timezone.is_aware(value):
        value = timezone.localtime(value)
        now = timezone.localtime(now) if timezone.is_aware(now) else now
    return f"{value:%H:%M}" if value.date() == now.date() else f"{value:%Y-%m-%d %H:%M}"


def ordinal(value: int | None) -> str:
    """``1st``, ``2nd``, ``3rd``, ``12th``, ``22nd``: for ``12th failed run``."""
    number = value or 0
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number:,}{suffix}"


def truncate_end(value: object, length: int) -> str:
    """Cut the end of ``value`` so that it has ``length`` characters, the marker
    ``… N more characters`` included (N: how far over ``length`` it was)."""
    text = str(value)
    return cut(text, length, more_characters(len(text) - length))


def log_severity(line: object) -> str:
    """``"error"``, ``"warning"`` or ``""``: how the report's counts take the log line.

    The rule of the counts (:func:`taskmanager.results.line_result`): ``ERROR`` anywhere in
    the line makes an error, else ``WARNING`` a warning; case-sensitive. So the coloured
    lines are the counted ones. For colouring log lines.
    """
    return line_severity(line)


FILTERS = {
    "mrkdwn": mrkdwn,
    "mrkdwn_code": mrkdwn_code,
    "markdown": markdown,
    "duration": duration,
    "plural": plural,
    "runs": runs,
    "truncate_chars": truncate_end,
    "log_severity": log_severity,
    "moment": moment,
    "ordinal": ordinal,
}
