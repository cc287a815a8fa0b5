"""manage.py restart_despooled_tasks: what it says and what it refuses."""

import datetime
import os
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from taskmanager.execution.uwsgi import rides
from taskmanager.models import AppCommand, Report, Task

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("restart_despooled_tasks", *args, stdout=out)
    return out.getvalue()


def make_task(**fields: Any) -> Task:
    app_command, _ = AppCommand.objects.get_or_create(app_name="tests.sampleapp", name="ends_ok")
    return Task.objects.create(name="nightly", command=app_command, **fields)


def test_it_says_when_nothing_needs_recovering() -> None:
    make_task()
    assert run() == "No task needs recovering.\n"


def test_it_prints_one_line_per_task_it_recovers(tmp_path: Path) -> None:
    task = make_task()
    path = rides.spool(task, directory=str(tmp_path))
    assert path is not None
    os.unlink(path)
    assert (
        run("--dry-run")
        == f'task {task.pk} "nightly": would be spooled again, now (its spool file was lost)\n'
    )
    assert run() == f'task {task.pk} "nightly": spooled again, now (its spool file was lost)\n'
    assert len(list(tmp_path.glob("uwsgi_spoolfile_on_*"))) == 1


def test_a_spooler_dir_that_is_not_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is not a directory here"):
        run("--spooler-dir", str(tmp_path / "missing"))


def test_a_spooler_dir_takes_in_the_tasks_that_have_no_spool_file(tmp_path: Path) -> None:
    task = make_task(status=Task.STATUS_SPOOLED)  # its launch died before writing a file
    assert run("--foreground", "--dry-run") == (
        f'task {task.pk} "nightly": left as it is (it has no spool file (see --spooler-dir))\n'
    )
    assert run("--spooler-dir", str(tmp_path)) == (
        f'task {task.pk} "nightly": spooled again, now (it had no spool file)\n'
    )
    [path] = tmp_path.glob("uwsgi_spoolfile_on_*")
    task.refresh_from_db()
    assert task.spooler_id == str(path)


@pytest.mark.django_db(transaction=True)
def test_with_the_tasks_backend_it_closes_the_runs_whose_heartbeat_stopped(settings: Any) -> None:
    settings.UWSGI_TASKMANAGER_BACKEND = "tasks"
    task = make_task(status=Task.STATUS_STARTED)
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    report = Report.objects.create(task=task, invocation_datetime=long_ago, heartbeat=long_ago)
    assert (
        run()
        == f'task {task.pk} "nightly": run of report {report.pk} marked failed (no heartbeat); task idle\n'
    )


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("UWSGI_TASKMANAGER_BACKEND", "celery", "UWSGI_TASKMANAGER_BACKEND"),
        ("UWSGI_TASKMANAGER_TASKS", {"heartbeat": 0}, r'UWSGI_TASKMANAGER_TASKS\["heartbeat"\]'),
        ("UWSGI_TASKMANAGER_TASKS", {"queue": "elsewhere"}, "UWSGI_TASKMANAGER_TASKS: Queue 'elsewhere'"),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_a_misconfigured_backend_is_a_command_error_sending_to_check(
    settings: Any, setting: str, value: object, says: str
) -> None:
    settings.UWSGI_TASKMANAGER_BACKEND = "tasks"
    setattr(settings, setting, value)
    with pytest.raises(CommandError, match=f"{says}.*manage.py check says more"):
        run()
