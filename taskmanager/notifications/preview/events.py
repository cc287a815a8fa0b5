"""The policy's messages in previews: a sample recovery and a sample reminder (``--event``).

A recovery and a reminder are told from what came before the report (the previous report, the
streak of failing runs, when it began), which a sample report alone does not have: these are
sample values of that history, on the samples' fixed clock, so that ``preview_notifications
--event recovered`` renders the same text from one run to the next.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from taskmanager.models import Report
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.policy import Notify
from taskmanager.notifications.samples import sample_report
from taskmanager.results import Level

#: The events ``--event`` renders: those whose messages differ from a plain report's.
EVENTS = ("recovered", "reminder")


@dataclass(frozen=True)
class SampleHistory:
    """What a sample report of an event follows: its failing streak and the report before it."""

    event: str
    #: How many runs the streak counts (on a recovery, the streak that just ended).
    streak: int
    #: Minutes between the sample task's runs.
    every: int
    #: The result of the runs of the streak.
    failing: Level
    #: The level a report of this event is shown at when none is asked for.
    default_level: Level


HISTORIES = {
    # Fixed at 02:00 after five failed runs, one every half hour since 23:30.
    "recovered": SampleHistory("recovered", streak=5, every=30, failing=Level.FAILED, default_level=Level.OK),
    # The twelfth failed run, one every ten minutes since 00:10.
    "reminder": SampleHistory(
        "reminder", streak=12, every=10, failing=Level.FAILED, default_level=Level.FAILED
    ),
}


def event_history(event: str) -> SampleHistory:
    try:
        return HISTORIES[event]
    except KeyError:
        raise ValueError(f"no sample of event {event!r}: choose one of {', '.join(EVENTS)}") from None


def sample_event_context(event: str, report: Report, level: Level) -> dict[str, Any]:
    """``event``, ``previous``, ``streak`` and ``failing_since`` for the sample ``report``.

    ``previous`` is an unsaved sample report of the streak, one run before ``report`` (its
    ``pk`` unset, so templates show it without a link); on a reminder it is at ``level``,
    the level the streak stays at.
    """
    history = event_history(event)
    started = report.invocation_datetime
    gap = datetime.timedelta(minutes=history.every)
    previous_level = history.failing if event == "recovered" else level
    previous = sample_report(previous_level, started=started - gap, name=report.task.name, pk=None)
    # A recovery follows the whole streak; a reminder is its last run.
    runs_before = history.streak if event == "recovered" else history.streak - 1
    failing_since = started - gap * runs_before
    return {
        "event": event,
        "previous": previous,
        "previous_url": None,
        "streak": history.streak,
        "streak_result": history.failing,
        "failing_since": timezone.localtime(failing_since)
        if timezone.is_aware(failing_since)
        else failing_since,
    }


def why_event_not_sent(handler: NotificationHandler, event: str, level: Level) -> str:
    """Why ``handler`` never sends ``event`` at ``level`` ("" when it may)."""
    policy = handler.policy
    if policy.notify is not Notify.CHANGE:
        return f'this handler sends no {event} messages: its notify is "{policy.notify}", not "change"'
    if event == "recovered" and level >= handler.level:
        return f"a recovery is a report below the handler's level ({handler.level}), which this is not"
    if event == "reminder" and policy.remind_every is None:
        return "this handler sends no reminders: it has no remind_every"
    if event == "reminder" and level < handler.level:
        return f"below the handler's level ({handler.level}): nothing to remind of"
    return ""
