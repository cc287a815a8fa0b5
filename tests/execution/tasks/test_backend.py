"""taskmanager.execution.tasks.backend: a launch enqueues a ride and never runs it here."""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from taskmanager.execution.backend import LaunchError
from taskmanager.execution.current import get_backend
from taskmanager.execution.tasks.backend import TasksBackend
from taskmanager.models import Report, Task
from tests.execution.factories import make_task
from tests.execution.tasks.conftest import IMMEDIATE as IMMEDIATE_BACKEND
from tests.execution.tasks.conftest import WATCHDOG, jobs

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tasks_backend")]

IMMEDIATE = {"default": {"BACKEND": IMMEDIATE_BACKEND, "QUEUES": []}}


def test_a_launch_enqueues_one_ride_and_runs_nothing_here() -> None:
    task = make_task("ends_ok")
    assert get_backend().launch(task) is None
    task.refresh_from_db()
    [job] = jobs()
    assert job.status == "READY"
    assert job.queue_name == "taskmanager"
    assert job.args_kwargs["args"][:2] == [task.pk, task.spooler_id]
    assert task.spooler_id.startswith("tasks:")
    assert task.status == Task.STATUS_SPOOLED
    assert not Report.objects.exists()


def test_a_task_scheduled_ahead_is_enqueued_to_run_after_its_time() -> None:
    at = timezone.now() + datetime.timedelta(hours=2)
    task = make_task("ends_ok", scheduling=at)
    task.launch()
    task.refresh_from_db()
    [job] = jobs()
    assert job.run_after == at
    assert (task.status, task.cached_next_ride) == (Task.STATUS_SCHEDULED, at)


def test_a_launch_revives_the_watchdog() -> None:
    make_task("ends_ok").launch()
    [watchdog] = jobs(WATCHDOG)
    assert watchdog.status == "READY"


def test_launching_again_replaces_the_ride_with_a_new_token() -> None:
    task = make_task("ends_ok")
    task.launch()
    first = Task.objects.get(pk=task.pk).spooler_id
    task.launch()
    second = Task.objects.get(pk=task.pk).spooler_id
    assert first != second
    assert [job.args_kwargs["args"][1] for job in jobs()] == [first, second]


def test_a_running_task_is_not_launched() -> None:
    task = make_task("ends_ok")
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED)
    with pytest.raises(LaunchError, match="is running"):
        task.launch()
    assert jobs() == []


def test_a_scheduled_task_cannot_launch_on_a_backend_that_cannot_defer(settings: Any) -> None:
    settings.TASKS = IMMEDIATE
    task = make_task("ends_ok", scheduling=timezone.now() + datetime.timedelta(hours=1))
    with pytest.raises(LaunchError, match="cannot run a job later"):
        task.launch()
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == (Task.STATUS_IDLE, "")


def test_a_repeating_task_cannot_launch_on_a_backend_that_cannot_defer(settings: Any) -> None:
    settings.TASKS = IMMEDIATE
    task = make_task("ends_ok", repetition_period=Task.REPETITION_PERIOD_HOUR)
    with pytest.raises(LaunchError, match='is repeating, and the Tasks backend "default"'):
        task.launch()


def test_a_queue_the_backend_refuses_is_a_launch_error(settings: Any) -> None:
    settings.UWSGI_TASKMANAGER_TASKS = {"queue": "elsewhere"}
    task = make_task("ends_ok")
    with pytest.raises(LaunchError, match="could not be enqueued"):
        task.launch()
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == (Task.STATUS_IDLE, "")


@pytest.mark.parametrize("fields", [{}, {"repetition_period": Task.REPETITION_PERIOD_HOUR}])
def test_an_alias_not_in_tasks_is_a_launch_error_naming_it(settings: Any, fields: dict[str, Any]) -> None:
    settings.UWSGI_TASKMANAGER_TASKS = {"backend": "elsewhere"}
    task = make_task("ends_ok", **fields)
    with pytest.raises(LaunchError, match=r"'elsewhere' of UWSGI_TASKMANAGER_TASKS is not in"):
        task.launch()
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == (Task.STATUS_IDLE, "")


def test_stop_leaves_the_queued_job_stale(run_worker: Callable[[], None]) -> None:
    task = make_task("ends_ok")
    task.launch()
    task.stop()
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == (Task.STATUS_IDLE, "", None)
    run_worker()
    assert not Report.objects.exists()


def test_recover_enqueues_again_a_ride_whose_job_is_lost() -> None:
    task = make_task("ends_ok")
    task.launch()
    jobs()[0].delete()
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    Task.objects.filter(pk=task.pk).update(cached_next_ride=long_ago)
    [line] = TasksBackend().recover()
    assert "enqueued again, now (its job looked lost)" in line
    task.refresh_from_db()
    [job] = jobs()
    assert job.args_kwargs["args"][1] == task.spooler_id


def test_recover_in_a_dry_run_changes_nothing() -> None:
    task = make_task("ends_ok")
    task.launch()
    Task.objects.filter(pk=task.pk).update(cached_next_ride=timezone.now() - datetime.timedelta(minutes=5))
    token = Task.objects.get(pk=task.pk).spooler_id
    [line] = TasksBackend().recover(dry_run=True)
    assert "would be enqueued again" in line
    assert Task.objects.get(pk=task.pk).spooler_id == token


def test_a_resend_is_left_to_a_worker() -> None:
    line = TasksBackend().resend_later(report=None, handler="slack", since=None)
    assert line.startswith('Resend enqueued on the queue "taskmanager"')
    [job] = jobs("taskmanager.execution.tasks.jobs.resend_failed")
    assert job.args_kwargs["args"] == [None, "slack", None]


def test_on_djangos_immediate_backend_a_launch_runs_the_job_as_it_is_enqueued(settings: Any) -> None:
    settings.TASKS = IMMEDIATE
    task = make_task("ends_ok")
    assert task.launch() is None
    [report] = Report.objects.all()
    assert report.invocation_result == "ok"
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == (Task.STATUS_IDLE, "")
