"""The jobs of our spool files, as the spooler runs them: a task's ride, or a resend.

:mod:`taskmanager.spooler` hands each of our spool files to one of these, with
the file's arguments and its name (``spooler_task_name``). uWSGI deletes the
file once the job returns, and runs it again if its spooler died first: a job
must be safe to run twice, so a task's job first looks at what the task and its
reports say before running anything (see :func:`run_task_job`).
"""

from __future__ import annotations

import datetime
import logging
import os
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from taskmanager.execution.running import exec_started_run, resend_failed_deliveries
from taskmanager.execution.uwsgi import recovery
from taskmanager.execution.uwsgi.rides import claim, ride_ran, spool_next_ride
from taskmanager.models import Report, Task
from taskmanager.runs.runner import start_run

logger = logging.getLogger("taskmanager.spooler")


def _parse_moment(value: str | None) -> datetime.datetime | None:
    return parse_datetime(value) if value else None


def run_task_job(args: dict[str, Any]) -> Report | None:
    """Run the ride of a spool file, then spool the task's next ride; returns the report if it ran.

    A file's ride starts the command at most once. When the file is still the
    one the task waits for (``Task.spooler_id``) and

    * its ride already ran (the spooler stopped after the run, before letting
      go of the file): nothing runs, the next ride is spooled;
    * its run began and never ended (the spooler died in it): the run is
      closed as failed and notified, never started over; the next ride is
      spooled. A recovery in another spooler process may be closing it at the
      same time: one of them does, and the file is not run either way.

    Otherwise the ride runs if :func:`~taskmanager.execution.uwsgi.rides.claim`
    takes the task for it: not when it was stopped, launched again, or is
    started (by this file before, or by a recovery's doing). A run started by
    hand (``runtask``) before the ride does not hold it up: the ride runs beside it.
    Then the next ride is spooled.
    """
    name = os.path.basename(str(args["spooler_task_name"]))
    ride = _parse_moment(args.get("ride")) or timezone.now()
    anchor = _parse_moment(args.get("anchor"))
    task = Task.objects.select_related("command").filter(pk=int(args["task"])).first()
    if task is None:
        logger.info("Spool file %s: its task %s is gone.", name, args["task"])
        return None
    ours = task.spooler_id.endswith(f"/{name}")
    if ours and task.status != Task.STATUS_STARTED and ride_ran(task, ride):
        # Run already, by this very file.
        spool_next_ride(task, replacing=task.spooler_id, after=max(timezone.now(), ride), anchor=anchor)
        return None
    if ours and task.status == Task.STATUS_STARTED:
        report = recovery.interrupted_report(task)
        if report is not None or recovery.run_of_ride(task, ride) is not None:
            # This file's run began before and never ended: its spooler died. Closed here,
            # or by a recovery meanwhile (then close_cut_short does nothing).
            if report is not None:
                recovery.close_cut_short(report, by=recovery.BY_SPOOLER)
            spool_next_ride(task, replacing=task.spooler_id, after=timezone.now(), anchor=anchor)
            return None
        # Started by a run by hand before this ride; it goes on beside it.
        return _run(task, task.spooler_id, ride, anchor)
    # Taken and started together: a spooler dying in between leaves neither done.
    with transaction.atomic():
        if not claim(task.pk, name, ride):
            logger.info(
                "Spool file %s: task %s was stopped, launched again or started; not run.", name, task.pk
            )
            return None
        started = start_run(task)
    task.refresh_from_db(fields=["spooler_id"])
    return _run(task, task.spooler_id, ride, anchor, started)


def _run(
    task: Task,
    path: str,
    ride: datetime.datetime,
    anchor: datetime.datetime | None,
    started: Report | None = None,
) -> Report:
    report = exec_started_run(task, started)
    spool_next_ride(task, replacing=path, after=max(timezone.now(), ride), anchor=anchor)
    return report


def run_resend_job(args: dict[str, Any]) -> None:
    """Resend the failed deliveries matching the file's filters (``resend_notifications --spool``)."""
    report = int(args["report"]) if args.get("report") else None
    sent, tried = resend_failed_deliveries(
        report=report, handler=args.get("handler") or None, since=_parse_moment(args.get("since"))
    )
    logger.info("Resent %d of %d failed deliveries.", sent, tried)
