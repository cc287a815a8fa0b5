"""The uWSGI backend's recovery: lost spool files are spooled again, runs a dead spooler left open closed.

Outside uWSGI, as ``restart_despooled_tasks`` runs: spool files are written into
the task's spool directory. tests/execution/uwsgi/test_uwsgi_recovery.py does it with a real uWSGI.
"""

import datetime
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from taskmanager.execution.uwsgi import rides, spoolfiles
from taskmanager.execution.uwsgi.recovery import recover_tasks
from taskmanager.logfiles import logfile_path
from taskmanager.models import Report, Task
from taskmanager.notifications.channels import locmem
from tests.execution.factories import make_task as make_sample_task
from tests.execution.uwsgi.spooling import spool_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings: Any) -> Iterator[list[Any]]:
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mem": {
            "transport": "taskmanager.notifications.channels.locmem.LocmemTransport",
            "templates": "log",
        }
    }
    locmem.outbox.clear()
    yield locmem.outbox
    locmem.outbox.clear()


def make_task(**fields: Any) -> Task:
    return make_sample_task(name="nightly", **fields)


def spooled(task: Task, spool_dir: Path, at: datetime.datetime | None = None, **options: Any) -> str:
    path = rides.spool(task, at, directory=str(spool_dir), **options)
    assert path is not None
    task.refresh_from_db()
    return path


def lost(task: Task, spool_dir: Path, at: datetime.datetime | None = None, **options: Any) -> str:
    """Spool ``task``, then lose its file as a container without a volume does."""
    path = spooled(task, spool_dir, at, **options)
    os.unlink(path)
    return path


def cut_short(task: Task) -> Report:
    """What a spooler killed mid-run leaves: the task started, its report open, a partial log."""
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED)
    task.refresh_from_db()
    report = Report.objects.create(task=task, invocation_datetime=task.cached_next_ride or timezone.now())
    path = logfile_path(task, report, report.invocation_datetime)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Path(path).write_text("importing rows\nWARNING row 3 is empty\n")
    return report


# --- lost spool files ---------------------------------------------------------------------------


def test_a_spooled_task_whose_file_is_lost_is_spooled_again_at_once(spool_dir: Path) -> None:
    task = make_task()
    old = lost(task, spool_dir)
    [action] = recover_tasks()
    assert action.what == "spooled again, now"
    [new] = spool_files(spool_dir)
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == ("spooled", str(new))
    assert str(new) != old
    assert "at" not in spoolfiles.read_spool_file(str(new))


def test_a_task_scheduled_ahead_is_spooled_again_for_the_same_ride(spool_dir: Path) -> None:
    ride = (timezone.now() + datetime.timedelta(hours=2)).replace(microsecond=0)
    task = make_task(scheduling=ride)
    lost(task, spool_dir, ride)
    [action] = recover_tasks()
    assert action.what.startswith("spooled again, at ")
    [new] = spool_files(spool_dir)
    task.refresh_from_db()
    assert (task.status, task.cached_next_ride) == ("scheduled", ride)
    assert int(spoolfiles.read_spool_file(str(new))["at"]) == int(ride.timestamp())


def test_a_missed_ride_is_spooled_for_now(spool_dir: Path) -> None:
    task = make_task()
    lost(task, spool_dir, timezone.now() + datetime.timedelta(minutes=5))
    Task.objects.filter(pk=task.pk).update(cached_next_ride=timezone.now() - datetime.timedelta(hours=1))
    [action] = recover_tasks()
    assert action.what == "spooled again, now"
    task.refresh_from_db()
    assert task.status == "spooled"


def test_a_ride_that_ran_before_its_file_was_lost_is_not_run_again(spool_dir: Path) -> None:
    task = make_task()
    lost(task, spool_dir)
    Task.objects.filter(pk=task.pk).update(cached_last_invocation_datetime=timezone.now())
    [action] = recover_tasks()
    assert (action.what, action.detail) == ("idle", "its last ride ran; its spool file was lost")
    assert spool_files(spool_dir) == []
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == ("idle", "")


