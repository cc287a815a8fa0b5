"""The Tasks backend on RQ (django-tasks-rq) with real ``rqworker`` processes: each ride runs exactly once.

The database is the test's PostgreSQL copy (``tests/postgres.py``), the queue is on the Redis of
``scripts/redis.sh`` (``tests/rq_workers.py``), and the workers are django-rq's ``rqworker``
with django-tasks-rq's job class and RQ's scheduler (deferred jobs), on ``tests.settings_rq``.
Launches and stops come from ``manage.py shell`` on the same settings, as a deploy script's
would. The module takes about forty seconds on two busy cores.
"""

from __future__ import annotations

import datetime
import signal
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count
from django.utils import timezone

from taskmanager.models import AppCommand, Report, Task
from tests.postgres import ALIAS, PostgresDatabase, wait_for
from tests.rq_workers import RQWorkers, shell

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

RUN_RIDE = "taskmanager.execution.tasks.jobs.run_ride("
DONE = "Successfully completed taskmanager.execution.tasks.jobs.run_ride("


def make_task(command: str, name: str = "", **fields: Any) -> Task:
    app_command = AppCommand.objects.using(ALIAS).get(name=command)
    return Task.objects.using(ALIAS).create(name=name or f"{command} task", command=app_command, **fields)


def reports(task: Task) -> list[Report]:
    return list(Report.objects.using(ALIAS).filter(task_id=task.pk).order_by("invocation_datetime"))


def refreshed(task: Task) -> Task:
    return Task.objects.using(ALIAS).get(pk=task.pk)


def rides_done(workers: RQWorkers) -> int:
    """The ride jobs the workers finished (RQ's log), run or found stale alike."""
    return workers.output().count(DONE)


def wait_for_rides_done(workers: RQWorkers, n: int, timeout: float) -> None:
    wait_for(
        lambda: rides_done(workers) >= n, timeout=timeout, what=f"{n} ride jobs done", log=workers.output
    )


def launch(database: PostgresDatabase, *ids: int) -> None:
    """Launch tasks from ``manage.py shell`` on the RQ settings, as a deploy script may."""
    shell(
        database,
        f"from taskmanager.models import Task\nfor t in Task.objects.filter(pk__in={list(ids)}): t.launch()",
    )


def ended_reports(task: Task) -> list[Report]:
    return [report for report in reports(task) if report.end_datetime is not None]


def test_thirty_tasks_launched_at_once_run_exactly_once_each_across_three_rq_workers(
    rq_db: PostgresDatabase, rq_workers: RQWorkers
) -> None:
    command = AppCommand.objects.using(ALIAS).get(name="does_nothing")
    tasks = Task.objects.using(ALIAS).bulk_create(Task(name=f"no-op {i}", command=command) for i in range(30))
    ids = [task.pk for task in tasks]
    rq_workers.start(3)

    launch(rq_db, *ids)

    done = Report.objects.using(ALIAS).filter(task_id__in=ids).exclude(end_datetime=None)
    wait_for(lambda: done.count() >= 30, timeout=60, what="30 reports", log=rq_workers.output)
    # Every job of the launches has been taken and finished: nothing is left to run twice.
    wait_for_rides_done(rq_workers, 30, timeout=15)
    per_task = Report.objects.using(ALIAS).filter(task_id__in=ids).values("task_id").annotate(n=Count("id"))
    assert sorted(row["task_id"] for row in per_task) == sorted(ids)
    assert {row["n"] for row in per_task} == {1}
    assert sum(rq_workers.ran(RUN_RIDE).values()) == 30
    assert set(Task.objects.using(ALIAS).filter(pk__in=ids).values_list("status", flat=True)) == {"idle"}
    # The work was shared: more than one worker ran rides.
    assert len([n for n in rq_workers.ran(RUN_RIDE).values() if n]) >= 2, rq_workers.ran(RUN_RIDE)
    assert "Traceback" not in rq_workers.output()


def test_a_task_scheduled_a_few_seconds_ahead_runs_once_at_its_time(
    rq_db: PostgresDatabase, rq_workers: RQWorkers
) -> None:
    rq_workers.start(2)
    # A whole second: RQ's scheduler keeps a job's time to the second (docs/backends.rst).
    at = timezone.now().replace(microsecond=0) + datetime.timedelta(seconds=5)
    task = make_task("ends_ok", scheduling=at)

    launch(rq_db, task.pk)

    assert refreshed(task).status == "scheduled"
    [report] = wait_for(lambda: ended_reports(task), timeout=30, what="the run", log=rq_workers.output)
    assert report.invocation_datetime >= at
    assert report.invocation_result == "ok"
    wait_for_rides_done(rq_workers, 1, timeout=10)
    assert sum(rq_workers.ran(RUN_RIDE).values()) == 1
    assert len(reports(task)) == 1
    assert refreshed(task).status == "idle"


def test_a_stopped_and_relaunched_task_rides_once_and_the_old_job_finds_its_token_stale(
    rq_db: PostgresDatabase, rq_workers: RQWorkers
) -> None:
    rq_workers.start(2)
    at = timezone.now().replace(microsecond=0) + datetime.timedelta(seconds=5)
    task = make_task("ends_ok", scheduling=at)

    tokens = shell(
        rq_db,
        "from taskmanager.models import Task\n"
        f"task = Task.objects.get(pk={task.pk})\n"
        "task.launch(); task.refresh_from_db(); print(task.spooler_id)\n"
        "task.stop(); task.refresh_from_db(); print(repr(task.spooler_id))\n"
        "task.launch(); task.refresh_from_db(); print(task.spooler_id)\n",
    )

    first, stopped, second = tokens.split()[-3:]
    assert stopped == "''"
    assert first.startswith("tasks:")
    assert second.startswith("tasks:")
    assert first != second
    # Both jobs ride at the same time: the stale one exits, the other runs.
    wait_for_rides_done(rq_workers, 2, timeout=30)
    [report] = reports(task)
    assert report.invocation_datetime >= at
    assert refreshed(task).status == "idle"
    assert f"Ride {first} of task {task.pk} not run" in rq_workers.output()
    assert sum(rq_workers.ran(RUN_RIDE).values()) == 2


def test_an_rq_worker_stopped_mid_run_ends_the_run_first_then_exits(
    rq_db: PostgresDatabase, rq_workers: RQWorkers, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    [worker] = rq_workers.start(1)
    task = make_task("sleeps", arguments=f"2, --every 0.2, --pid-file {pid_file}")
    launch(rq_db, task.pk)
    wait_for(pid_file.exists, timeout=20, what="the run", log=rq_workers.output)

    # What a deploy does (to the worker's process alone: systemd's KillMode=mixed, docker stop).
    worker.popen.send_signal(signal.SIGTERM)
    worker.popen.wait(timeout=30)

    assert worker.popen.returncode == 0
    # The run was in RQ's work horse, a child of the worker: it went on to its end.
    assert int(pid_file.read_text()) != worker.popen.pid
    assert "warm shut down requested" in worker.output()
    [report] = reports(task)
    assert report.end_datetime is not None
    assert "awake" in report.log
    # The worker's own warning is in its log, not in the run's report.
    assert (report.invocation_result, report.n_log_warnings) == ("ok", 0)
    assert refreshed(task).status == "idle"
