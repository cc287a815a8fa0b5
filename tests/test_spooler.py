"""taskmanager.spooler outside uWSGI: spool files, launch and stop, and the job uWSGI calls.

The spooler function is called here in-process with the arguments uWSGI passes
(the spool file's vars and ``spooler_task_name``); tests/test_uwsgi_*.py run
the same through a real uWSGI.
"""

import datetime
import os
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from taskmanager import spooler as taskmanager_spooler
from taskmanager.execution import backend
from taskmanager.execution.uwsgi import rides, spoolfiles
from taskmanager.models import AppCommand, Delivery, Report, Task
from taskmanager.notifications import Transport
from taskmanager.notifications.channels import locmem
from taskmanager.notifications.message import Message
from taskmanager.tasks import exec_command_task

pytestmark = pytest.mark.django_db

#: What RecordingTransport saw in the database when it was asked to send.
seen_at_send: list[tuple[str, bool]] = []


class RecordingTransport(Transport):
    """Records the report's stored result at the moment of sending."""

    template_parts = ("txt",)

    def send(self, message: Message) -> None:
        assert message.report is not None
        stored = Report.objects.get(pk=message.report.pk)
        seen_at_send.append((stored.invocation_result, stored.end_datetime is not None))


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    path = tmp_path / "spool"
    path.mkdir()
    return path


@pytest.fixture
def recording(settings: Any) -> Iterator[list[tuple[str, bool]]]:
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "recorder": {"transport": f"{__name__}.RecordingTransport", "templates": "log", "level": "ok"}
    }
    seen_at_send.clear()
    yield seen_at_send
    seen_at_send.clear()


def make_task(command: str = "ends_ok", **fields: Any) -> Task:
    app_command, _ = AppCommand.objects.get_or_create(app_name="tests.sampleapp", name=command)
    return Task.objects.create(name=command, command=app_command, **fields)


def spooled(task: Task, at: datetime.datetime | None = None, **options: Any) -> str:
    path = rides.spool(task, at, **options)
    assert path is not None
    return path


def spool_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("uwsgi_spoolfile_on_*"))


def uwsgi_args(path: str | Path) -> dict[str, Any]:
    """The dict uWSGI hands the spooler function for this file (through uwsgidecorators)."""
    return {**spoolfiles.read_spool_file(str(path)), "spooler_task_name": os.path.basename(path)}


@pytest.fixture
def locked() -> Iterator[Any]:
    """Hold a file's spooler lock from another process, as a running uWSGI spooler does."""
    holders: list[subprocess.Popen[str]] = []

    def lock(path: Path) -> None:
        code = (
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR)\n"
            "fcntl.lockf(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n"
        )
        holder = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
        holders.append(holder)
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"

    yield lock
    for holder in holders:
        holder.kill()
        holder.wait()


# --- spool files ---------------------------------------------------------------------------


def test_a_spool_file_keeps_its_arguments_and_at(spool_dir: Path) -> None:
    path = spoolfiles.write_spool_file(
        str(spool_dir), {"job": "task", "task": "7", "note": "è ok"}, at=2_000_000_000
    )
    assert os.path.basename(path).startswith("uwsgi_spoolfile_on_")
    assert spoolfiles.read_spool_file(path) == {
        "job": "task",
        "task": "7",
        "note": "è ok",
        "at": "2000000000",
    }
    # uWSGI's spooler leaves a file alone while its modification time is ahead.
    assert os.stat(path).st_mtime == 2_000_000_000


def test_a_spool_file_is_written_aside_then_renamed_whole(spool_dir: Path) -> None:
    spoolfiles.write_spool_file(str(spool_dir), {"job": "task"})
    spoolfiles.write_spool_file(str(spool_dir), {"job": "task"})
    assert len(spool_files(spool_dir)) == 2
    assert sorted(p.name for p in spool_dir.iterdir() if not p.name.startswith("uwsgi_spoolfile_on_")) == []


def test_arguments_beyond_64_kib_are_refused() -> None:
    with pytest.raises(spoolfiles.SpoolerError, match="64 KiB"):
        spoolfiles.encode_spool_vars({"big": "x" * 70_000})


def test_a_file_that_is_not_a_spool_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ValueError, match=r"notes\.txt is not a uWSGI spool file"):
        spoolfiles.read_spool_file(str(path))


