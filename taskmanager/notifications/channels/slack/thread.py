"""The log's last lines as a reply in the thread of a Slack message (the option ``thread_log``).

The reply is a Block Kit payload of its own: a section holding the lines in a code block,
made to fit Slack's limits by :func:`~.fit.fit_payload` (a section's 3,000 characters: the code
keeps its **last** lines, after ``… 1,234 earlier characters``) and checked once, when it is
built. The lines are read as every message reads its log tail (the stored tail, or the end of
the log file with the bounded reader, :meth:`taskmanager.models.Report.log_tail_lines`), made
printable, escaped for a code block (:func:`~taskmanager.notifications.filters.mrkdwn_code`),
and Slack secrets hidden (the transport's own token, anything shaped like one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from taskmanager.notifications.channels.slack.check import check_payload
from taskmanager.notifications.channels.slack.errors import PayloadError
from taskmanager.notifications.channels.slack.fit import fit_payload
from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.filters import mrkdwn, mrkdwn_code
from taskmanager.text import printable

if TYPE_CHECKING:
    from collections.abc import Callable

    from taskmanager.models import Report

#: Lines the reply shows with ``thread_log: True``; fewer when they are longer than a
#: section holds (the first are then cut).
DEFAULT_LINES = 50
#: The most lines ``thread_log`` may ask for: more could never be shown in one section.
MAX_LINES = 1000


def thread_lines_option(value: object) -> int:
    """``thread_log`` as the number of lines to reply with: 0 (off), :data:`DEFAULT_LINES` for
    True, or a whole number from 1 to :data:`MAX_LINES`."""
    if value is None or value is False:
        return 0
    if value is True:
        return DEFAULT_LINES
    if isinstance(value, int) and 1 <= value <= MAX_LINES:
        return value
    raise NotificationConfigurationError(
        f"'thread_log' must be True, False or a number of lines from 1 to {MAX_LINES:,}, not {value!r}",
        key="thread_log",
        hint=f"Give 'thread_log': True (the last {DEFAULT_LINES} lines) or a number of lines, e.g. 100.",
    )


def thread_payload(
    report: Report, lines: int, *, scrub: Callable[[str], str] = lambda text: text
) -> dict[str, Any] | None:
    """The reply's payload (``text`` and ``blocks``), fitted and checked; None when the report
    has no log lines. ``scrub`` hides secrets in the log's text."""
    tail = [scrub(printable(line)) for line in report.log_tail_lines(lines)]
    while tail and not tail[-1].strip():
        tail.pop()
    if not tail:
        return None
    name = " ".join(report.task.name.split())
    title = f"Last {len(tail):,} log {'line' if len(tail) == 1 else 'lines'}"
    code = "\n".join(mrkdwn_code(line) for line in tail)
    payload = {
        "text": mrkdwn(f"{name}: {title.lower()}"),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{title}*\n```\n{code}\n```", "verbatim": True},
            }
        ],
    }
    fitted = fit_payload(payload).payload
    problems = check_payload(fitted)
    if problems:  # cannot happen with the payload built here; said rather than sent
        raise PayloadError(problems)
    return fitted
