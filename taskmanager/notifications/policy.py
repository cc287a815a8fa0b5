"""The notification policy: whether a handler is told of a report, and as what event.

Pure: :func:`decide` takes a report's result and time, the handler's policy and what the
handler was told before (:class:`State`), and returns a :class:`Decision` and the next state;
:mod:`.policy_state` keeps the state in the database, under a row lock. The rules
(docs/policy.rst):

- ``notify: "every"`` (the default): every report at or above ``level`` is sent (event
  ``report``); a report below it leaves no record.
- ``notify: "change"``: **triggered**, the first report at or above the level after one below
  it (or the first ever); **worse**, a report worse than the last one sent to this handler for
  this task; **reminder**, with ``remind_every``, the first report at or above the level once
  that long has passed since the last message; **recovered**, the first report below the level
  after reports at or above it (sent although below the level). Any other report at or above
  the level is quiet (a skipped record: ``quiet: still failing since 02:00``).
- A snooze (``Task.notifications_snoozed_until``) holds back whatever would be sent, or is at
  or above the level, with a skipped record (``snoozed until 14:00``); the first report after
  a snooze that held something back is judged as under ``change`` against the last message
  the handler got, whatever its ``notify``.

``streak`` counts the consecutive reports at or above the level ending with this one (on a
recovery, the streak that just ended); ``failing_since`` is when its first report started.
Reminders count from the report's time (its end), so that the decision is the same whenever
it is made; the snooze compares with the moment of deciding.
"""

from __future__ import annotations

import datetime
import enum
import re
from dataclasses import dataclass, replace
from typing import Any

from django.utils import timezone

from taskmanager.notification_state import is_until_resumed
from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.filters import moment
from taskmanager.results import Result


class Notify(str, enum.Enum):
    """The values of a handler's ``notify``."""

    EVERY = "every"
    CHANGE = "change"

    def __str__(self) -> str:
        return self.value


class Event(str, enum.Enum):
    """What a message says about its report, given to templates as ``event``."""

    REPORT = "report"
    TRIGGERED = "triggered"
    WORSE = "worse"
    REMINDER = "reminder"
    RECOVERED = "recovered"

    def __str__(self) -> str:
        return self.value


def parse_notify(key: str, value: object) -> Notify:
    if isinstance(value, str) and value.strip().lower() in Notify._value2member_map_:
        return Notify(value.strip().lower())
    raise NotificationConfigurationError(
        f"unknown {key!r} value {value!r}",
        key=key,
        hint=f"Use {' or '.join(repr(n.value) for n in Notify)} (the default is 'every').",
        check_id="taskmanager.E017",
    )


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(key: str, value: object) -> datetime.timedelta:
    """``"30m"``, ``"4h"``, ``"1d"``, ``"90s"`` or a number of seconds, above zero."""
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (found := _DURATION.match(value.lower())):
        seconds = float(found.group(1)) * _UNIT_SECONDS[found.group(2)]
    if seconds is None or not 0 < seconds < 10 * 365 * 86400:
        raise NotificationConfigurationError(
            f'{key!r} must be a duration such as "30m", "4h", "1d" or a number of seconds, not {value!r}',
            key=key,
            hint=f'Give e.g. {key!r}: "4h" (s, m, h, d; a bare number is seconds).',
            check_id="taskmanager.E017",
        )
    return datetime.timedelta(seconds=seconds)


@dataclass(frozen=True)
class Policy:
    """A handler's ``level``, ``notify`` and ``remind_every``."""

    level: Result = Result.ERRORS
    notify: Notify = Notify.EVERY
    remind_every: datetime.timedelta | None = None

    def __post_init__(self) -> None:
        if self.remind_every is not None and self.notify is not Notify.CHANGE:
            raise NotificationConfigurationError(
                "'remind_every' works only with 'notify': \"change\" (under \"every\" each report "
                "is sent anyway)",
                key="remind_every",
                hint="Add 'notify': \"change\", or remove 'remind_every'.",
                check_id="taskmanager.E018",
            )


@dataclass(frozen=True)
class State:
    """What a handler was told of a task, and the task's streak at its level."""

    streak: int = 0
    streak_started: datetime.datetime | None = None
    #: The least serious result among the streak's reports (None without a streak).
    streak_result: Result | None = None
    last_sent_result: Result | None = None
    last_sent_at: datetime.datetime | None = None
    #: A snooze held a message back since the last one sent.
    held: bool = False
    #: Reports judged so far: each decision numbers its report with the next one.
    judged: int = 0