def test_a_file_locked_by_another_process_is_running(spool_dir: Path, locked: Any) -> None:
    path = Path(spoolfiles.write_spool_file(str(spool_dir), {"job": "task"}))
    assert not spoolfiles.is_running(str(path))
    locked(path)
    assert spoolfiles.is_running(str(path))
    assert not spoolfiles.discard_spool_file(str(path))
    assert path.exists()


def test_a_waiting_file_is_discarded_and_a_missing_one_is_not_running(spool_dir: Path) -> None:
    path = spoolfiles.write_spool_file(str(spool_dir), {"job": "task"})
    assert spoolfiles.discard_spool_file(path)
    assert not os.path.exists(path)
    assert not spoolfiles.is_running(path)
    assert not spoolfiles.discard_spool_file(path)


# --- without uWSGI --------------------------------------------------------------------------


def test_outside_uwsgi_there_is_no_spooler() -> None:
    assert spoolfiles.uwsgi_module() is None
    assert not spoolfiles.has_spooler()
    with pytest.raises(spoolfiles.SpoolerError, match="no uWSGI spooler"):
        spoolfiles.spool_job({"job": "task"})


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


def test_stopping_deletes_the_waiting_file_and_makes_the_task_idle(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, timezone.now() + datetime.timedelta(hours=1), directory=str(spool_dir))
    task.stop()
    assert not os.path.exists(path)
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == ("idle", "", None)


def test_stopping_a_running_task_keeps_its_file_for_the_spooler_to_delete(
    spool_dir: Path, locked: Any
) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED)
    locked(Path(path))
    task.stop()
    assert os.path.exists(path)  # deleting it under a running spooler would crash it
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == ("started", "")


def test_a_run_by_hand_keeps_the_ride_the_task_waits_for(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, timezone.now() + datetime.timedelta(hours=1), directory=str(spool_dir))
    exec_command_task(task)  # what runtask does
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == ("scheduled", path)


# --- the spooler function ----------------------------------------------------------------------


def test_the_job_runs_the_task_and_notifies_after_the_report_is_saved(
    spool_dir: Path, recording: list[tuple[str, bool]]
) -> None:
    task = make_task("ends_with_errors")
    path = spooled(task, directory=str(spool_dir))
    assert taskmanager_spooler.spooler_job(uwsgi_args(path)) == spoolfiles.SPOOL_OK
    report = Report.objects.get(task=task)
    assert (report.invocation_result, report.n_log_errors, report.n_log_warnings) == ("errors", 2, 1)
    assert recording == [("errors", True)]
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == ("idle", "", None)
    assert task.cached_last_invocation_result == "errors"


def test_after_a_ride_a_repeating_task_is_spooled_for_the_next_one_on_its_grid(spool_dir: Path) -> None:
    anchor = timezone.now().replace(microsecond=0) - datetime.timedelta(seconds=150)
    task = make_task(scheduling=anchor, repetition_period="minute", repetition_rate=2)
    first = spooled(task, directory=str(spool_dir), anchor=anchor)
    taskmanager_spooler.spooler_job(uwsgi_args(first))
    os.unlink(first)  # uWSGI deletes a file once its job returns
    [second] = spool_files(spool_dir)
    task.refresh_from_db()
    expected = anchor + datetime.timedelta(minutes=4)
    assert (task.status, task.spooler_id, task.cached_next_ride) == ("scheduled", str(second), expected)
    assert int(spoolfiles.read_spool_file(str(second))["at"]) == int(expected.timestamp())


def test_a_repeating_task_without_scheduling_keeps_the_grid_of_its_first_ride(spool_dir: Path) -> None:
    task = make_task(repetition_period="hour", repetition_rate=1)
    first_ride = timezone.now() - datetime.timedelta(minutes=20)
    path = spooled(task, first_ride, directory=str(spool_dir))
    args = uwsgi_args(path)
    args["ride"] = args["anchor"] = first_ride.isoformat()  # due 20 minutes ago
    taskmanager_spooler.spooler_job(args)
    task.refresh_from_db()
    assert task.cached_next_ride == first_ride + datetime.timedelta(hours=1)


def test_the_file_of_a_stopped_task_does_not_run(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    args = uwsgi_args(path)
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_IDLE, spooler_id="")  # stopped as it started
    taskmanager_spooler.spooler_job(args)
    assert not Report.objects.filter(task=task).exists()


