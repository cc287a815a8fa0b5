"""Reports of one task in a row, emitted through the real emission: for the policy's tests."""

import datetime

from django.utils import timezone

from taskmanager.models import AppCommand, Report, Task

#: ok, failed, failed, failed after a 4 h reminder interval, errors, ok: (result, minutes).
SEQUENCE = [("ok", -10), ("failed", 0), ("failed", 10), ("failed", 300), ("errors", 310), ("ok", 320)]


def a_task(name: str = "Nightly import") -> Task:
    command, _ = AppCommand.objects.get_or_create(app_name="sampleapp", name="sample")
    return Task.objects.create(name=name, command=command)


def report_of(task: Task, result: str, minutes: float = 0, **fields) -> Report:
    """A saved report of ``task``, started ``minutes`` from now, 30 s long."""
    started = timezone.now() + datetime.timedelta(minutes=minutes)
    defaults = {
        "invocation_result": result,
        "invocation_datetime": started,
        "end_datetime": started + datetime.timedelta(seconds=30),
        "log": "line one\nERROR broken" if result != "ok" else "line one",
        "n_log_lines": 2 if result != "ok" else 1,
        "n_log_errors": 0 if result == "ok" else 1,
        "n_log_warnings": 0,
    }
    return Report.objects.create(task=task, **{**defaults, **fields})


def emit_sequence(task: Task, sequence=SEQUENCE) -> list[Report]:
    reports = []
    for result, minutes in sequence:
        report = report_of(task, result, minutes)
        report.emit_notifications()
        reports.append(report)
    return reports
