"""Run a task here and tell the team: the runs layer's report, then its notifications."""

from __future__ import annotations

import logging

from taskmanager.models import Report, Task
from taskmanager.runs.interrupted import close_interrupted
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


def run_and_notify(task: Task) -> Report:
    """Run ``task`` now, in this process; its report is saved, then notified."""
    return run_task(task, on_saved=notify)


def close_and_notify(report: Report, note: str) -> bool:
    """Close a run that was cut short as failed, then notify; False when someone else closed it first."""
    if not close_interrupted(report, note):
        return False
    notify(report)
    return True
