"""taskmanager.execution.backend: the interface every execution backend implements."""

import datetime

import pytest
from django.utils import timezone

from taskmanager.execution.backend import Backend, LaunchError, NextRide, next_ride_after, refuse_if_running
from taskmanager.models import Report, Task
from tests.execution.factories import make_task


class HalfDone(Backend):
    """A backend being written: it can launch, nothing else yet."""

    def launch(self, task: Task) -> Report | None:
        return None


def test_every_method_of_the_bare_interface_says_it_must_be_defined() -> None:
    backend, task = Backend(), Task(name="nightly")
    with pytest.raises(NotImplementedError, match=r"^Backend must define launch\(task\)$"):
        backend.launch(task)
    with pytest.raises(NotImplementedError, match=r"^Backend must define stop\(task\)$"):
        backend.stop(task)
    with pytest.raises(NotImplementedError, match=r"^Backend must define recover\(dry_run=, foreground=\)$"):
        backend.recover()
    with pytest.raises(
        NotImplementedError, match=r"^Backend must define resend_later\(report=, handler=, since=\)$"
    ):
        backend.resend_later(report=None, handler=None, since=None)


def test_a_backend_has_no_checks_of_its_own_unless_it_says_so() -> None:
    assert Backend.check() == []


@pytest.mark.django_db
def test_a_running_task_is_refused_with_a_message_for_the_admin() -> None:
    task = make_task(status=Task.STATUS_STARTED)
    with pytest.raises(LaunchError, match=r'^Task "ends_ok" is running\. Wait for its report'):
        refuse_if_running(task)


def test_a_missing_method_names_the_backend_it_is_missing_from() -> None:
    backend = HalfDone()
    assert backend.launch(Task(name="nightly")) is None
    with pytest.raises(NotImplementedError, match=r"^HalfDone must define stop\(task\)$"):
        backend.stop(Task(name="nightly"))
    with pytest.raises(NotImplementedError, match="HalfDone must define recover"):
        backend.recover(dry_run=True)


def test_a_launch_error_is_an_ordinary_error_carrying_its_message() -> None:
    # The admin shows the message; nothing else catches it.
    error = LaunchError('Task "nightly" is running.')
    assert isinstance(error, Exception)
    assert str(error) == 'Task "nightly" is running.'


@pytest.mark.django_db
def test_after_a_ride_a_repeating_task_gets_its_next_ride_on_its_grid() -> None:
    start = datetime.datetime(2026, 11, 29, 2, 0, tzinfo=datetime.timezone.utc)
    task = make_task(repetition_period=Task.REPETITION_PERIOD_MINUTE, repetition_rate=10)
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED, spooler_id="ride-1")

    following = next_ride_after(
        task, replacing="ride-1", after=start + datetime.timedelta(minutes=25), anchor=start
    )

    assert following == NextRide(at=start + datetime.timedelta(minutes=30), anchor=start)


@pytest.mark.django_db
def test_after_a_ride_a_task_that_does_not_repeat_is_made_idle() -> None:
    task = make_task()
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED, spooler_id="ride-1")

    assert next_ride_after(task, replacing="ride-1", after=timezone.now(), anchor=None) is None
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == (Task.STATUS_IDLE, "")


@pytest.mark.django_db
def test_after_a_ride_a_task_launched_again_meanwhile_is_left_to_that_launch() -> None:
    task = make_task(repetition_period=Task.REPETITION_PERIOD_MINUTE, repetition_rate=10)
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_SCHEDULED, spooler_id="ride-2")

    assert next_ride_after(task, replacing="ride-1", after=timezone.now(), anchor=None) is None
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == (Task.STATUS_SCHEDULED, "ride-2")
