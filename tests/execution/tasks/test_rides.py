"""taskmanager.execution.tasks.rides: tokens, one-UPDATE claims, the next ride, stop."""

import datetime

import pytest
from django.utils import timezone

from taskmanager.execution.tasks import rides
from taskmanager.models import Task
from tests.execution.factories import make_task

pytestmark = pytest.mark.django_db


def test_a_token_names_a_tasks_ride_and_nothing_else() -> None:
    token = rides.new_token()
    assert rides.is_token(token)
    assert len(token) == len("tasks:") + 32
    assert not rides.is_token("/var/spool/uwsgi/uwsgi_spoolfile_on_host_1")
    assert not rides.is_token("")


def test_waiting_for_a_ride_sets_the_token_the_status_and_the_time() -> None:
    task = make_task()
    at = timezone.now() + datetime.timedelta(minutes=5)
    ride = rides.wait_for(task, at)
    assert ride is not None
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == (Task.STATUS_SCHEDULED, ride.token, at)
    assert ride.job_args() == (task.pk, ride.token, at.isoformat(), at.isoformat())


def test_a_ride_replacing_a_token_the_task_no_longer_has_is_not_made() -> None:
    task = make_task()
    rides.wait_for(task, None)
    assert rides.wait_for(task, None, replacing=rides.new_token()) is None


def test_a_ride_is_claimed_once() -> None:
    task = make_task()
    ride = rides.wait_for(task, None)
    assert ride is not None
    assert rides.claim(task.pk, ride.token)
    assert not rides.claim(task.pk, ride.token)
    assert rides.why_not_claimed(task.pk, ride.token) == (
        "the task is started: another worker took this ride, or a run by hand (runtask) goes on"
    )


def test_a_ride_is_held_by_a_run_only_while_its_task_runs_with_its_token() -> None:
    task = make_task()
    ride = rides.wait_for(task, None)
    assert ride is not None
    assert not rides.held_by_a_run(task.pk, ride.token)
    assert rides.claim(task.pk, ride.token)
    assert rides.held_by_a_run(task.pk, ride.token)
    assert not rides.held_by_a_run(task.pk, rides.new_token())
    rides.stop(task)
    assert not rides.held_by_a_run(task.pk, ride.token)


def test_a_stale_token_is_not_claimed() -> None:
    task = make_task()
    old = rides.wait_for(task, None)
    assert old is not None
    rides.wait_for(task, None)
    assert not rides.claim(task.pk, old.token)
    assert rides.why_not_claimed(task.pk, old.token).startswith("another ride replaced this one")
    assert rides.why_not_claimed(task.pk + 1, old.token) == "the task is gone"


def test_after_a_ride_a_task_that_does_not_repeat_is_idle() -> None:
    task = make_task()
    ride = rides.wait_for(task, None)
    assert ride is not None
    assert rides.next_ride(task, replacing=ride.token, after=timezone.now(), anchor=ride.anchor) is None
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == (Task.STATUS_IDLE, "", None)


def test_after_a_ride_a_repeating_task_waits_for_the_next_one_of_its_grid() -> None:
    anchor = timezone.now() - datetime.timedelta(minutes=2, seconds=30)
    task = make_task(repetition_period=Task.REPETITION_PERIOD_MINUTE, repetition_rate=2)
    ride = rides.wait_for(task, None, anchor=anchor)
    assert ride is not None
    following = rides.next_ride(task, replacing=ride.token, after=timezone.now(), anchor=ride.anchor)
    assert following is not None
    assert following.at == anchor + datetime.timedelta(minutes=4)
    assert following.anchor == anchor
    assert following.token != ride.token


def test_a_ride_of_a_task_stopped_meanwhile_has_no_next_ride() -> None:
    task = make_task(repetition_period=Task.REPETITION_PERIOD_MINUTE)
    ride = rides.wait_for(task, None)
    assert ride is not None
    rides.stop(task)
    assert rides.next_ride(task, replacing=ride.token, after=timezone.now(), anchor=ride.anchor) is None


def test_stopping_a_running_task_keeps_it_started_without_its_token() -> None:
    task = make_task()
    ride = rides.wait_for(task, None)
    assert ride is not None
    rides.claim(task.pk, ride.token)
    rides.stop(task)
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == (Task.STATUS_STARTED, "")


def test_giving_up_a_ride_leaves_the_task_idle() -> None:
    task = make_task()
    ride = rides.wait_for(task, None)
    assert ride is not None
    rides.give_up(ride)
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == (Task.STATUS_IDLE, "")