def test_a_repeating_task_left_idle_between_two_rides_gets_its_next_ride(spool_dir: Path) -> None:
    anchor = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=30)
    task = make_task(scheduling=anchor, repetition_period="hour")
    lost(task, spool_dir, anchor=anchor)
    # The run ended (the runner made the task idle), then the spooler died.
    Task.objects.filter(pk=task.pk).update(
        status=Task.STATUS_IDLE, cached_last_invocation_datetime=timezone.now()
    )
    [action] = recover_tasks()
    assert action.what == "next ride spooled"
    task.refresh_from_db()
    assert (task.status, task.cached_next_ride) == ("scheduled", anchor + datetime.timedelta(hours=1))
    assert len(spool_files(spool_dir)) == 1


def test_a_task_whose_file_is_there_is_left_alone(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, spool_dir, timezone.now() + datetime.timedelta(hours=1))
    assert recover_tasks() == []
    assert spool_files(spool_dir) == [Path(path)]


def test_a_task_in_a_spool_directory_that_does_not_exist_here_is_left_alone(spool_dir: Path) -> None:
    task = make_task(
        status=Task.STATUS_SCHEDULED, spooler_id="/mnt/elsewhere/uwsgi_spoolfile_on_web1_1_1_1_1_1"
    )
    [action] = recover_tasks()
    assert action.what == "left as it is"
    assert "/mnt/elsewhere does not exist here" in action.detail
    task.refresh_from_db()
    assert task.spooler_id == "/mnt/elsewhere/uwsgi_spoolfile_on_web1_1_1_1_1_1"


def test_a_dry_run_changes_nothing(spool_dir: Path) -> None:
    task = make_task()
    old = lost(task, spool_dir)
    [action] = recover_tasks(dry_run=True)
    assert action.what == "would be spooled again, now"
    assert spool_files(spool_dir) == []
    task.refresh_from_db()
    assert task.spooler_id == old


def test_recovering_twice_spools_once(spool_dir: Path) -> None:
    task = make_task()
    lost(task, spool_dir)
    recover_tasks()
    assert recover_tasks() == []
    assert len(spool_files(spool_dir)) == 1


def test_a_spooler_dir_limits_recovery_to_its_tasks_and_adopts_those_without_a_file(
    spool_dir: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other-spool"
    other.mkdir()
    mine, theirs = make_task(), make_task()
    lost(mine, spool_dir)
    lost(theirs, other)
    orphan = make_task(status=Task.STATUS_SPOOLED)  # its launch died before writing a file
    actions = recover_tasks(directory=str(spool_dir))
    assert sorted(action.task.pk for action in actions) == sorted([mine.pk, orphan.pk])
    assert len(spool_files(spool_dir)) == 2
    assert spool_files(other) == []


# --- runs cut short -----------------------------------------------------------------------------


def test_a_run_cut_short_is_closed_as_failed_with_a_note_and_notified(
    spool_dir: Path, outbox: list[Any]
) -> None:
    task = make_task()
    path = spooled(task, spool_dir)
    report = cut_short(task)
    [action] = recover_tasks()
    assert action.what == "interrupted run marked failed; task idle"
    assert action.detail == "its spool file was left behind"
    report.refresh_from_db()
    assert (report.invocation_result, report.end_datetime is not None) == ("failed", True)
    assert report.log.splitlines() == [
        "importing rows",
        "WARNING row 3 is empty",
        "",
        "[taskmanager] This run was interrupted: the uWSGI spooler running it stopped (killed or restarted) "
        "before the command ended. Marked failed by restart_despooled_tasks.",
    ]
    assert report.n_log_lines == 4
    assert Path(report.logfile).read_text().endswith("Marked failed by restart_despooled_tasks.\n")
    assert [message.level for message in outbox] == ["failed"]
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_last_invocation_result) == ("idle", "", "failed")
    # Deleted, so that the spooler does not run the command over again.
    assert not os.path.exists(path)


