"""taskmanager.tasks.exec_command_task: the entry point the admin, runtask and the spooler call."""

from __future__ import annotations

import inspect

import pytest

from taskmanager.models import AppCommand, Report, Task
from taskmanager.tasks import exec_command_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def make_task(command: str, arguments: str = "") -> Task:
    app_command, _ = AppCommand.objects.get_or_create(app_name="tests.sampleapp", name=command)
    return Task.objects.create(name=command, command=app_command, arguments=arguments)


def test_it_returns_the_saved_report_of_the_run() -> None:
    task = make_task("ends_with_warnings")
    report = exec_command_task(task)
    assert isinstance(report, Report)
    assert Report.objects.get(task=task) == report
    assert (report.invocation_result, report.n_log_warnings) == ("warnings", 2)


def test_each_call_is_a_new_report() -> None:
    task = make_task("ends_ok")
    first, second = exec_command_task(task), exec_command_task(task)
    assert first.pk != second.pk
    assert first.logfile != second.logfile
    task.refresh_from_db()
    assert task.cached_last_invocation_datetime == second.invocation_datetime


def test_it_takes_a_task_and_returns_a_report() -> None:
    # The uWSGI spooler wraps this exact signature.
    assert list(inspect.signature(exec_command_task).parameters) == ["task"]


def test_notifications_are_emitted_for_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    emitted: list[int] = []
    monkeypatch.setattr(Report, "emit_notifications", lambda report: emitted.append(report.pk))
    report = exec_command_task(make_task("fails"))
    assert emitted == [report.pk]
    assert report.invocation_result == "failed"
