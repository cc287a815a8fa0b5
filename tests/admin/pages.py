"""Reading the admin's pages in tests, and a report with a log file for them to show."""

import datetime
import re
from pathlib import Path

from django.contrib.messages import get_messages
from django.utils import timezone

from taskmanager.models import Report, Task


def add_report(task: Task, n: int, tmp_path: Path, result: str = Report.RESULT_WARNINGS) -> Report:
    """Report number ``n`` of ``task``, started ``n`` minutes after midnight, with a log file."""
    lines = [f"run {n} line {i}" for i in range(1, 9)] + [
        f"WARNING run {n} price missing",
        f"tail of run {n}",
    ]
    logfile = tmp_path / f"run-{n}.log"
    logfile.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = timezone.make_aware(datetime.datetime(2026, 3, 1, 0, n))
    report = Report.objects.create(
        task=task,
        invocation_result=result,
        invocation_datetime=started,
        end_datetime=started + datetime.timedelta(seconds=75),
        log="\n".join(lines[-3:]),
        logfile=str(logfile),
        n_log_lines=len(lines),
        n_log_errors=0,
        n_log_warnings=1,
    )
    Task.objects.filter(pk=task.pk).update(
        cached_last_invocation_result=result,
        cached_last_invocation_datetime=started,
        cached_last_invocation_n_errors=0,
        cached_last_invocation_n_warnings=1,
    )
    return report


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def result_list(response) -> str:
    """The changelist's table of results, without the filters beside it."""
    match = re.search(r'<table id="result_list">.*?</table>', page(response), re.S)
    assert match, "no result list on the page"
    return match.group(0)


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]
