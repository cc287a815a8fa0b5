"""The sample history of a recovery and of a reminder, for ``preview_notifications --event``."""

from __future__ import annotations

import datetime

import pytest

from taskmanager.notifications.channels.locmem import LocmemTransport
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.preview import SAMPLE_STARTED, sample_report
from taskmanager.notifications.preview.events import (
    EVENTS,
    event_history,
    sample_event_context,
    why_event_not_sent,
)
from taskmanager.results import Level


def test_a_sample_recovery_follows_five_failed_runs_that_began_two_and_a_half_hours_before() -> None:
    report = sample_report(Level.OK)
    context = sample_event_context("recovered", report, Level.OK)

    assert context["event"] == "recovered"
    assert context["streak"] == 5
    assert context["failing_since"] == SAMPLE_STARTED - datetime.timedelta(minutes=150)
    assert context["previous"].result == Level.FAILED
    assert context["previous"].invocation_datetime == SAMPLE_STARTED - datetime.timedelta(minutes=30)


def test_a_sample_reminder_is_the_twelfth_run_of_its_streak_at_the_level_shown() -> None:
    report = sample_report(Level.ERRORS)
    context = sample_event_context("reminder", report, Level.ERRORS)

    assert context["event"] == "reminder"
    assert context["streak"] == 12
    # Eleven runs ten minutes apart came before this one.
    assert context["failing_since"] == SAMPLE_STARTED - datetime.timedelta(minutes=110)
    assert context["previous"].result == Level.ERRORS


def test_the_previous_sample_report_is_of_the_same_task_and_has_no_link() -> None:
    report = sample_report(Level.OK)
    previous = sample_event_context("recovered", report, Level.OK)["previous"]
    assert previous.task.name == report.task.name
    assert previous.pk is None


def test_the_times_are_in_the_current_time_zone_as_the_other_context_times() -> None:
    failing_since = sample_event_context("reminder", sample_report(Level.FAILED), Level.FAILED)[
        "failing_since"
    ]
    assert str(failing_since.tzinfo) == "Europe/Rome"
    assert f"{failing_since:%H:%M}" == "00:10"


def test_each_event_has_a_default_level_on_its_side_of_a_threshold() -> None:
    assert EVENTS == ("recovered", "reminder")
    assert event_history("recovered").default_level == Level.OK
    assert event_history("reminder").default_level == Level.FAILED


def test_an_unknown_event_is_refused_with_the_events_there_are() -> None:
    with pytest.raises(ValueError, match="recovered, reminder"):
        event_history("triggered")


def policy_handler(**options) -> NotificationHandler:
    return NotificationHandler(
        "ops", level=Level.ERRORS, transport_class=LocmemTransport, templates="log", handler_options=options
    )


@pytest.mark.parametrize(
    ("options", "event", "level", "why"),
    [
        ({}, "recovered", Level.OK, 'its notify is "every", not "change"'),
        ({"notify": "change"}, "recovered", Level.ERRORS, "a recovery is a report below the handler's level"),
        ({"notify": "change"}, "reminder", Level.FAILED, "it has no remind_every"),
        ({"notify": "change", "remind_every": "4h"}, "reminder", Level.WARNINGS, "nothing to remind of"),
    ],
)
def test_a_handler_that_never_sends_an_event_says_why(options, event, level, why) -> None:
    assert why in why_event_not_sent(policy_handler(**options), event, level)


@pytest.mark.parametrize(("event", "level"), [("recovered", Level.OK), ("reminder", Level.FAILED)])
def test_a_handler_on_change_with_reminders_sends_both_events(event, level) -> None:
    assert why_event_not_sent(policy_handler(notify="change", remind_every="4h"), event, level) == ""
