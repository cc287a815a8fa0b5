"""Reading the admin's pages in tests, and a report with a log file for them to show."""

import contextlib
import datetime
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from django.contrib.messages import get_messages
from django.db import connection
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


def add_reports(task: Task, n: int, logfile: str = "") -> None:
    """``n`` more reports of ``task``, one a minute, in one query (for pages that must not grow)."""
    start = timezone.make_aware(datetime.datetime(2026, 3, 1)) + datetime.timedelta(
        days=Report.objects.count()
    )
    Report.objects.bulk_create(
        Report(
            task=task,
            invocation_result=Report.RESULT_OK,
            invocation_datetime=start + datetime.timedelta(minutes=i),
            end_datetime=start + datetime.timedelta(minutes=i, seconds=5),
            log=f"stored tail of run {i}",
            logfile=logfile,
            n_log_lines=100,
        )
        for i in range(n)
    )


def queries_of(client, url: str) -> list[str]:
    """The SQL a GET of ``url`` runs (an execute wrapper: Django's query log is reset by requests)."""
    queries: list[str] = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        page(client.get(url))
    return queries


_opened: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _opened is not None and isinstance(args[0], str):
        _opened.append(args[0])


@contextlib.contextmanager
def files_opened() -> Iterator[list[str]]:
    """The paths opened inside the block, told by Python's ``open`` audit event (a hook, once
    added, stays for the process: it records only while a block is open)."""
    global _opened
    if not getattr(files_opened, "hooked", False):
        sys.addaudithook(_audit)
        files_opened.hooked = True  # type: ignore[attr-defined]
    _opened = []
    try:
        yield _opened
    finally:
        _opened = None
