"""Scheduled and repeating tasks on a real uWSGI spooler, and stopping them.

A repeating task's shortest period is a minute, too long to wait for twice in
a test. Rides lie on a grid anchored at the task's scheduling, and a launch
with a scheduling already past runs at once (the missed ride), then at the next
point of the grid: so a task every minute, scheduled 50 seconds ago, runs now
and again 10 seconds later - two real rides of the real period, the second
one spooled by the spooler with its ``at``.
"""

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from taskmanager.execution.uwsgi import spoolfiles
from taskmanager.models import AppCommand, Report, Task
from tests.execution.uwsgi.uwsgi_support import (
    ALIAS,
    AdminClient,
    UwsgiServer,
    at_least,
    running_uwsgi,
    uwsgi_database,
)

pytestmark = pytest.mark.uwsgi


@pytest.fixture
def database(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any, transactional_db: Any
) -> Iterator[Path]:
    with django_db_blocker.unblock(), uwsgi_database(tmp_path, tmp_path_factory) as path:
        yield path


@pytest.fixture
def server(tmp_path: Path, database: Path) -> Iterator[UwsgiServer]:
    with running_uwsgi(tmp_path, database) as server:
        yield server


@pytest.fixture
def admin(server: UwsgiServer) -> AdminClient:
    client = AdminClient(server)
    client.login()
    return client


def make_task(command: str = "ends_ok", **fields: Any) -> Task:
    app_command = AppCommand.objects.using(ALIAS).get(name=command)
    return Task.objects.using(ALIAS).create(name=f"{command} task", command=app_command, **fields)


def reports(task: Task) -> list[Report]:
    return list(Report.objects.using(ALIAS).filter(task=task).exclude(end_datetime=None).order_by("pk"))


def fetch(task: Task) -> Task:
    return Task.objects.using(ALIAS).get(pk=task.pk)


def test_a_task_scheduled_3_seconds_ahead_runs_then(server: UwsgiServer, admin: AdminClient) -> None:
    ride = timezone.now() + datetime.timedelta(seconds=3)
    task = make_task(scheduling=ride)
    admin.task_action("launch_tasks", task.pk)
    task = fetch(task)
    assert (task.status, task.cached_next_ride) == ("scheduled", ride)
    [path] = server.spool_files()
    assert int(spoolfiles.read_spool_file(str(path))["at"]) == int(ride.timestamp()) + 1
    [report] = server.wait_for(lambda: reports(task), timeout=15, what="the scheduled run")
    assert report.invocation_datetime >= ride
    assert report.invocation_datetime < ride + datetime.timedelta(seconds=8)
    assert report.invocation_result == "ok"


def test_a_task_repeating_every_minute_runs_on_its_grid(server: UwsgiServer, admin: AdminClient) -> None:
    anchor = timezone.now().replace(microsecond=0) - datetime.timedelta(seconds=50)
    task = make_task(scheduling=anchor, repetition_period="minute", repetition_rate=1)
    admin.task_action("launch_tasks", task.pk)
    rides = server.wait_for(lambda: at_least(2, reports(task)), timeout=20, what="two rides")
    first, second = rides[:2]
    minute = datetime.timedelta(minutes=1)
    assert first.invocation_datetime < anchor + minute  # the missed ride, run at once
    assert second.invocation_datetime >= anchor + minute  # the next one, not before its time
    # After each ride the spooler spools the next one, on the grid.
    third_ride = anchor + 2 * minute
    server.wait_for(lambda: fetch(task).cached_next_ride == third_ride, what="the third ride spooled")
    task = fetch(task)
    assert task.status == "scheduled"
    [path] = server.wait_for(lambda: at_least(1, server.spool_files()), what="one spool file")
    assert task.spooler_id == str(path)
    assert int(spoolfiles.read_spool_file(str(path))["at"]) == int(third_ride.timestamp())


def test_stop_cancels_a_scheduled_ride(server: UwsgiServer, admin: AdminClient) -> None:
    ride = timezone.now() + datetime.timedelta(seconds=3)
    task = make_task(scheduling=ride, repetition_period="minute")
    admin.task_action("launch_tasks", task.pk)
    assert len(server.spool_files()) == 1
    page = admin.task_action("stop_tasks", task.pk)
    assert "1 task stopped." in page
    assert server.spool_files() == []
    task = fetch(task)
    assert (task.status, task.spooler_id, task.cached_next_ride) == ("idle", "", None)
    # Well past the ride, and the spooler scans every second: nothing ran.
    server.wait_for(lambda: timezone.now() > ride + datetime.timedelta(seconds=3), what="the time to pass")
    assert reports(task) == []
    assert "managing request" not in server.log_text()
