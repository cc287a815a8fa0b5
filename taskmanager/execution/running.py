"""Run a task here and tell the team: the runs layer's report, then its notifications.

What every backend uses to run a task in its own process (uWSGI's spooler, the
calling process) and to close a run that was cut short. Notifications go out
after the report is saved, and a notification problem never changes the run's
outcome: it is logged on ``taskmanager.notifications``.
"""

from __future__ import annotations

import datetime
import logging

from django.utils import timezone

from taskmanager.models import Report, Task
from taskmanager.notifications.resend import resend, resendable
from taskmanager.runs.interrupted import close_interrupted, open_reports
from taskmanager.runs.runner import run_task

notifications_logger = logging.getLogger("taskmanager.notifications")


def notify(report: Report) -> None:
    """Send the report's notifications, never letting a problem change the run's outcome."""
    try:
        report.emit_notifications()
    except Exception:
        notifications_logger.exception(
            "Notifications for report %s of task %r failed", report.pk, report.task.name
        )


def run_and_notify(
    task: Task, *, report: Report | None = None, foreign_loggers: tuple[str, ...] = ()
) -> Report:
    """Run ``task`` now, in this process; its report is saved, then notified.

    ``foreign_loggers``: the loggers of the worker running it, whose records are not the run's."""
    return run_task(task, on_saved=notify, report=report, foreign_loggers=foreign_loggers)


def exec_command_task(task: Task) -> Report:
    """Run ``task`` now, in this process, notify, and return its report.

    What every run goes through: ``runtask``, a launch without a spooler, the
    spooler's jobs. See :mod:`taskmanager.runs.runner` for what is captured and
    how the run is classified. A task that waits for a ride keeps waiting for
    it after a run from elsewhere (``runtask``): its status shows the ride again.
    """
    return exec_started_run(task, None)


def exec_started_run(task: Task, report: Report | None) -> Report:
    """:func:`exec_command_task` for a run whose open ``report`` the caller made with
    :func:`taskmanager.runs.runner.start_run`, in a transaction of its own (None: made here)."""
    report = run_and_notify(task, report=report)
    show_waiting_ride(task)
    return report


def show_waiting_ride(task: Task) -> None:
    """After a run, show again the ride the task still waits for (the runner left it idle).

    While another run of the task goes on (a run by hand ended before the ride it overlapped),
    the task stays ``started``: shown waiting, its ride would be launched or enqueued again
    by a recovery while it still runs.
    """
    if open_reports(task).exists():
        Task.objects.filter(pk=task.pk, status=Task.STATUS_IDLE).update(status=Task.STATUS_STARTED)
        return
    task.refresh_from_db(fields=["spooler_id", "cached_next_ride"])
    if not task.spooler_id:
        return
    ride = task.cached_next_ride
    status = Task.STATUS_SCHEDULED if ride and ride > timezone.now() else Task.STATUS_SPOOLED
    Task.objects.filter(pk=task.pk, spooler_id=task.spooler_id, status=Task.STATUS_IDLE).update(status=status)


def close_and_notify(report: Report, note: str) -> bool:
    """Close a run that was cut short as failed, then notify; False when someone else closed it first."""
    if not close_interrupted(report, note):
        return False
    notify(report)
    return True


def resend_failed_deliveries(
    *, report: int | None, handler: str | None, since: datetime.datetime | None
) -> tuple[int, int]:
    """What every backend's deferred resend does (``resend_notifications --spool``): (sent, tried)."""
    results = resend(resendable(report=report, handler=handler, since=since))
    return sum(1 for result in results if result.outcome is not None and result.outcome.sent), len(results)
