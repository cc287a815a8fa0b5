"""Launching tasks from the admin of a real uWSGI: the spooler runs them and notifies."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from taskmanager.models import AppCommand, Report, Task
from tests.execution.uwsgi.uwsgi_support import ALIAS, AdminClient, UwsgiServer, running_uwsgi, uwsgi_database
from tests.fakes import FakeSlack

pytestmark = pytest.mark.uwsgi

TOKEN = "xoxb-test-token"


@pytest.fixture
def database(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any, transactional_db: Any
) -> Iterator[Path]:
    with django_db_blocker.unblock(), uwsgi_database(tmp_path, tmp_path_factory) as path:
        yield path


@pytest.fixture
def server(tmp_path: Path, database: Path, fake_slack: FakeSlack) -> Iterator[UwsgiServer]:
    handlers = {
        "slack": {
            "class": "taskmanager.notifications.SlackNotificationHandler",
            "token": TOKEN,
            "channel": "#general",
            "base_url": fake_slack.base_url,
        }
    }
    with running_uwsgi(tmp_path, database, handlers) as server:
        yield server


def make_task(command: str, **fields: Any) -> Task:
    app_command = AppCommand.objects.using(ALIAS).get(name=command)
    return Task.objects.using(ALIAS).create(name=f"{command} task", command=app_command, **fields)


def test_a_task_launched_from_the_admin_is_run_by_the_spooler_and_notified(
    server: UwsgiServer, fake_slack: FakeSlack
) -> None:
    task = make_task("ends_with_errors")
    admin = AdminClient(server)
    admin.login()
    launched = time.monotonic()
    page = admin.task_action("launch_tasks", task.pk)
    assert "ends_with_errors task" in page
    report = server.wait_for(
        lambda: Report.objects.using(ALIAS).filter(task=task).exclude(end_datetime=None).first(),
        timeout=15,
        what="the report",
    )
    assert time.monotonic() - launched < 15
    assert (report.invocation_result, report.n_log_errors, report.n_log_warnings) == ("errors", 2, 1)
    # Sent by the spooler once the report was saved.
    [message] = fake_slack.wait_for_messages(1, timeout=10)
    assert message["blocks"] is not None
    assert "ends_with_errors task" in str(message["blocks"])
    # Last, the job lets go of the task: it does not repeat.
    server.wait_for(lambda: Task.objects.using(ALIAS).get(pk=task.pk).spooler_id == "", what="the task idle")
    task.refresh_from_db()
    assert (task.status, task.cached_next_ride, task.cached_last_invocation_result) == (
        "idle",
        None,
        "errors",
    )
    server.wait_for(lambda: server.spool_files() == [], what="uWSGI to delete the spool file")


def test_the_web_worker_answers_before_a_long_task_ends(server: UwsgiServer, tmp_path: Path) -> None:
    release = tmp_path / "release"
    task = make_task("waits_for_file", arguments=f"{release}, --timeout 30")
    admin = AdminClient(server)
    admin.login()
    admin.task_action("launch_tasks", task.pk)
    # The admin's answer came back while the command still waits: it runs in the spooler.
    server.wait_for(
        lambda: Task.objects.using(ALIAS).get(pk=task.pk).status == Task.STATUS_STARTED,
        what="the task to start",
    )
    assert not Report.objects.using(ALIAS).filter(task=task).exclude(end_datetime=None).exists()
    release.touch()
    report = server.wait_for(
        lambda: Report.objects.using(ALIAS).filter(task=task).exclude(end_datetime=None).first(),
        what="the report",
    )
    assert report.invocation_result == "ok"
    assert "done" in report.log
