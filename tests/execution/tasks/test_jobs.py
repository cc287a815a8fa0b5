"""taskmanager.execution.tasks.jobs: what a worker runs, with django-tasks-db's db_worker here."""

import datetime
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from taskmanager.conf import tasks_options
from taskmanager.execution.running import exec_started_run
from taskmanager.execution.tasks import recovery
from taskmanager.execution.tasks.jobs import run_ride, watchdog
from taskmanager.models import Report, Task, Watchdog
from taskmanager.runs.runner import start_run
from tests.execution.factories import make_task
from tests.execution.tasks.conftest import IMMEDIATE, WATCHDOG, jobs

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tasks_backend")]


def test_a_worker_runs_the_ride_once_and_notifies(run_worker: Callable[[], None], outbox: list[Any]) -> None:
    task = make_task("ends_with_warnings")
    task.launch()
    run_worker()
    [report] = Report.objects.all()
    assert report.invocation_result == "warnings"
    assert len(outbox) == 1
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == (Task.STATUS_IDLE, "", None)
    [job] = jobs()
    assert job.status == "SUCCESSFUL"
    assert job.return_value == report.pk


def test_a_repeating_task_gets_its_next_ride_on_its_grid(run_worker: Callable[[], None]) -> None:
    anchor = timezone.now() - datetime.timedelta(minutes=90, seconds=10)
    task = make_task("ends_ok", scheduling=anchor, repetition_period=Task.REPETITION_PERIOD_HOUR)
    task.launch()
    run_worker()
    assert Report.objects.count() == 1  # the missed rides are not replayed
    task.refresh_from_db()
    following = anchor + datetime.timedelta(hours=2)
    assert (task.status, task.cached_next_ride) == (Task.STATUS_SCHEDULED, following)
    ridden, waiting = jobs()
    assert (ridden.status, waiting.status) == ("SUCCESSFUL", "READY")
    assert waiting.run_after == following
    assert waiting.args_kwargs["args"] == [
        task.pk,
        task.spooler_id,
        following.isoformat(),
        anchor.isoformat(),
    ]


def test_a_job_whose_task_was_stopped_exits_without_running(
    run_worker: Callable[[], None], caplog: pytest.LogCaptureFixture
) -> None:
    task = make_task("ends_ok")
    task.launch()
    task.stop()
    with caplog.at_level(logging.INFO, logger="taskmanager.tasks"):
        run_worker()
    assert not Report.objects.exists()
    assert "not run: the task waits for no ride (it was stopped" in caplog.text


def test_a_job_replaced_by_a_new_launch_exits_and_the_new_one_runs(
    run_worker: Callable[[], None], caplog: pytest.LogCaptureFixture
) -> None:
    task = make_task("ends_ok")
    task.launch()
    task.launch()
    with caplog.at_level(logging.INFO, logger="taskmanager.tasks"):
        run_worker()
    assert Report.objects.count() == 1
    assert "not run: another ride replaced this one" in caplog.text


def test_of_two_runs_of_one_job_one_runs(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    task = make_task("ends_ok")
    task.launch()
    [job] = jobs()
    args = job.args_kwargs["args"]
    Task.objects.filter(pk=task.pk).update(repetition_period=Task.REPETITION_PERIOD_DAY)
    with caplog.at_level(logging.INFO, logger="taskmanager.tasks"):
        first = run_ride.call(*args)
        second = run_ride.call(*args)
    assert first is not None
    assert second is None
    assert Report.objects.count() == 1
    assert "another ride replaced this one" in caplog.text


def test_a_ride_due_during_a_run_by_hand_runs_once_that_run_ends(caplog: pytest.LogCaptureFixture) -> None:
    task = make_task("ends_ok", repetition_period=Task.REPETITION_PERIOD_HOUR)
    task.launch()
    [job] = jobs()
    by_hand = start_run(task)  # manage.py runtask, begun while the ride waits in the queue
    with caplog.at_level(logging.INFO, logger="taskmanager.tasks"):
        assert run_ride.call(*job.args_kwargs["args"]) is None
    _, again = jobs()
    assert again.args_kwargs == job.args_kwargs
    assert again.run_after > timezone.now()
    assert "waits: the task is started" in caplog.text
    exec_started_run(task, by_hand)
    ran = run_ride.call(*again.args_kwargs["args"])
    assert ran is not None
    assert Report.objects.count() == 2
    task.refresh_from_db()
    assert task.status == Task.STATUS_SCHEDULED  # and its next ride is queued
    assert jobs()[-1].args_kwargs["args"][1] == task.spooler_id


def test_on_a_backend_that_cannot_defer_a_ride_held_by_a_run_is_not_tried_again(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    task = make_task("ends_ok")
    task.launch()
    [job] = jobs()
    start_run(task)
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE, "QUEUES": []}}
    with caplog.at_level(logging.INFO, logger="taskmanager.tasks"):
        assert run_ride.call(*job.args_kwargs["args"]) is None
    assert "not run: the task is started" in caplog.text
    assert Report.objects.count() == 1


