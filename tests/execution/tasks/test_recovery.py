"""taskmanager.execution.tasks.recovery: runs whose heartbeat stopped, tasks between rides, the watchdog."""

import datetime
from typing import Any

import pytest
from django.utils import timezone

from taskmanager.conf import TasksOptions
from taskmanager.execution.running import close_and_notify
from taskmanager.execution.tasks import recovery, rides
from taskmanager.models import Report, Task, Watchdog
from tests.execution.factories import make_task

pytestmark = pytest.mark.django_db(transaction=True)

OPTIONS = TasksOptions(heartbeat=1, stale_after=10, watchdog=2)


def ago(seconds: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=seconds)


def dead_run(task: Task, *, beat: datetime.datetime | None, token: str | None = None) -> Report:
    """What a worker killed in a run leaves: the task started with its ride's token, the report open."""
    Task.objects.filter(pk=task.pk).update(
        status=Task.STATUS_STARTED, spooler_id=token or rides.new_token(), cached_next_ride=ago(60)
    )
    return Report.objects.create(task=task, invocation_datetime=ago(60), heartbeat=beat)


def test_a_run_whose_heartbeat_stopped_is_closed_as_failed_and_notified_once(outbox: list[Any]) -> None:
    task = make_task("ends_ok")
    report = dead_run(task, beat=ago(11))
    done = recovery.close_stale_runs(OPTIONS, by=recovery.BY_WATCHDOG)
    assert done.lines == [
        f'task {task.pk} "ends_ok": run of report {report.pk} marked failed (no heartbeat); task idle'
    ]
    report.refresh_from_db()
    assert report.invocation_result == "failed"
    assert "no heartbeat since" in report.log
    assert "Marked failed by the watchdog." in report.log
    assert len(outbox) == 1
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == (Task.STATUS_IDLE, "")
    assert recovery.close_stale_runs(OPTIONS, by=recovery.BY_WATCHDOG).lines == []
    assert len(outbox) == 1


def test_a_run_with_a_recent_heartbeat_is_left_alone() -> None:
    report = dead_run(make_task("ends_ok"), beat=ago(5))
    assert recovery.close_stale_runs(OPTIONS, by=recovery.BY_WATCHDOG).lines == []
    report.refresh_from_db()
    assert report.end_datetime is None


def test_a_run_without_heartbeat_is_judged_by_its_start() -> None:
    report = dead_run(make_task("ends_ok"), beat=None)
    recovery.close_stale_runs(OPTIONS, by=recovery.BY_COMMAND)
    report.refresh_from_db()
    assert report.invocation_result == "failed"


def test_a_repeating_tasks_dead_run_gets_its_next_ride() -> None:
    task = make_task("ends_ok", repetition_period=Task.REPETITION_PERIOD_MINUTE)
    old = rides.new_token()
    dead_run(task, beat=ago(30), token=old)
    done = recovery.close_stale_runs(OPTIONS, by=recovery.BY_WATCHDOG)
    [ride] = done.rides
    task.refresh_from_db()
    assert ride.token == task.spooler_id != old
    assert task.status == Task.STATUS_SCHEDULED
    assert done.lines[0].endswith("next ride enqueued")


def test_two_recoveries_at_once_close_a_dead_run_once(outbox: list[Any]) -> None:
    # Interleaved by hand (SQLite in memory has one writer); tests/execution/tasks/
    # test_workers_postgres.py races real workers on PostgreSQL.
    dead_run(make_task("ends_ok"), beat=ago(30))
    [seen_by_the_second] = recovery.stale_reports(OPTIONS.stale_after, timezone.now())
    assert len(recovery.close_stale_runs(OPTIONS, by=recovery.BY_WATCHDOG).lines) == 1
    assert not close_and_notify(seen_by_the_second, "closed again")
    assert len(outbox) == 1
    seen_by_the_second.refresh_from_db()
    assert "closed again" not in seen_by_the_second.log


def test_a_dry_run_says_what_it_would_close() -> None:
    report = dead_run(make_task("ends_ok"), beat=ago(30))
    [line] = recovery.close_stale_runs(OPTIONS, by=recovery.BY_COMMAND, dry_run=True).lines
    assert line.endswith("would be marked failed")
    report.refresh_from_db()
    assert report.end_datetime is None