def test_an_older_file_of_a_task_launched_again_does_not_run(spool_dir: Path) -> None:
    task = make_task()
    old = spooled(task, directory=str(spool_dir))
    new = spooled(task, directory=str(spool_dir))
    taskmanager_spooler.spooler_job(uwsgi_args(old))
    assert not Report.objects.filter(task=task).exists()
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == ("spooled", new)


def test_a_job_that_starts_before_its_path_is_recorded_claims_the_task(
    spool_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    Task.objects.filter(pk=task.pk).update(spooler_id="")  # the launch has not recorded it yet
    monkeypatch.chdir(spool_dir)  # uWSGI runs jobs from the spool directory
    taskmanager_spooler.spooler_job(uwsgi_args(path))
    assert Report.objects.filter(task=task, invocation_result="ok").exists()


def test_a_file_whose_ride_already_ran_is_not_run_again(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    task.refresh_from_db()
    assert task.cached_next_ride is not None
    # The spooler ran it, then died while sending its notifications: uWSGI runs the file again.
    ran_at = task.cached_next_ride + datetime.timedelta(seconds=1)
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_IDLE, cached_last_invocation_datetime=ran_at)
    taskmanager_spooler.spooler_job(uwsgi_args(path))
    assert not Report.objects.filter(task=task).exists()
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == ("idle", "", None)


def test_a_job_never_raises_so_uwsgi_does_not_retry_it_forever(caplog: pytest.LogCaptureFixture) -> None:
    assert (
        taskmanager_spooler.spooler_job({"job": "task", "task": "not a number", "spooler_task_name": "f"})
        == -2
    )
    assert "Spool file f failed" in caplog.text
    assert taskmanager_spooler.spooler_job({"job": "task", "task": "424242", "spooler_task_name": "g"}) == -2
    assert taskmanager_spooler.spooler_job({"job": "mystery", "spooler_task_name": "h"}) == -2
    assert "unknown job 'mystery'" in caplog.text


def test_a_run_its_spooler_died_in_is_marked_failed_when_the_file_comes_back(
    spool_dir: Path, recording: list[tuple[str, bool]]
) -> None:
    task = make_task(repetition_period="day", repetition_rate=1)
    path = spooled(task, directory=str(spool_dir))
    task.refresh_from_db()
    # What a killed spooler leaves: the task started, its report open, the file in place.
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED)
    report = Report.objects.create(task=task, invocation_datetime=task.cached_next_ride)
    taskmanager_spooler.spooler_job(uwsgi_args(path))
    report.refresh_from_db()
    assert (report.invocation_result, report.end_datetime is not None) == ("failed", True)
    assert "the uWSGI spooler running it stopped" in report.log
    assert Report.objects.filter(task=task).count() == 1  # not run again
    assert recording == [("failed", True)]
    task.refresh_from_db()
    assert task.status == "scheduled"
    assert task.cached_next_ride == report.invocation_datetime + datetime.timedelta(days=1)


def test_a_resend_job_resends_failed_deliveries(settings: Any, spool_dir: Path) -> None:
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mem": {
            "transport": "taskmanager.notifications.channels.locmem.LocmemTransport",
            "templates": "log",
        }
    }
    task = make_task()
    report = Report.objects.create(task=task, invocation_result="errors", end_datetime=timezone.now())
    delivery = Delivery.objects.create(
        report=report, handler="mem", level="errors", status="failed", parts={"txt": "stored text"}
    )
    locmem.outbox.clear()
    path = spoolfiles.spool_resend(report=report.pk, directory=str(spool_dir))
    assert taskmanager_spooler.spooler_job(uwsgi_args(path)) == -2
    assert [message.parts["txt"] for message in locmem.outbox] == ["stored text"]
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    locmem.outbox.clear()


def test_resend_notifications_spool_leaves_the_resend_to_the_spooler(spool_dir: Path) -> None:
    out = StringIO()
    call_command(
        "resend_notifications", "--spool", str(spool_dir), "--handler", "slack", "--report", "12", stdout=out
    )
    [path] = spool_files(spool_dir)
    assert out.getvalue() == f"Resend spooled: {path}\n"
    args = spoolfiles.read_spool_file(str(path))
    assert (args["job"], args["handler"], args["report"]) == ("resend", "slack", "12")
