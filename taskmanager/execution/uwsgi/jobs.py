"""The jobs of our spool files, as the spooler runs them: a task's ride, or a resend."""

from __future__ import annotations

import datetime
import logging
import os
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from taskmanager.execution.running import close_and_notify
from taskmanager.execution.uwsgi import recovery
from taskmanager.execution.uwsgi.rides import claim, exec_command_task, ride_ran, spool_next_ride
from taskmanager.models import Report, Task
from taskmanager.notifications.resend import resend, resendable
from taskmanager.runs.interrupted import NOTE_INTERRUPTED

logger = logging.getLogger("taskmanager.spooler")


def _parse_moment(value: str | None) -> datetime.datetime | None:
    return parse_datetime(value) if value else None


def run_task_job(args: dict[str, Any]) -> Report | None:
    """Run the task of a spool file, then spool its next ride; returns the report if it ran."""
    name = os.path.basename(str(args["spooler_task_name"]))
    ride = _parse_moment(args.get("ride")) or timezone.now()
    anchor = _parse_moment(args.get("anchor"))
    task = Task.objects.select_related("command").filter(pk=int(args["task"])).first()
    if task is None:
        logger.info("Spool file %s: its task %s is gone.", name, args["task"])
        return None
    ours = task.spooler_id.endswith(f"/{name}")
    if ours and task.status != Task.STATUS_STARTED and ride_ran(task, ride):
        # Run already, by this very file: its spooler stopped after the run but
        # before letting go of the file (sending notifications, say).
        spool_next_ride(task, replacing=task.spooler_id, after=max(timezone.now(), ride), anchor=anchor)
        return None
    if ours and task.status == Task.STATUS_STARTED:
        report = recovery.interrupted_report(task)
        if report is not None:
            # This file's run began before and never ended: its spooler died.
            close_and_notify(report, NOTE_INTERRUPTED.format(by=recovery.BY_SPOOLER))
            spool_next_ride(task, replacing=task.spooler_id, after=timezone.now(), anchor=anchor)
            return None
    if not claim(task.pk, name):
        logger.info("Spool file %s: task %s was stopped or launched again; not run.", name, task.pk)
        return None
    task.refresh_from_db(fields=["spooler_id"])
    path = task.spooler_id
    report = exec_command_task(task)
    spool_next_ride(task, replacing=path, after=max(timezone.now(), ride), anchor=anchor)
    return report


def run_resend_job(args: dict[str, Any]) -> None:
    report = int(args["report"]) if args.get("report") else None
    deliveries = resendable(
        report=report, handler=args.get("handler") or None, since=_parse_moment(args.get("since"))
    )
    results = resend(deliveries)
    sent = sum(1 for result in results if result.outcome is not None and result.outcome.sent)
    logger.info("Resent %d of %d failed deliveries.", sent, len(results))
