"""taskmanager.execution.uwsgi.rides outside uWSGI: launch, spool into a directory, stop, claim.

Outside uWSGI there is no spooler: a launch runs the task here, and spool files
are written into a directory as management commands do.
"""

import datetime
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from taskmanager.execution import backend
from taskmanager.execution.uwsgi import rides, spoolfiles
from taskmanager.models import Report, Task
from tests.execution.factories import make_task
from tests.execution.uwsgi.spooling import spool_files, spooled

pytestmark = pytest.mark.django_db


# --- launching -------------------------------------------------------------------------------


def test_launching_without_a_spooler_runs_the_task_here() -> None:
    task = make_task("ends_with_warnings")
    report = task.launch()
    assert report is not None
    assert report.invocation_result == "warnings"
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_last_invocation_result) == ("idle", "", "warnings")


def test_a_task_scheduled_ahead_cannot_be_launched_without_a_spooler() -> None:
    task = make_task(scheduling=timezone.now() + datetime.timedelta(hours=1))
    with pytest.raises(backend.LaunchError, match=r"is scheduled for .*uWSGI's spooler"):
        task.launch()
    assert not Report.objects.filter(task=task).exists()


def test_a_running_task_is_not_launched_again() -> None:
    task = make_task(status=Task.STATUS_STARTED)
    with pytest.raises(backend.LaunchError, match='Task "ends_ok" is running'):
        task.launch()
    assert not Report.objects.filter(task=task).exists()


def test_launching_into_a_spool_directory_replaces_the_ride_the_task_waited_for(spool_dir: Path) -> None:
    ride = (timezone.now() + datetime.timedelta(hours=1)).replace(microsecond=0)
    task = make_task(scheduling=ride)
    first = rides.launch(task, directory=str(spool_dir))
    assert first is None  # spooled, not run
    [old] = spool_files(spool_dir)
    rides.launch(task, directory=str(spool_dir))
    [new] = spool_files(spool_dir)
    assert new != old
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == ("scheduled", str(new), ride)
    assert not Report.objects.filter(task=task).exists()


# --- spooling into a directory (what management commands do) ---------------------------------


def test_spooling_ahead_schedules_the_task_with_its_ride(spool_dir: Path) -> None:
    ride = (timezone.now() + datetime.timedelta(minutes=5)).replace(microsecond=250_000)
    task = make_task()
    path = spooled(task, ride, directory=str(spool_dir))
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == ("scheduled", path, ride)
    args = spoolfiles.read_spool_file(path)
    assert args["ud_spool_func"] == spoolfiles.SPOOL_FUNCTION
    assert (args["job"], args["task"]) == ("task", str(task.pk))
    assert parse_datetime(args["ride"]) == ride
    assert int(args["at"]) == int(ride.timestamp()) + 1  # rounded up: never before the ride


def test_spooling_for_now_has_no_at(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    task.refresh_from_db()
    assert task.status == "spooled"
    assert "at" not in spoolfiles.read_spool_file(path)


def test_spooling_in_place_of_a_file_the_task_no_longer_waits_for_does_nothing(spool_dir: Path) -> None:
    task = make_task(status=Task.STATUS_SCHEDULED, spooler_id="/elsewhere/uwsgi_spoolfile_on_x")
    assert rides.spool(task, directory=str(spool_dir), replacing="/gone/uwsgi_spoolfile_on_y") is None
    assert spool_files(spool_dir) == []


def test_a_spool_that_fails_leaves_the_task_idle(tmp_path: Path) -> None:
    task = make_task()
    with pytest.raises(FileNotFoundError):
        rides.spool(task, directory=str(tmp_path / "missing"))
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == ("idle", "", None)


# --- stopping --------------------------------------------------------------------------------


def test_stopping_deletes_the_waiting_file_and_makes_the_task_idle(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, timezone.now() + datetime.timedelta(hours=1), directory=str(spool_dir))
    task.stop()
    assert not os.path.exists(path)
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == ("idle", "", None)


def test_stopping_a_running_task_keeps_its_file_for_the_spooler_to_delete(
    spool_dir: Path, locked: Callable[[str | Path], None]
) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED)
    locked(Path(path))
    task.stop()
    assert os.path.exists(path)  # deleting it under a running spooler would crash it
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == ("started", "")


