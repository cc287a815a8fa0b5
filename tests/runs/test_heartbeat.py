"""taskmanager.runs.heartbeat: a running report's heartbeat moves on while its command runs."""

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connections

from taskmanager.models import Report, Task
from taskmanager.runs.heartbeat import beating, heartbeat_every
from taskmanager.runs.runner import run_task, start_run
from tests.execution.factories import make_task

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media_root")]


def test_the_interval_is_the_tasks_setting_and_its_default_when_wrong(settings: Any) -> None:
    assert heartbeat_every() == 5.0
    settings.UWSGI_TASKMANAGER_TASKS = {"heartbeat": 2}
    assert heartbeat_every() == 2.0
    settings.UWSGI_TASKMANAGER_TASKS = {"heartbeat": -1}
    assert heartbeat_every() == 5.0


def test_a_run_starts_with_a_heartbeat() -> None:
    report = start_run(make_task())
    assert report.heartbeat == report.invocation_datetime


def _heartbeat(report_pk: int) -> Any:
    # Another thread writes to the in-memory database now and then: it may be locked a moment.
    while True:
        try:
            return Report.objects.get(pk=report_pk).heartbeat
        except OperationalError:
            time.sleep(0.01)


def test_the_heartbeat_moves_while_a_command_runs(settings: Any, tmp_path: Path) -> None:
    settings.UWSGI_TASKMANAGER_TASKS = {"heartbeat": 0.05, "stale_after": 1}
    release = tmp_path / "release"
    task = make_task("waits_for_file", arguments=f"{release}, --timeout=60")
    report = start_run(task)
    first = report.heartbeat
    reports: list[Report] = []

    def run() -> None:
        try:
            reports.append(run_task(Task.objects.select_related("command").get(pk=task.pk), report=report))
        finally:
            connections.close_all()

    runner = threading.Thread(target=run)
    runner.start()
    beats: list[Any] = []
    try:
        # Not a timing assertion: the command waits (up to a minute) until the heartbeat moved.
        deadline = time.monotonic() + 30
        while not beats and time.monotonic() < deadline:
            time.sleep(0.02)
            beats = [beat for beat in [_heartbeat(report.pk)] if beat != first]
    finally:
        release.touch()
        runner.join()
    assert beats, "the heartbeat did not move while the command ran"
    assert beats[0] > first
    [done] = reports
    assert done.invocation_result == "ok"
    assert done.heartbeat == done.end_datetime


def test_a_closed_report_keeps_its_heartbeat() -> None:
    report = start_run(make_task())
    Report.objects.filter(pk=report.pk).update(
        end_datetime=report.invocation_datetime, invocation_result="failed"
    )
    with beating(report.pk, 0.01) as state:
        while state.beats < 2:
            time.sleep(0.01)
    report.refresh_from_db()
    assert report.heartbeat == report.invocation_datetime
    assert state.failures == 0
