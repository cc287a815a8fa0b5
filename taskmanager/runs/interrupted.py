"""Close a run that was cut short (its process died): the report ends as failed, with a note."""

from __future__ import annotations

import os

from django.db import transaction
from django.utils import timezone

from taskmanager.conf import settings
from taskmanager.logfiles import count_lines, logfile_path
from taskmanager.models import Report
from taskmanager.results import Result

NOTE_INTERRUPTED = (
    "[taskmanager] This run was interrupted: the uWSGI spooler running it stopped (killed or restarted) "
    "before the command ended. Marked failed {by}."
)
NOTE_FOREGROUND = (
    "[taskmanager] This run was interrupted: the process running it in the foreground stopped before "
    "the command ended. Marked failed by restart_despooled_tasks --foreground."
)


def close_interrupted(report: Report, note: str) -> bool:
    """Close an open report as failed, with ``note`` at the end of its log.

    Returns False when someone else closed it first.
    """
    # One transaction: nobody sees the report closed without its note, and a second
    # closer (the command racing a new spooler) finds it closed and does nothing.
    with transaction.atomic():
        now = timezone.now()
        closed = Report.objects.filter(pk=report.pk, end_datetime__isnull=True).update(
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
