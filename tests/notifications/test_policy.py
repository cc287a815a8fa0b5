"""The policy's decisions on sequences of reports, without a database (policy.decide is pure)."""

import datetime

import pytest

from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.policy import (
    Decision,
    Notify,
    Policy,
    State,
    decide,
    parse_duration,
    parse_notify,
    still_text,
)
from taskmanager.results import Result

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 02:00 in Rome, the tests' time zone
EVERY = Policy(Result.ERRORS)
CHANGE = Policy(Result.ERRORS, Notify.CHANGE)
REMIND = Policy(Result.ERRORS, Notify.CHANGE, datetime.timedelta(hours=4))

# ok, failed, failed, failed after the reminder interval, errors, ok: (result, minutes from T0)
SEQUENCE = [("ok", -10), ("failed", 0), ("failed", 10), ("failed", 300), ("errors", 310), ("ok", 320)]


def run(policy: Policy, sequence=SEQUENCE, state: State | None = None, **kwargs) -> list[Decision]:
    state = state or State()
    decisions = []
    for result, minutes in sequence:
        at = T0 + datetime.timedelta(minutes=minutes)
        decision, state = decide(policy, Result(result), at, state, **kwargs)
        decisions.append(decision)
    return decisions


def said(decisions: list[Decision]) -> list[str]:
    """What each decision did: the event sent, ``quiet`` (a skipped record), or ``-`` (nothing)."""
    return [d.event if d.send else "quiet" if d.reason else "-" for d in decisions]


def test_under_every_each_report_at_or_above_the_level_is_sent_and_the_others_leave_nothing():
    assert said(run(EVERY)) == ["-", "report", "report", "report", "report", "-"]


def test_under_change_a_failure_is_told_once_then_its_recovery():
    assert said(run(CHANGE)) == ["-", "triggered", "quiet", "quiet", "quiet", "recovered"]


def test_with_remind_every_the_first_report_past_the_interval_is_a_reminder():
    assert said(run(REMIND)) == ["-", "triggered", "quiet", "reminder", "quiet", "recovered"]


def test_a_report_worse_than_the_last_one_sent_is_told_as_worse():
    decisions = run(CHANGE, [("errors", 0), ("errors", 10), ("failed", 20), ("failed", 30)])
    assert said(decisions) == ["triggered", "quiet", "worse", "quiet"]


def test_worse_compares_with_the_last_message_not_the_previous_report():
    # failed (sent), errors (quiet), failed: not worse than the last message, failed.
    decisions = run(CHANGE, [("failed", 0), ("errors", 10), ("failed", 20)])
    assert said(decisions) == ["triggered", "quiet", "quiet"]


def test_the_first_report_ever_at_the_level_is_triggered():
    assert said(run(CHANGE, [("failed", 0)])) == ["triggered"]


def test_a_report_below_the_level_after_others_below_it_leaves_nothing_under_change():
    assert said(run(CHANGE, [("ok", 0), ("warnings", 10), ("ok", 20)])) == ["-", "-", "-"]


def test_a_reminder_counts_from_the_last_message_so_reminders_repeat_at_the_interval():
    minutes = [0, 100, 250, 300, 480, 545]
    decisions = run(REMIND, [("failed", m) for m in minutes])
    assert said(decisions) == ["triggered", "quiet", "reminder", "quiet", "quiet", "reminder"]


def test_streak_counts_the_reports_at_or_above_the_level_and_a_recovery_tells_the_one_that_ended():
    decisions = run(CHANGE)
    assert [d.streak for d in decisions] == [0, 1, 2, 3, 4, 4]
    assert [d.failing_since for d in decisions] == [None, T0, T0, T0, T0, T0]


def test_the_streaks_result_is_what_each_of_its_reports_reached_and_a_recovery_tells_it():
    decisions = run(CHANGE)
    assert [d.streak_result for d in decisions] == [
        None,
        Result.FAILED,
        Result.FAILED,
        Result.FAILED,
        Result.ERRORS,  # failed, failed, failed, errors: each had errors, not each failed
        Result.ERRORS,
    ]
    only_failures = run(CHANGE, [("failed", 0), ("failed", 10), ("ok", 20)])
    assert only_failures[-1].streak_result is Result.FAILED
    assert only_failures[-1].context()["streak_result"] is Result.FAILED


def test_a_quiet_report_says_since_when_the_task_fails_in_local_time():
    decisions = run(CHANGE, now=T0 + datetime.timedelta(minutes=30))
    assert decisions[2].reason == "quiet: still failing since 02:00"
    assert decisions[4].reason == "quiet: still with errors since 02:00"


def test_a_quiet_report_under_remind_every_says_when_the_next_reminder_is_due():
    decisions = run(REMIND, now=T0 + datetime.timedelta(minutes=30))
    assert decisions[2].reason == "quiet: still failing since 02:00; next reminder after 06:00"


def test_each_decision_numbers_its_report():
    assert [d.number for d in run(CHANGE)] == [1, 2, 3, 4, 5, 6]


# -- the snooze ---------------------------------------------------------------------------


