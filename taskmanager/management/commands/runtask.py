"""``manage.py runtask NAME_OR_ID``: run a task now, in the foreground."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management import BaseCommand, CommandError
from django.core.management.base import CommandParser

from taskmanager.models import Report, Task
from taskmanager.tasks import exec_command_task


def find_task(name_or_id: str) -> Task:
    """The task with this id, else with this name (exactly, then ignoring case)."""
    if name_or_id.isdigit():
        task = Task.objects.filter(pk=int(name_or_id)).select_related("command").first()
        if task is not None:
            return task
    for lookup in ("name", "name__iexact"):
        tasks = list(Task.objects.filter(**{lookup: name_or_id}).select_related("command").order_by("pk"))
        if len(tasks) == 1:
            return tasks[0]
        if tasks:
            ids = ", ".join(str(task.pk) for task in tasks)
            raise CommandError(
                f"{len(tasks)} tasks are named {name_or_id!r} (ids {ids}): run one of them by its id."
            )
    raise CommandError(f"No task has the id or name {name_or_id!r}.")


def summary(report: Report) -> str:
    """``nightly import: errors (2 errors, 1 warning) - report 17``."""

    def plural(n: int | None, word: str) -> str:
        n = n or 0
        return f"{n} {word}{'' if n == 1 else 's'}"

    counts = f"{plural(report.n_log_errors, 'error')}, {plural(report.n_log_warnings, 'warning')}"
    return f"{report.task.name}: {report.invocation_result} ({counts}) - report {report.pk}"


class Command(BaseCommand):
    help = (
        "Run a task now, in the foreground, and print its result. "
        "Exits with 1 when the task failed (raised), 0 otherwise."
    )
    # A task must run even when the project's checks (of notification
    # settings, say) report problems.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", metavar="NAME_OR_ID", help="The task's id or its name.")

    def handle(self, *args: Any, **options: Any) -> None:
        task = find_task(options["task"])
        report = exec_command_task(task)
        if options["verbosity"] >= 1:
            self.stdout.write(summary(report))
        if options["verbosity"] >= 2:
            if report.logfile:
                self.stdout.write(f"log file: {report.logfile}")
            if report.log:
                self.stdout.write(report.log)
        if report.invocation_result == Report.RESULT_FAILED:
            # As makemigrations --check: the outcome is in the exit status.
            sys.exit(1)
