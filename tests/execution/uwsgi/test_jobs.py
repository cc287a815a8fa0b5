"""taskmanager.execution.uwsgi.jobs: what the spooler runs for our spool files, called here in-process.

Each job gets the arguments uWSGI passes (the spool file's vars and
``spooler_task_name``); tests/execution/uwsgi/test_uwsgi_*.py run the same
through a real uWSGI.
"""

import datetime
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from taskmanager.execution.uwsgi import jobs, recovery, spoolfiles
from taskmanager.models import Delivery, Report, Task
from taskmanager.notifications import Transport
from taskmanager.notifications.channels import locmem
from taskmanager.notifications.message import Message
from tests.execution.factories import make_task
from tests.execution.uwsgi.spooling import spool_files, spooled, uwsgi_args

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


@pytest.fixture
def recording(settings: Any, transactional_db: Any) -> Iterator[list[tuple[str, bool]]]:
    # transactional_db: a transport sends from a delivery thread, whose own database
    # connection sees only what is committed.
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "recorder": {"transport": f"{__name__}.RecordingTransport", "templates": "log", "level": "ok"}
    }
    seen_at_send.clear()
    yield seen_at_send
    seen_at_send.clear()


# --- a task's ride -------------------------------------------------------------------------------


def test_the_job_runs_the_task_and_notifies_after_the_report_is_saved(
    spool_dir: Path, recording: list[tuple[str, bool]]
) -> None:
    task = make_task("ends_with_errors")
    path = spooled(task, directory=str(spool_dir))
    ran = jobs.run_task_job(uwsgi_args(path))
    report = Report.objects.get(task=task)
    assert ran == report
    assert (report.invocation_result, report.n_log_errors, report.n_log_warnings) == ("errors", 2, 1)
    assert recording == [("errors", True)]
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == ("idle", "", None)
    assert task.cached_last_invocation_result == "errors"


def test_after_a_ride_a_repeating_task_is_spooled_for_the_next_one_on_its_grid(spool_dir: Path) -> None:
    anchor = timezone.now().replace(microsecond=0) - datetime.timedelta(seconds=150)
    task = make_task(scheduling=anchor, repetition_period="minute", repetition_rate=2)
    first = spooled(task, directory=str(spool_dir), anchor=anchor)
    jobs.run_task_job(uwsgi_args(first))
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
    jobs.run_task_job(args)
    task.refresh_from_db()
    assert task.cached_next_ride == first_ride + datetime.timedelta(hours=1)


def test_the_file_of_a_task_that_is_gone_does_nothing(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    args = uwsgi_args(path)
    task.delete()
    assert jobs.run_task_job(args) is None


def test_the_file_of_a_stopped_task_does_not_run(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    args = uwsgi_args(path)
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_IDLE, spooler_id="")  # stopped as it started
    jobs.run_task_job(args)
    assert not Report.objects.filter(task=task).exists()


def test_an_older_file_of_a_task_launched_again_does_not_run(spool_dir: Path) -> None:
    task = make_task()
    old = spooled(task, directory=str(spool_dir))
    new = spooled(task, directory=str(spool_dir))
    jobs.run_task_job(uwsgi_args(old))
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
    jobs.run_task_job(uwsgi_args(path))
    assert Report.objects.filter(task=task, invocation_result="ok").exists()


def test_a_file_whose_ride_already_ran_is_not_run_again(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    task.refresh_from_db()
    assert task.cached_next_ride is not None
    # The spooler ran it, then died while sending its notifications: uWSGI runs the file again.
    ran_at = task.cached_next_ride + datetime.timedelta(seconds=1)
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_IDLE, cached_last_invocation_datetime=ran_at)
    jobs.run_task_job(uwsgi_args(path))
    assert not Report.objects.filter(task=task).exists()
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_next_ride) == ("idle", "", None)


def test_a_run_its_spooler_died_in_is_marked_failed_when_the_file_comes_back(
    spool_dir: Path, recording: list[tuple[str, bool]]
) -> None:
    task = make_task(repetition_period="day", repetition_rate=1)
    path = spooled(task, directory=str(spool_dir))
    task.refresh_from_db()
    # What a killed spooler leaves: the task started, its report open, the file in place.
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED)
    report = Report.objects.create(task=task, invocation_datetime=task.cached_next_ride)
    jobs.run_task_job(uwsgi_args(path))
    report.refresh_from_db()
    assert (report.invocation_result, report.end_datetime is not None) == ("failed", True)
    assert "the uWSGI spooler running it stopped" in report.log
    assert report.log.endswith("Marked failed by the spooler when it started again.")
    assert Report.objects.filter(task=task).count() == 1  # not run again
    assert recording == [("failed", True)]
    task.refresh_from_db()
    assert task.status == "scheduled"
    assert task.cached_next_ride == report.invocation_datetime + datetime.timedelta(days=1)


def test_the_file_of_a_run_a_recovery_closed_meanwhile_is_not_run_again(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    task.refresh_from_db()
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED)
    report = Report.objects.create(task=task, invocation_datetime=task.cached_next_ride)
    # Another spooler process, starting too, closed the run and has not moved the task on yet.
    assert recovery.close_cut_short(report, by=recovery.BY_SPOOLER)
    assert jobs.run_task_job(uwsgi_args(path)) is None
    assert Report.objects.filter(task=task).count() == 1
    task.refresh_from_db()
    assert (task.status, task.spooler_id, task.cached_last_invocation_result) == ("idle", "", "failed")


def test_a_ride_due_while_a_run_by_hand_goes_on_runs_beside_it(spool_dir: Path) -> None:
    task = make_task()
    path = spooled(task, directory=str(spool_dir))
    task.refresh_from_db()
    assert task.cached_next_ride is not None
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_STARTED)
    by_hand = Report.objects.create(
        task=task, invocation_datetime=task.cached_next_ride - datetime.timedelta(minutes=5)
    )
    ran = jobs.run_task_job(uwsgi_args(path))
    assert ran is not None
    assert ran.invocation_result == "ok"
    by_hand.refresh_from_db()
    assert by_hand.end_datetime is None


# --- a resend ------------------------------------------------------------------------------------


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
    jobs.run_resend_job(uwsgi_args(path))
    assert [message.parts["txt"] for message in locmem.outbox] == ["stored text"]
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    locmem.outbox.clear()
