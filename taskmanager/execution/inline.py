"""The inline backend (``"inline"``): a launch runs the task now, in the calling process.

For development and tests: nothing is queued, nothing repeats. A task scheduled
ahead or repeating cannot be launched (:class:`~taskmanager.execution.backend.LaunchError`),
as with the uWSGI backend in a process without a spooler.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from taskmanager import scheduling
from taskmanager.conf import tasks_options
from taskmanager.execution.backend import Backend, LaunchError, refuse_if_running
from taskmanager.execution.running import exec_command_task
from taskmanager.execution.tasks import recovery, rides
from taskmanager.models import Report, Task


class InlineBackend(Backend):
    """Runs a launched task at once, here, and returns its report."""

    def launch(self, task: Task) -> Report | None:
        refuse_if_running(task)
        now = timezone.now()
        at = scheduling.first_ride(task.scheduling, now)
        if at > now or task.repetition_period:
            what = f"scheduled for {scheduling.shown(at)}" if at > now else "repeating"
            raise LaunchError(
                f'Task "{task.name}" is {what}: the inline backend runs a task once, now, in this '
                'process. Clear its scheduling and repetition, or use the "tasks" or "uwsgi" backend.'
            )
        return exec_command_task(task)

    def stop(self, task: Task) -> None:
        rides.stop(task)

    def recover(self, *, dry_run: bool = False, foreground: bool = False) -> list[str]:
        """Close the runs whose heartbeat stopped (their process died); nothing is queued here."""
        return recovery.close_stale_runs(tasks_options(), by=recovery.BY_COMMAND, dry_run=dry_run).lines

    def resend_later(
        self, *, report: int | None, handler: str | None, since: datetime.datetime | None
    ) -> str:
        raise LaunchError("the inline backend runs nothing later: resend now, without --spool.")