def test_a_repeating_task_cut_short_waits_for_its_next_ride(spool_dir: Path) -> None:
    anchor = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=90)
    task = make_task(scheduling=anchor, repetition_period="hour", repetition_rate=1)
    lost(task, spool_dir, anchor=anchor)
    cut_short(task)
    [action] = recover_tasks()
    assert action.what == "interrupted run marked failed; next ride spooled"
    assert action.detail == "its spool file was lost"
    task.refresh_from_db()
    assert (task.status, task.cached_next_ride) == ("scheduled", anchor + datetime.timedelta(hours=2))
    [new] = spool_files(spool_dir)
    assert task.spooler_id == str(new)


def test_a_run_going_on_in_a_spooler_is_left_alone(
    spool_dir: Path, locked: Callable[[str | Path], None]
) -> None:
    task = make_task()
    path = spooled(task, spool_dir)
    report = cut_short(task)
    locked(path)
    assert recover_tasks() == []
    report.refresh_from_db()
    assert report.end_datetime is None


def test_a_run_started_by_hand_before_the_ride_is_left_alone(spool_dir: Path) -> None:
    task = make_task()
    spooled(task, spool_dir, timezone.now() + datetime.timedelta(hours=1))
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED)
    report = Report.objects.create(task=task)  # runtask, now: an hour before the ride
    [action] = recover_tasks()
    assert (action.what, action.detail) == ("left as it is", "a run started by hand is going on")
    report.refresh_from_db()
    assert report.end_datetime is None


def test_a_run_in_the_foreground_is_closed_only_when_asked(spool_dir: Path) -> None:
    task = make_task(status=Task.STATUS_STARTED)
    report = Report.objects.create(task=task)
    [action] = recover_tasks()
    assert action.what == "left as it is"
    assert "--foreground" in action.detail
    [action] = recover_tasks(foreground=True)
    assert action.what == "run marked failed; task idle"
    report.refresh_from_db()
    assert report.invocation_result == "failed"
    assert "in the foreground stopped" in report.log
    task.refresh_from_db()
    assert task.status == "idle"


def test_without_kept_log_files_the_note_is_in_the_stored_tail(settings: Any, spool_dir: Path) -> None:
    settings.UWSGI_TASKMANAGER_SAVE_LOGFILE = False
    task = make_task()
    spooled(task, spool_dir)
    report = cut_short(task)
    path = logfile_path(task, report, report.invocation_datetime)
    recover_tasks()
    report.refresh_from_db()
    assert report.logfile == ""
    assert not os.path.exists(path)
    assert report.log.endswith("Marked failed by restart_despooled_tasks.")


@pytest.mark.django_db(transaction=True)
def test_a_task_left_started_by_2x_never_has_its_finished_report_rewritten(spool_dir: Path) -> None:
    two_x = [("taskmanager", "0002_auto_20201001_1751")]
    executor = MigrationExecutor(connection)
    executor.migrate(two_x)
    old = executor.loader.project_state(two_x).apps
    command = old.get_model("taskmanager", "AppCommand").objects.create(app_name="shop", name="import_orders")
    task = old.get_model("taskmanager", "Task").objects.create(
        name="nightly", command=command, status="started", spooler_id=str(spool_dir / "uwsgi_spoolfile_on_2x")
    )
    old.get_model("taskmanager", "Report").objects.create(
        task=task, invocation_result="errors", log="imported\nERROR row 3", n_log_lines=2, n_log_errors=1
    )
    call_command("migrate", "taskmanager", verbosity=0)  # the upgrade: 2.x's reports have no end

    [action] = recover_tasks()
    assert action.what == "no run left open; task idle"
    report = Report.objects.get(task_id=task.pk)
    assert report.end_datetime is None
    assert (report.invocation_result, report.log, report.n_log_lines) == (
        "errors",
        "imported\nERROR row 3",
        2,
    )
    assert Task.objects.get(pk=task.pk).status == "idle"