@dataclass(frozen=True)
class Decision:
    """Whether a handler is told of a report, as what, or why not."""

    send: bool
    #: The event the message says (``""``: none; held back, it is what would have been sent).
    event: str = ""
    #: Why it is held back: a skipped record's reason; ``""`` when sent or not recorded at all.
    reason: str = ""
    streak: int = 0
    failing_since: datetime.datetime | None = None
    #: The report's number among those judged for this task and handler (0: not judged).
    number: int = 0
    #: The least serious result among the streak's reports: "5 failed runs" only when all
    #: five failed (on a recovery, of the streak that just ended).
    streak_result: Result | None = None
    #: For a message to send: what the handler had been told before it, should the handler's
    #: own ``accepts()`` decline it (:func:`~taskmanager.notifications.policy_state.forget`).
    told_before: State | None = None

    @property
    def recorded(self) -> bool:
        """Whether the report leaves a delivery record for the handler (sent, or skipped with a
        reason); a report below the level under ``every`` leaves none."""
        return self.send or bool(self.reason)

    def context(self) -> dict[str, Any]:
        """What templates get from the decision (docs/notifications-context.rst)."""
        since = self.failing_since
        return {
            "event": self.event or Event.REPORT.value,
            "streak": self.streak,
            "streak_result": self.streak_result,
            "failing_since": timezone.localtime(since) if since and timezone.is_aware(since) else since,
        }


_STILL = {Result.FAILED: "failing", Result.ERRORS: "with errors", Result.WARNINGS: "with warnings"}


def still_text(result: Result) -> str:
    """``failing``, ``with errors``... as in ``still failing since 02:00``."""
    return _STILL.get(result, str(result))


def _change_event(
    policy: Policy, result: Result, at: datetime.datetime, was_above: bool, state: State
) -> str:
    above = result >= policy.level
    if not above:
        return Event.RECOVERED.value if was_above else ""
    if not was_above or state.last_sent_result is None:
        return Event.TRIGGERED.value
    if result > state.last_sent_result:
        return Event.WORSE.value
    if policy.remind_every is None:
        return ""
    due = state.last_sent_at is None or at - state.last_sent_at >= policy.remind_every
    return Event.REMINDER.value if due else ""


def decide(
    policy: Policy,
    result: Result,
    at: datetime.datetime,
    state: State,
    *,
    snoozed_until: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
    started: datetime.datetime | None = None,
) -> tuple[Decision, State]:
    """Judge a report of ``result`` that started at ``started`` (default ``at``) and ended at
    ``at`` for a handler with ``policy``.

    ``now`` (default ``at``) is the moment of deciding, compared with ``snoozed_until``."""
    now = now or at
    above = result >= policy.level
    was_above = state.streak > 0
    streak = state.streak + 1 if above else 0
    started = started or at
    started = None if not above else (state.streak_started or started) if was_above else started
    # What each report of the streak reached: "5 failed runs" only when all five failed.
    floor = None if not above else result
    if above and was_above and state.streak_result is not None:
        floor = min(result, state.streak_result)
    after = replace(
        state, streak=streak, streak_started=started, streak_result=floor, judged=state.judged + 1
    )
    # On a recovery the message speaks of the streak that just ended.
    shown = (streak, started) if above else (state.streak, state.streak_started)
    of_streak = floor if above else state.streak_result
    number = after.judged

    if state.held:
        # The first report after a snooze: news only if it differs from the last message.
        told_above = state.last_sent_result is not None and state.last_sent_result >= policy.level
        event = _change_event(policy, result, at, told_above, state)
    elif policy.notify is Notify.CHANGE:
        event = _change_event(policy, result, at, was_above, state)
    else:
        event = Event.REPORT.value if above else ""

    if snoozed_until is not None and snoozed_until > now:
        if not event and not above:
            return Decision(
                False, streak=shown[0], failing_since=shown[1], number=number, streak_result=of_streak
            ), after
        return (
            Decision(False, event, f"snoozed {snooze_text(snoozed_until, now)}", *shown, number, of_streak),
            replace(after, held=state.held or bool(event)),
        )
    after = replace(after, held=False)
    if event:
        last_at = max(at, state.last_sent_at) if state.last_sent_at else at
        return Decision(True, event, "", *shown, number, of_streak, told_before=state), replace(
            after, last_sent_result=result, last_sent_at=last_at
        )
    if not above:
        return Decision(False, number=number), after
    reason = f"quiet: still {still_text(result)} since {moment(started, now)}"
    if policy.notify is Notify.CHANGE and policy.remind_every is not None and state.last_sent_at is not None:
        reason += f"; next reminder after {moment(state.last_sent_at + policy.remind_every, now)}"
    elif state.held:
        reason += " (as last told, before the snooze)"
    return Decision(False, "", reason, *shown, number, of_streak), after


def snooze_text(until: datetime.datetime, now: datetime.datetime) -> str:
    """``until 14:00``, ``until 2026-12-01 09:00`` or ``until resumed``."""
    return "until resumed" if is_until_resumed(until) else f"until {moment(until, now)}"