def test_a_task_left_idle_with_a_token_after_its_run_gets_its_next_ride() -> None:
    task = make_task("ends_ok", repetition_period=Task.REPETITION_PERIOD_HOUR)
    token = rides.new_token()
    Task.objects.filter(pk=task.pk).update(
        status=Task.STATUS_IDLE, spooler_id=token, cached_next_ride=ago(60)
    )
    Report.objects.create(
        task=task, invocation_datetime=ago(60), end_datetime=ago(50), invocation_result="ok"
    )
    [ride] = recovery.settle_between_rides(OPTIONS).rides
    task.refresh_from_db()
    assert task.spooler_id == ride.token != token


def test_a_task_whose_run_just_ended_is_left_to_its_worker() -> None:
    task = make_task("ends_ok", repetition_period=Task.REPETITION_PERIOD_HOUR)
    Task.objects.filter(pk=task.pk).update(spooler_id=rides.new_token())
    Report.objects.create(task=task, end_datetime=timezone.now(), invocation_result="ok")
    assert recovery.settle_between_rides(OPTIONS).lines == []


def test_a_ride_not_overdue_is_not_enqueued_again() -> None:
    task = make_task("ends_ok")
    Task.objects.filter(pk=task.pk).update(
        status=Task.STATUS_SPOOLED, spooler_id=rides.new_token(), cached_next_ride=ago(5)
    )
    assert recovery.requeue_lost_rides(OPTIONS).lines == []


def test_a_task_waiting_for_a_uwsgi_spool_file_moves_its_ride_onto_the_queue() -> None:
    ahead, past = make_task("ends_ok"), make_task("ends_ok")
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    Task.objects.filter(pk=ahead.pk).update(
        status=Task.STATUS_SCHEDULED,
        spooler_id="/var/spool/uwsgi/uwsgi_spoolfile_a",
        cached_next_ride=tomorrow,
    )
    Task.objects.filter(pk=past.pk).update(
        status=Task.STATUS_SPOOLED,
        spooler_id="/var/spool/uwsgi/uwsgi_spoolfile_b",
        cached_next_ride=ago(60),
    )

    assert len(recovery.move_from_spool_files(dry_run=True).lines) == 2
    assert Task.objects.get(pk=ahead.pk).spooler_id.endswith("_a")  # a dry run changes nothing
    done = recovery.move_from_spool_files()

    ahead.refresh_from_db()
    past.refresh_from_db()
    assert rides.is_token(ahead.spooler_id)
    assert rides.is_token(past.spooler_id)
    assert (ahead.status, ahead.cached_next_ride) == (Task.STATUS_SCHEDULED, tomorrow)
    assert past.status == Task.STATUS_SPOOLED
    assert past.cached_next_ride is not None
    assert past.cached_next_ride > ago(5)  # due: now
    assert [ride.token for ride in done.rides] == [ahead.spooler_id, past.spooler_id]
    assert all("moved from its uWSGI spool file to the queue" in line for line in done.lines)


def test_a_task_waiting_for_nothing_or_on_the_queue_stays_where_it_is() -> None:
    idle, queued = make_task("ends_ok"), make_task("ends_ok")
    Task.objects.filter(pk=queued.pk).update(
        status=Task.STATUS_SPOOLED, spooler_id=rides.new_token(), cached_next_ride=timezone.now()
    )
    assert recovery.move_from_spool_files().lines == []
    assert Task.objects.get(pk=idle.pk).spooler_id == ""


def test_the_watchdog_is_revived_once_and_not_while_it_rides() -> None:
    first = recovery.revive_watchdog(OPTIONS)
    assert first is not None
    assert recovery.revive_watchdog(OPTIONS) is None
    assert recovery.watchdog_rides(first)
    Watchdog.objects.update(beat=ago(3 * OPTIONS.watchdog + 1))
    second = recovery.revive_watchdog(OPTIONS)
    assert second not in (None, first)
    assert not recovery.watchdog_rides(first)
    assert Watchdog.objects.count() == 1