# --- after a ride ----------------------------------------------------------------------------


def test_a_ride_ran_when_a_run_started_at_or_after_it() -> None:
    ride = timezone.now()
    task = make_task()
    assert not rides.ride_ran(task, ride)
    task.cached_last_invocation_datetime = ride - datetime.timedelta(seconds=1)
    assert not rides.ride_ran(task, ride)
    task.cached_last_invocation_datetime = ride
    assert rides.ride_ran(task, ride)
    assert not rides.ride_ran(task, None)


def test_after_a_ride_a_task_that_does_not_repeat_is_idle(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    assert rides.spool_next_ride(task, replacing=path, after=timezone.now(), anchor=None) is None
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == ("idle", "", None)


def test_the_next_ride_of_a_repeating_task_goes_next_to_the_file_it_replaces(spool_dir: Path) -> None:
    anchor = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=30)
    task = make_task(scheduling=anchor, repetition_period="hour", repetition_rate=1)
    path = spooled(task, directory=str(spool_dir), anchor=anchor)
    new = rides.spool_next_ride(task, replacing=path, after=timezone.now(), anchor=anchor)
    assert new is not None
    assert os.path.dirname(new) == str(spool_dir)
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == ("scheduled", new)
    assert task.cached_next_ride == anchor + datetime.timedelta(hours=1)


def test_no_next_ride_for_a_task_stopped_or_launched_again_meanwhile(spool_dir: Path) -> None:
    task = make_task(repetition_period="hour", repetition_rate=1)
    old = spooled(task, directory=str(spool_dir))
    current = spooled(task, directory=str(spool_dir))
    assert rides.spool_next_ride(task, replacing=old, after=timezone.now(), anchor=None) is None
    task.refresh_from_db()
    assert task.spooler_id == current


# --- claiming ----------------------------------------------------------------------------------


def test_a_job_claims_the_task_only_while_its_file_is_the_tasks(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    other = spooled(make_task(), directory=str(spool_dir))
    ride = task.cached_next_ride
    assert ride is not None
    assert not rides.claim(task.pk, os.path.basename(other), ride)
    assert rides.claim(task.pk, os.path.basename(path), ride)


def test_claiming_starts_the_task_so_a_file_is_claimed_once(spool_dir: Path) -> None:
    task = make_task()
    name = os.path.basename(spooled(task, directory=str(spool_dir)))
    ride = task.cached_next_ride
    assert ride is not None
    assert rides.claim(task.pk, name, ride)
    task.refresh_from_db()
    assert task.status == Task.STATUS_STARTED
    # Its spooler dies in the run; uWSGI hands the file to another spooler process.
    assert not rides.claim(task.pk, name, ride)


def test_a_job_whose_path_is_not_recorded_yet_records_it(
    spool_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    Task.objects.filter(pk=task.pk).update(spooler_id="")  # the launch has not recorded it yet
    monkeypatch.chdir(spool_dir)  # uWSGI runs jobs from the spool directory
    assert task.cached_next_ride is not None
    assert rides.claim(task.pk, os.path.basename(path), task.cached_next_ride)
    task.refresh_from_db()
    assert (task.spooler_id, task.status) == (path, Task.STATUS_STARTED)


def test_a_file_of_another_ride_does_not_take_a_path_being_recorded(spool_dir: Path) -> None:
    task = make_task()
    old = spooled(task, directory=str(spool_dir))
    old_ride = task.cached_next_ride
    assert old_ride is not None
    # A recovery spools the next ride: the old file's job comes while the new path is written.
    next_ride = old_ride + datetime.timedelta(hours=1)
    Task.objects.filter(pk=task.pk).update(
        spooler_id="", status=Task.STATUS_SCHEDULED, cached_next_ride=next_ride
    )
    assert not rides.claim(task.pk, os.path.basename(old), old_ride)


def test_a_stopped_task_is_not_claimed(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_IDLE, spooler_id="")
    assert task.cached_next_ride is not None
    assert not rides.claim(task.pk, os.path.basename(path), task.cached_next_ride)