def test_a_snooze_holds_back_what_would_be_sent_with_a_skipped_record_saying_until_when():
    until = T0 + datetime.timedelta(hours=12)  # 14:00 in Rome
    decisions = run(CHANGE, [("ok", -10), ("failed", 0), ("failed", 10)], snoozed_until=until)
    assert said(decisions) == ["-", "quiet", "quiet"]
    assert [d.reason for d in decisions] == ["", "snoozed until 14:00", "snoozed until 14:00"]
    # What would be sent were the snooze over: the handler has heard of no failure yet.
    assert [d.event for d in decisions] == ["", "triggered", "triggered"]


def test_a_recovery_within_a_snooze_is_held_back_too():
    until = T0 + datetime.timedelta(hours=12)
    state = State()
    _d, state = decide(CHANGE, Result.FAILED, T0, state)
    decision, _state = decide(CHANGE, Result.OK, T0, state, snoozed_until=until)
    assert (decision.send, decision.event, decision.reason) == (False, "recovered", "snoozed until 14:00")


def test_a_failure_that_began_and_ended_within_a_snooze_is_no_news_after_it():
    until = T0 + datetime.timedelta(hours=12)
    decisions = run(CHANGE, [("failed", 0), ("ok", 10)], snoozed_until=until)
    assert said(decisions) == ["quiet", "-"]


def test_a_snooze_leaves_nothing_for_a_report_below_the_level_that_is_no_recovery():
    until = T0 + datetime.timedelta(hours=12)
    assert said(run(EVERY, [("ok", 0)], snoozed_until=until)) == ["-"]


def test_a_snooze_until_resumed_says_so():
    until = datetime.datetime(9999, 1, 1, tzinfo=UTC)
    (decision,) = run(EVERY, [("failed", 0)], snoozed_until=until)
    assert decision.reason == "snoozed until resumed"


def _after_a_snooze(policy: Policy, before: list, during: list, after: list) -> list[str]:
    """What the reports after a snooze say, the snooze having held back ``during``."""
    state = State()
    for result, minutes in before:
        _decision, state = decide(policy, Result(result), T0 + datetime.timedelta(minutes=minutes), state)
    until = T0 + datetime.timedelta(days=1)
    for result, minutes in during:
        moment = T0 + datetime.timedelta(minutes=minutes)
        _decision, state = decide(policy, Result(result), moment, state, snoozed_until=until, now=moment)
    return said(run(policy, after, state=state))


def test_after_a_snooze_a_recovery_the_handler_never_heard_of_is_told():
    assert _after_a_snooze(EVERY, [("failed", 0)], [("failed", 10)], [("ok", 20)]) == ["recovered"]
    assert _after_a_snooze(CHANGE, [("failed", 0)], [("ok", 10)], [("ok", 20)]) == ["recovered"]


def test_after_a_snooze_a_failure_the_handler_was_told_of_is_quiet_once_then_every_sends_again():
    after = [("failed", 20), ("failed", 30)]
    assert _after_a_snooze(EVERY, [("failed", 0)], [("failed", 10)], after) == ["quiet", "report"]


def test_after_a_snooze_a_failure_after_a_told_recovery_is_triggered():
    assert _after_a_snooze(CHANGE, [("ok", 0)], [("failed", 10)], [("failed", 20)]) == ["triggered"]


def test_after_a_snooze_that_held_nothing_back_the_policy_goes_on_as_usual():
    # Quiet anyway during the snooze (still failing): nothing was held back.
    assert _after_a_snooze(CHANGE, [("failed", 0)], [("failed", 10)], [("failed", 20)]) == ["quiet"]


# -- the settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30m", 1800),
        ("4h", 14400),
        ("1d", 86400),
        ("90s", 90),
        (600, 600),
        (1.5, 1.5),
        (" 2H ", 7200),
        ("45", 45),
    ],
)
def test_remind_every_reads_a_duration_or_seconds(value, seconds):
    assert parse_duration("remind_every", value) == datetime.timedelta(seconds=seconds)


@pytest.mark.parametrize("value", ["soon", "4 hours", "-1h", 0, -5, True, None, [], "1w"])
def test_remind_every_refuses_what_is_no_duration(value):
    with pytest.raises(NotificationConfigurationError, match="remind_every") as caught:
        parse_duration("remind_every", value)
    assert caught.value.check_id == "taskmanager.E017"


def test_notify_takes_every_or_change_and_refuses_anything_else():
    assert parse_notify("notify", "Change") is Notify.CHANGE
    with pytest.raises(NotificationConfigurationError, match="unknown 'notify' value 'changes'") as caught:
        parse_notify("notify", "changes")
    assert "'every' or 'change'" in caught.value.hint


def test_remind_every_without_notify_change_is_a_configuration_error():
    with pytest.raises(NotificationConfigurationError, match="only with 'notify'") as caught:
        Policy(Result.ERRORS, Notify.EVERY, datetime.timedelta(hours=1))
    assert caught.value.check_id == "taskmanager.E018"


def test_still_names_the_result_as_people_say_it():
    assert [still_text(r) for r in (Result.FAILED, Result.ERRORS, Result.WARNINGS)] == [
        "failing",
        "with errors",
        "with warnings",
    ]
