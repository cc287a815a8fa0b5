"""A run cut short by a killed spooler, or spool files lost with a container, on a real uWSGI."""

import datetime
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from taskmanager.execution.uwsgi import spoolfiles
from taskmanager.models import AppCommand, Delivery, Report, Task
from tests.execution.uwsgi.uwsgi_support import (
    ALIAS,
    AdminClient,
    UwsgiServer,
    at_least,
    run_manage,
    running_uwsgi,
    uwsgi_database,
)
from tests.fakes.webhook import WebhookReceiver

pytestmark = pytest.mark.uwsgi

#: Crashes the race test tries: on 3.0.0 about half of them ran the command again.
CRASHES = 8


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


def make_task(release: Path, **fields: Any) -> Task:
    """A task whose command waits until ``release`` exists."""
    app_command = AppCommand.objects.using(ALIAS).get(name="waits_for_file")
    return Task.objects.using(ALIAS).create(
        name="waiting task", command=app_command, arguments=f"{release}, --timeout 60", **fields
    )


def fetch(task: Task) -> Task:
    return Task.objects.using(ALIAS).get(pk=task.pk)


def launch_until_started(server: UwsgiServer, task: Task) -> None:
    admin = AdminClient(server)
    admin.login()
    admin.task_action("launch_tasks", task.pk)
    server.wait_for(lambda: fetch(task).status == Task.STATUS_STARTED, what="the task to start")


def closed_reports(task: Task) -> list[Report]:
    return list(Report.objects.using(ALIAS).filter(task=task).exclude(end_datetime=None).order_by("pk"))


def test_a_run_cut_short_by_a_killed_spooler_is_marked_failed_when_it_comes_back(
    server: UwsgiServer, tmp_path: Path
) -> None:
    task = make_task(tmp_path / "never")
    launch_until_started(server, task)
    os.kill(server.spooler_pid(), signal.SIGKILL)
    # uWSGI's master spawns a new spooler, which recovers before it runs anything.
    [report] = server.wait_for(lambda: closed_reports(task), timeout=15, what="the run marked failed")
    assert report.invocation_result == "failed"
    assert report.log.endswith("Marked failed by the spooler when it started again.")
    server.wait_for(lambda: fetch(task).status == Task.STATUS_IDLE, what="the task idle")
    task = fetch(task)
    assert (task.spooler_id, task.cached_last_invocation_result) == ("", "failed")
    # Done by the new spooler as it started, not by running the file again...
    assert (
        f'recovery: task {task.pk} "waiting task": interrupted run marked failed; task idle'
        in server.log_text()
    )
    # ...which it deleted: the command was not started over.
    assert server.spool_files() == []
    assert Report.objects.using(ALIAS).filter(task=task).count() == 1


def test_restart_despooled_tasks_recovers_what_a_dead_uwsgi_and_a_lost_spool_directory_left(
    server: UwsgiServer, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    anchor = timezone.now().replace(microsecond=0) - datetime.timedelta(seconds=45)
    task = make_task(release, scheduling=anchor, repetition_period="minute", repetition_rate=1)
    launch_until_started(server, task)  # the missed ride, at once
    server.kill()  # the container dies...
    for path in server.spool_files():  # ...and its spool directory was not on a volume
        path.unlink()

    result = run_manage(server, "restart_despooled_tasks")
    assert result.returncode == 0, result.stderr
    assert "interrupted run marked failed; next ride spooled" in result.stdout
    [report] = closed_reports(task)
    assert report.invocation_result == "failed"
    assert report.log.endswith("Marked failed by restart_despooled_tasks.")
    next_ride = anchor + datetime.timedelta(minutes=1)
    task = fetch(task)
    assert (task.status, task.cached_next_ride) == ("scheduled", next_ride)
    [path] = server.spool_files()
    assert task.spooler_id == str(path)
    assert int(spoolfiles.read_spool_file(str(path))["at"]) == int(next_ride.timestamp())

    # uWSGI comes back: its spooler runs the ride the command spooled, in time.
    release.touch()
    server.start()
    _, ran = server.wait_for(lambda: at_least(2, closed_reports(task)), what="the ride")
    assert ran.invocation_result == "ok"
    assert ran.invocation_datetime >= next_ride


def test_after_a_crash_several_spoolers_starting_together_never_run_the_interrupted_command_again(
    tmp_path: Path, database: Path
) -> None:
    # Each spooler recovers as it starts, then looks for due files: one of them may pick up
    # the file of the run another one is closing. The race shows in most crashes: try a few.
    marker, release = tmp_path / "runs", tmp_path / "never"
    app_command = AppCommand.objects.using(ALIAS).get(name="counts_its_runs")
    with WebhookReceiver() as hook:
        handlers = {
            "hook": {"class": "taskmanager.notifications.WebhookNotificationHandler", "url": hook.url}
        }
        with running_uwsgi(tmp_path, database, handlers, spooler_processes=3) as server:
            for attempt in range(CRASHES):
                marker.write_text("")
                task = Task.objects.using(ALIAS).create(
                    name=f"long import {attempt}", command=app_command, arguments=f"{marker}, {release}"
                )
                launch_until_started(server, task)
                server.wait_for(lambda: marker.read_text() == "started\n", what="the command to start")
                server.kill()
                server.start()

                def settled_or_run_again(task: Task = task) -> bool:
                    runs = marker.read_text().count("started")
                    settled = (
                        fetch(task).status == Task.STATUS_IDLE
                        and server.spool_files() == []
                        and Delivery.objects.using(ALIAS).filter(report__task=task, status="sent").exists()
                    )
                    return runs > 1 or settled

                server.wait_for(settled_or_run_again, timeout=20, what="the interrupted run closed")
                assert marker.read_text().count("started") == 1, f"run again after crash {attempt + 1}"
                [report] = Report.objects.using(ALIAS).filter(task=task)
                assert report.invocation_result == "failed"
                [delivery] = Delivery.objects.using(ALIAS).filter(report__task=task)
                assert (delivery.report_id, delivery.status) == (report.pk, "sent")
            assert len(hook.requests) == CRASHES
