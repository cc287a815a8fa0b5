"""taskmanager.scheduling: first rides, the grid of a repeating task, month ends, DST."""

import datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from taskmanager import scheduling
from taskmanager.models import AppCommand, Task
from taskmanager.scheduling import add_months, first_ride, next_ride, spool_at

ROME = ZoneInfo("Europe/Rome")  # the suite's TIME_ZONE
UTC = datetime.timezone.utc


def rome(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=ROME)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ((2025, 1, 31), 1, (2025, 2, 28)),
        ((2024, 1, 31), 1, (2024, 2, 29)),
        ((2025, 1, 31), 2, (2025, 3, 31)),
        ((2025, 8, 31), 1, (2025, 9, 30)),
        ((2025, 12, 31), 2, (2026, 2, 28)),
        ((2024, 2, 29), 12, (2025, 2, 28)),
        ((2024, 2, 29), 48, (2028, 2, 29)),
        ((2025, 3, 31), -1, (2025, 2, 28)),
        ((2025, 1, 15), 25, (2027, 2, 15)),
    ],
)
def test_adding_months_cuts_the_day_to_the_month_end(
    start: tuple[int, int, int], months: int, expected: tuple[int, int, int]
) -> None:
    moment = datetime.datetime(*start, 10, 30)
    assert add_months(moment, months) == datetime.datetime(*expected, 10, 30)


def test_a_monthly_grid_from_january_31st_runs_on_every_month_end() -> None:
    anchor = rome(2025, 1, 31, 10, 0)
    rides = []
    after = anchor
    for _ in range(4):
        after = next_ride(anchor, "month", 1, after)
        rides.append(after)
    assert rides == [
        rome(2025, 2, 28, 10),
        rome(2025, 3, 31, 10),
        rome(2025, 4, 30, 10),
        rome(2025, 5, 31, 10),
    ]


def test_a_monthly_grid_in_a_leap_year_runs_on_february_29th() -> None:
    assert next_ride(rome(2024, 1, 31, 8), "month", 1, rome(2024, 2, 1)) == rome(2024, 2, 29, 8)


def test_every_three_months_counts_from_the_anchor_not_from_the_cut_day() -> None:
    anchor = rome(2025, 11, 30, 6)
    first = next_ride(anchor, "month", 3, anchor)
    assert first == rome(2026, 2, 28, 6)
    assert next_ride(anchor, "month", 3, first) == rome(2026, 5, 30, 6)


def test_the_next_ride_is_strictly_after_the_given_moment() -> None:
    anchor = utc(2025, 5, 1, 12, 0)
    assert next_ride(anchor, "minute", 1, utc(2025, 5, 1, 12, 0, 30)) == utc(2025, 5, 1, 12, 1)
    assert next_ride(anchor, "minute", 1, utc(2025, 5, 1, 12, 1)) == utc(2025, 5, 1, 12, 2)
    assert next_ride(anchor, "minute", 5, utc(2025, 5, 1, 12, 1)) == utc(2025, 5, 1, 12, 5)


def test_an_anchor_still_ahead_is_the_next_ride() -> None:
    anchor = utc(2025, 5, 1, 12, 0)
    assert next_ride(anchor, "hour", 2, utc(2025, 5, 1, 9, 0)) == anchor


def test_missed_rides_are_skipped_not_replayed() -> None:
    anchor = rome(2025, 1, 1, 3, 0)
    assert next_ride(anchor, "day", 1, rome(2025, 3, 10, 12, 0)) == rome(2025, 3, 11, 3, 0)


