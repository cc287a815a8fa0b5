"""taskmanager.execution.inline: a launch runs the task now, here; nothing is queued."""

import datetime
from typing import Any

import pytest
from django.utils import timezone

from taskmanager.execution.backend import LaunchError
from taskmanager.execution.inline import InlineBackend
from taskmanager.models import Report, Task
from tests.execution.factories import make_task

pytestmark = pytest.mark.django_db


def test_a_launch_runs_the_task_here_and_returns_its_report() -> None:
    task = make_task("ends_with_warnings")
    report = InlineBackend().launch(task)
    assert report is not None
    assert report.invocation_result == "warnings"
    assert report.heartbeat is not None
    task.refresh_from_db()
    assert task.status == Task.STATUS_IDLE


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"scheduling": timezone.now() + datetime.timedelta(days=1)}, "is scheduled for"),
        (
            {"repetition_period": Task.REPETITION_PERIOD_DAY},
            "is repeating: the inline backend runs a task once",
        ),
    ],
)
def test_a_scheduled_or_repeating_task_is_not_launched(fields: dict[str, Any], says: str) -> None:
    task = make_task("ends_ok", **fields)
    with pytest.raises(LaunchError, match=says):
        InlineBackend().launch(task)
    assert not Report.objects.exists()


def test_a_running_task_is_not_launched() -> None:
    task = make_task("ends_ok")
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED)
    with pytest.raises(LaunchError, match="is running"):
        InlineBackend().launch(task)


def test_stop_makes_a_waiting_task_idle() -> None:
    task = make_task("ends_ok")
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_SPOOLED, spooler_id="tasks:0")
    InlineBackend().stop(task)
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == (Task.STATUS_IDLE, "")


def test_recover_closes_a_run_whose_heartbeat_stopped() -> None:
    task = make_task("ends_ok")
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED)
    report = Report.objects.create(task=task, invocation_datetime=long_ago, heartbeat=long_ago)
    [line] = InlineBackend().recover()
    assert line.endswith("marked failed (no heartbeat); task idle")
    report.refresh_from_db()
    assert report.invocation_result == "failed"


def test_a_resend_cannot_be_left_for_later() -> None:
    with pytest.raises(LaunchError, match="the inline backend runs nothing later"):
        InlineBackend().resend_later(report=None, handler=None, since=None)
