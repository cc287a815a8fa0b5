"""taskmanager.execution.uwsgi.backend: UwsgiBackend's launch, stop and recover, outside uWSGI."""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone

from taskmanager.execution.backend import Backend, LaunchError
from taskmanager.execution.uwsgi import spoolfiles
from taskmanager.execution.uwsgi.backend import UwsgiBackend
from taskmanager.models import Report, Task
from tests.execution.factories import make_task
from tests.execution.uwsgi.spooling import spool_files

pytestmark = pytest.mark.django_db


def test_it_is_a_backend() -> None:
    assert isinstance(UwsgiBackend(), Backend)


def test_without_a_spooler_a_launch_runs_the_task_here_and_returns_its_report() -> None:
    task = make_task("ends_with_errors")
    report = UwsgiBackend().launch(task)
    assert report is not None
    assert report == Report.objects.get(task=task)
    assert (report.invocation_result, report.n_log_errors) == ("errors", 2)
    task.refresh_from_db()
    assert task.status == "idle"


def test_without_a_spooler_a_task_scheduled_ahead_is_refused() -> None:
    task = make_task(scheduling=timezone.now() + datetime.timedelta(days=1))
    with pytest.raises(LaunchError, match="Clear its scheduling to run it now"):
        UwsgiBackend().launch(task)


def test_with_a_spool_directory_a_launch_spools_and_returns_nothing(spool_dir: Path) -> None:
    task = make_task()
    assert UwsgiBackend(spool_directory=str(spool_dir)).launch(task) is None
    [path] = spool_files(spool_dir)
    args = spoolfiles.read_spool_file(str(path))
    assert (args["job"], args["task"]) == ("task", str(task.pk))
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == ("spooled", str(path))
    assert not Report.objects.filter(task=task).exists()


def test_stop_deletes_the_spool_file_and_makes_the_task_idle(spool_dir: Path) -> None:
    task = make_task(scheduling=timezone.now() + datetime.timedelta(hours=1))
    UwsgiBackend(spool_directory=str(spool_dir)).launch(task)
    [path] = spool_files(spool_dir)
    UwsgiBackend().stop(task)
    assert not path.exists()
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == ("idle", "", None)


def test_a_dry_run_recovery_lists_what_it_would_do_and_changes_nothing(spool_dir: Path) -> None:
    task = make_task(name="nightly")
    UwsgiBackend(spool_directory=str(spool_dir)).launch(task)
    [path] = spool_files(spool_dir)
    os.unlink(path)  # lost with a container
    assert UwsgiBackend().recover(dry_run=True) == [
        f'task {task.pk} "nightly": would be spooled again, now (its spool file was lost)'
    ]
    assert spool_files(spool_dir) == []
    assert UwsgiBackend().recover() == [
        f'task {task.pk} "nightly": spooled again, now (its spool file was lost)'
    ]
    [new] = spool_files(spool_dir)
    task.refresh_from_db()
    assert task.spooler_id == str(new)


def test_recovery_with_a_spool_directory_adopts_tasks_with_no_spool_file(spool_dir: Path) -> None:
    task = make_task(name="nightly", status=Task.STATUS_SPOOLED)  # its launch died before writing a file
    assert UwsgiBackend().recover() == [
        f'task {task.pk} "nightly": left as it is (it has no spool file (see --spooler-dir))'
    ]
    assert UwsgiBackend(spool_directory=str(spool_dir)).recover() == [
        f'task {task.pk} "nightly": spooled again, now (it had no spool file)'
    ]
    assert len(spool_files(spool_dir)) == 1


def test_runs_started_in_the_foreground_are_recovered_only_when_asked() -> None:
    task = make_task(name="nightly", status=Task.STATUS_STARTED)
    Report.objects.create(task=task)
    backend = UwsgiBackend()
    assert backend.recover() == [
        f'task {task.pk} "nightly": left as it is (started in the foreground (see --foreground))'
    ]
    assert backend.recover(foreground=True) == [
        f'task {task.pk} "nightly": run marked failed; task idle (started in the foreground)'
    ]
    assert backend.recover() == []