def test_a_worker_taking_a_ride_closes_a_dead_run_first(outbox: list[Any]) -> None:
    dead = make_task("ends_ok", name="dead")
    Task.objects.filter(pk=dead.pk).update(status=Task.STATUS_STARTED)
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    Report.objects.create(task=dead, invocation_datetime=long_ago, heartbeat=long_ago)
    task = make_task("ends_ok")
    task.launch()
    [job] = jobs()
    run_ride.call(*job.args_kwargs["args"])
    assert sorted(Report.objects.values_list("task__name", "invocation_result")) == [
        ("dead", "failed"),
        ("ends_ok", "ok"),
    ]
    assert len(outbox) == 2


def test_the_watchdog_closes_dead_runs_and_rides_again(outbox: list[Any]) -> None:
    token = recovery.revive_watchdog(tasks_options())
    assert token is not None
    task = make_task("ends_ok")
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED)
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    report = Report.objects.create(task=task, invocation_datetime=long_ago, heartbeat=long_ago)
    assert watchdog.call(token) == 1
    report.refresh_from_db()
    assert report.invocation_result == "failed"
    assert len(outbox) == 1
    [again] = jobs(WATCHDOG)
    assert again.args_kwargs["args"] == [token]
    assert again.run_after > timezone.now() + datetime.timedelta(seconds=5)


def test_a_watchdog_whose_token_was_replaced_stops() -> None:
    old = recovery.revive_watchdog(tasks_options())
    Watchdog.objects.update(beat=timezone.now() - datetime.timedelta(minutes=5))
    new = recovery.revive_watchdog(tasks_options())
    assert old is not None
    assert new not in (None, old)
    assert watchdog.call(old) == 0
    assert jobs(WATCHDOG) == []


def test_launches_keep_exactly_one_watchdog_alive(run_worker: Callable[[], None]) -> None:
    for name in ("one", "two", "three"):
        make_task("ends_ok", name=name).launch()
    run_worker()
    run_worker()
    [ridden] = jobs(WATCHDOG, status="SUCCESSFUL")
    [waiting] = jobs(WATCHDOG, status="READY")
    assert ridden.args_kwargs == waiting.args_kwargs
    assert Watchdog.objects.get().token == waiting.args_kwargs["args"][0]


def test_the_watchdog_enqueues_the_next_ride_of_a_repeating_task_whose_run_died(outbox: list[Any]) -> None:
    token = recovery.revive_watchdog(tasks_options())
    assert token is not None
    task = make_task("ends_ok", repetition_period=Task.REPETITION_PERIOD_MINUTE)
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    Task.objects.filter(pk=task.pk).update(
        status=Task.STATUS_STARTED, spooler_id="tasks:dead", cached_next_ride=long_ago
    )
    Report.objects.create(task=task, invocation_datetime=long_ago, heartbeat=long_ago)
    watchdog.call(token)
    task.refresh_from_db()
    assert task.status == Task.STATUS_SCHEDULED
    [ride] = jobs(status="READY")
    assert ride.args_kwargs["args"][:2] == [task.pk, task.spooler_id]
    assert ride.run_after == task.cached_next_ride
    assert len(outbox) == 1
