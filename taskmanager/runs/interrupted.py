"""Close a run that was cut short (its process died): the report ends as failed, with a note."""

from __future__ import annotations

import os

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from taskmanager.conf import settings
from taskmanager.logfiles import count_lines, logfile_path
from taskmanager.models import Report, Task
from taskmanager.results import Result

#: A run still going on, or cut short and not closed yet: no end and no result. A run ends with
#: both; a report of 2.x has a result but, upgraded, no end (3.0 added the field): it is finished.
OPEN = Q(end_datetime__isnull=True, invocation_result="")

NOTE_INTERRUPTED = (
    "[taskmanager] This run was interrupted: the uWSGI spooler running it stopped (killed or restarted) "
    "before the command ended. Marked failed {by}."
)
NOTE_FOREGROUND = (
    "[taskmanager] This run was interrupted: the process running it in the foreground stopped before "
    "the command ended. Marked failed by restart_despooled_tasks --foreground."
)


def open_reports(task: Task) -> QuerySet[Report]:
    """The task's reports of runs not ended (see :data:`OPEN`), the newest first."""
    return task.report_set.filter(OPEN).order_by("-invocation_datetime", "-id")


def close_interrupted(report: Report, note: str) -> bool:
    """Close an open report (see :data:`OPEN`) as failed, with ``note`` at the end of its log.

    Returns False when it is not open: someone else closed it first, or its run ended.
    """
    # One transaction: nobody sees the report closed without its note, and a second
    # closer (the command racing a new spooler) finds it closed and does nothing.
    with transaction.atomic():
        now = timezone.now()
        closed = Report.objects.filter(OPEN, pk=report.pk).update(
            end_datetime=now, invocation_result=Result.FAILED
        )
        if not closed:
            return False
        report.refresh_from_db()
        path = logfile_path(report.task, report, report.invocation_datetime)
        if os.path.isfile(path):
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(f"\n{note}\n")
            report.logfile = path
            report.n_log_lines = count_lines(path)
            report.log = "\n".join(report.log_tail_lines(settings.N_LINES_IN_REPORT_LOG))
            if not settings.SAVE_LOGFILE:
                os.remove(path)
                report.logfile = ""
        else:
            report.log = note
            report.n_log_lines = 1
        report.save(update_fields=["logfile", "n_log_lines", "log"])
        task = report.task
        if task.last_report == report:
            task.record_last_run(report)
    return True