def counting_rides(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the number of every grid point ``next_ride`` computes."""
    computed: list[int] = []
    make = scheduling.ride_maker

    def counting_maker(
        anchor: datetime.datetime, period: str, rate: int
    ) -> Callable[[int], datetime.datetime]:
        ride = make(anchor, period, rate)

        def counted(k: int) -> datetime.datetime:
            computed.append(k)
            return ride(k)

        return counted

    monkeypatch.setattr(scheduling, "ride_maker", counting_maker)
    return computed


@pytest.mark.parametrize(
    ("anchor", "period", "rate", "after", "expected"),
    [
        # Ten years of minutes: over five million grid points.
        (utc(2015, 1, 1, 0, 0, 7), "minute", 1, utc(2025, 6, 1, 12, 34, 56), utc(2025, 6, 1, 12, 35, 7)),
        (rome(2000, 1, 31, 9), "month", 1, rome(2025, 3, 1), rome(2025, 3, 31, 9)),
        (rome(2000, 1, 1, 3), "day", 3, rome(2025, 6, 1, 12), rome(2025, 6, 3, 3)),
    ],
)
def test_a_grid_years_old_is_computed_without_walking_it(
    monkeypatch: pytest.MonkeyPatch,
    anchor: datetime.datetime,
    period: str,
    rate: int,
    after: datetime.datetime,
    expected: datetime.datetime,
) -> None:
    computed = counting_rides(monkeypatch)
    assert next_ride(anchor, period, rate, after) == expected
    # A jump to within a step of the ride, then a check on each side: never a walk along the grid.
    assert len(computed) <= 5, computed


def test_hours_are_elapsed_time_across_the_spring_change() -> None:
    # 2025-03-30 02:00 CET -> 03:00 CEST in Rome.
    anchor = rome(2025, 3, 30, 0, 30)  # 23:30 UTC the day before
    first = next_ride(anchor, "hour", 1, anchor)
    second = next_ride(anchor, "hour", 1, first)
    assert first == utc(2025, 3, 30, 0, 30)  # 01:30 CET
    assert second == utc(2025, 3, 30, 1, 30)  # 03:30 CEST: one hour later, not two
    assert second.astimezone(ROME).hour == 3


def test_days_keep_the_wall_clock_time_across_the_spring_change() -> None:
    anchor = rome(2025, 3, 29, 3, 0)  # 02:00 UTC, CET
    ride = next_ride(anchor, "day", 1, anchor)
    assert ride == utc(2025, 3, 30, 1, 0)  # 03:00 CEST, 23 hours later
    assert ride.astimezone(ROME).replace(tzinfo=None) == datetime.datetime(2025, 3, 30, 3, 0)


def test_days_keep_the_wall_clock_time_across_the_autumn_change() -> None:
    anchor = rome(2025, 10, 25, 9, 0)  # CEST, 07:00 UTC
    ride = next_ride(anchor, "day", 1, anchor)
    assert ride == utc(2025, 10, 26, 8, 0)  # 09:00 CET, 25 hours later


def test_a_wall_time_that_does_not_exist_runs_an_hour_later_by_the_clock() -> None:
    anchor = rome(2025, 3, 29, 2, 30)  # 01:30 UTC
    first = next_ride(anchor, "day", 1, anchor)
    second = next_ride(anchor, "day", 1, first)
    assert first == utc(2025, 3, 30, 1, 30)  # 02:30 does not exist that night: 03:30 CEST
    assert second == utc(2025, 3, 31, 0, 30)  # 02:30 CEST again


def test_a_wall_time_that_happens_twice_runs_at_its_first_occurrence() -> None:
    anchor = rome(2025, 10, 25, 2, 30)  # CEST, 00:30 UTC
    first = next_ride(anchor, "day", 1, anchor)
    second = next_ride(anchor, "day", 1, first)
    assert first == utc(2025, 10, 26, 0, 30)  # 02:30 CEST, before the clocks go back
    assert second == utc(2025, 10, 27, 1, 30)  # 02:30 CET


def test_months_keep_the_wall_clock_time_across_a_change() -> None:
    anchor = rome(2025, 2, 15, 9, 0)  # CET
    first = next_ride(anchor, "month", 1, anchor)
    second = next_ride(anchor, "month", 1, first)
    assert (first, second) == (utc(2025, 3, 15, 8, 0), utc(2025, 4, 15, 7, 0))


def test_days_follow_the_current_time_zone(settings: Any) -> None:
    settings.TIME_ZONE = "America/New_York"  # clocks go forward on 2025-03-09
    anchor = datetime.datetime(2025, 3, 8, 7, 0, tzinfo=ZoneInfo("America/New_York"))
    assert next_ride(anchor, "day", 1, anchor) == utc(2025, 3, 9, 11, 0)  # 07:00 EDT


def test_without_time_zones_rides_are_naive_wall_clock_times(settings: Any) -> None:
    settings.USE_TZ = False
    anchor = datetime.datetime(2025, 1, 31, 10, 0)
    assert next_ride(anchor, "month", 1, datetime.datetime(2025, 2, 1)) == datetime.datetime(2025, 2, 28, 10)
    assert next_ride(anchor, "day", 2, datetime.datetime(2025, 3, 30, 11)) == datetime.datetime(
        2025, 4, 1, 10
    )


@pytest.mark.parametrize("rate", [None, 0])
def test_a_blank_rate_means_every_single_period_as_in_2x(rate: int | None) -> None:
    anchor = utc(2025, 5, 1, 12, 0)
    assert next_ride(anchor, "hour", rate, anchor) == utc(2025, 5, 1, 13, 0)


def test_an_unknown_period_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Unknown repetition period 'week'"):
        next_ride(utc(2025, 1, 1), "week", 1, utc(2025, 1, 2))


def test_the_first_ride_is_the_scheduling_while_it_is_ahead_else_now() -> None:
    now = utc(2025, 5, 1, 12, 0)
    assert first_ride(utc(2025, 5, 1, 12, 0, 3), now) == utc(2025, 5, 1, 12, 0, 3)
    assert first_ride(utc(2025, 5, 1, 11, 0), now) == now
    assert first_ride(now, now) == now
    assert first_ride(None, now) == now


def test_the_spoolers_at_never_comes_before_the_ride() -> None:
    now = utc(2025, 5, 1, 12, 0)
    exact = utc(2025, 5, 1, 12, 0, 3)
    assert spool_at(exact, now) == int(exact.timestamp())
    assert spool_at(exact + datetime.timedelta(microseconds=1), now) == int(exact.timestamp()) + 1
    assert spool_at(now, now) is None
    assert spool_at(utc(2025, 5, 1, 11), now) is None


# --- Task.get_next_ride ---------------------------------------------------------


def make_task(**fields: Any) -> Task:
    command = AppCommand(app_name="tests.sampleapp", name="ends_ok")
    return Task(name="t", command=command, **fields)


def test_a_task_scheduled_ahead_rides_at_its_scheduling() -> None:
    task = make_task(scheduling=utc(2025, 5, 2, 8), repetition_period="day")
    assert task.get_next_ride(after=utc(2025, 5, 1)) == utc(2025, 5, 2, 8)


def test_a_repeating_task_rides_on_the_grid_of_its_scheduling() -> None:
    task = make_task(scheduling=rome(2025, 1, 31, 6), repetition_period="month", repetition_rate=1)
    assert task.get_next_ride(after=rome(2025, 2, 10)) == rome(2025, 2, 28, 6)


def test_a_repeating_task_without_scheduling_rides_on_the_grid_of_its_first_ride() -> None:
    task = make_task(repetition_period="minute", repetition_rate=10)
    assert task.get_next_ride(after=utc(2025, 5, 1, 12, 5)) is None
    assert task.get_next_ride(after=utc(2025, 5, 1, 12, 5), anchor=utc(2025, 5, 1, 12)) == utc(
        2025, 5, 1, 12, 10
    )


def test_a_task_that_does_not_repeat_has_no_ride_once_its_scheduling_passed() -> None:
    task = make_task(scheduling=utc(2025, 5, 1, 8))
    assert task.get_next_ride(after=utc(2025, 5, 1, 9)) is None
