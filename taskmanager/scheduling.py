"""When a task runs: its first ride, and the rides of a repeating task after that.

A repeating task's rides lie on a grid anchored at its first ride (its
``scheduling`` when it has one): ``anchor + k * rate * period`` for k = 0, 1,
2, ... Each next ride is computed from the anchor, never from the previous
ride, so nothing drifts: a run that takes ten minutes does not push the next
ride ten minutes later, and a monthly task anchored on January 31st runs on
February 28th (29th in a leap year), then on March 31st again.

Minutes and hours are elapsed time: "every hour" is every 3,600 seconds, also
across a change of daylight saving time. Days and months follow the wall clock
of the current time zone (``TIME_ZONE`` when ``USE_TZ`` is on): a daily task
at 03:00 runs at 03:00 in summer and in winter. A wall-clock time that does
not exist on a given day (02:30 on the night clocks go forward) is read with
the offset in force before the change, so it runs an hour later by the clock
(03:30); a time that happens twice (clocks go back) runs at its first
occurrence.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable

from django.utils import timezone

MINUTE = "minute"
HOUR = "hour"
DAY = "day"
MONTH = "month"
PERIODS = (MINUTE, HOUR, DAY, MONTH)


def add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    """``moment`` moved by ``months`` calendar months, its day cut to the month's last day."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _to_wall(moment: datetime.datetime) -> datetime.datetime:
    """The naive wall-clock time of ``moment`` in the current time zone."""
    if timezone.is_naive(moment):
        return moment
    return timezone.localtime(moment).replace(tzinfo=None)


def _from_wall(wall: datetime.datetime, aware: bool) -> datetime.datetime:
    if not aware:
        return wall
    # Aware results are compared with one another below; datetimes sharing a
    # tzinfo compare by wall time, ignoring the offset, which is wrong around a
    # change of daylight saving time. UTC has no such changes.
    local = wall.replace(tzinfo=timezone.get_current_timezone())
    return local.astimezone(datetime.timezone.utc)


def ride_maker(anchor: datetime.datetime, period: str, rate: int) -> Callable[[int], datetime.datetime]:
    """A function giving ride number ``k`` (0 is the anchor) of the grid."""
    if period not in PERIODS:
        raise ValueError(f"Unknown repetition period {period!r}: use one of {', '.join(PERIODS)}.")
    if rate < 1:
        raise ValueError(f"The repetition rate must be at least 1, not {rate}.")
    aware = timezone.is_aware(anchor)
    anchor_utc = anchor.astimezone(datetime.timezone.utc) if aware else anchor
    if period in (MINUTE, HOUR):
        step = datetime.timedelta(minutes=rate) if period == MINUTE else datetime.timedelta(hours=rate)
        return lambda k: anchor_utc + k * step
    wall = _to_wall(anchor)
    if period == DAY:
        return lambda k: _from_wall(wall + datetime.timedelta(days=k * rate), aware)
    return lambda k: _from_wall(add_months(wall, k * rate), aware)


def _estimate(anchor: datetime.datetime, period: str, rate: int, after: datetime.datetime) -> int:
    """Roughly how many steps lie between ``anchor`` and ``after`` (off by one at most)."""
    if period == MONTH:
        start, end = _to_wall(anchor), _to_wall(after)
        return ((end.year - start.year) * 12 + end.month - start.month) // rate
    seconds = {MINUTE: 60, HOUR: 3600, DAY: 86400}[period] * rate
    return int((after - anchor).total_seconds() // seconds)


def next_ride(
    anchor: datetime.datetime, period: str, rate: int | None, after: datetime.datetime
) -> datetime.datetime:
    """The first ride of the grid strictly after ``after`` (the anchor itself if it is later).

    Missed rides are not replayed: after a week of downtime a daily task's
    next ride is the next one to come, not seven of them.
    """
    rate = rate or 1  # 2.x's default for a blank rate
    ride = ride_maker(anchor, period, rate)
    if timezone.is_aware(after):
        after = after.astimezone(datetime.timezone.utc)
    k = max(0, _estimate(anchor, period, rate, after) - 1)
    while k > 0 and ride(k - 1) > after:
        k -= 1
    while ride(k) <= after:
        k += 1
    return ride(k)


def first_ride(scheduling: datetime.datetime | None, now: datetime.datetime) -> datetime.datetime:
    """When a launched task runs first: at its scheduling if that is still ahead, else now."""
    if scheduling is not None and scheduling > now:
        return scheduling
    return now


def shown(moment: datetime.datetime) -> str:
    """``moment`` for people: local time, to the second."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def spool_at(ride: datetime.datetime, now: datetime.datetime) -> int | None:
    """The spooler's ``at`` (whole seconds since the epoch) for ``ride``; None to run at once.

    Rounded up, so the spooler never starts a run before its ride.
    """
    if ride <= now:
        return None
    timestamp = ride.timestamp()
    whole = int(timestamp)
    return whole if whole == timestamp else whole + 1
