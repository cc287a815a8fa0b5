"""Admin at 100,000 reports: the task list, the report list, a task's page and a report's page.

Run from the repository root::

    /work/main/.venv/bin/python benchmarks/admin.py            # 1,000 tasks, 10k then 100k reports
    /work/main/.venv/bin/python benchmarks/admin.py --quick    # 200 tasks, 1k then 5k reports
    /work/main/.venv/bin/python benchmarks/admin.py --database-url postgresql://u:p@127.0.0.1/scratch

A SQLite file in a temporary folder is filled with ``bulk_create``; each page is fetched through
Django's test client as a superuser, once to warm up, then ``--repeat`` times (the median is kept),
its queries counted with an execute wrapper. Targets (issue 16): every page <= 150 ms at
the larger size, <= 20 queries, and the same number of queries at both sizes. Every report's log
file is a path that does not exist, so a page that opens one would show it in a failed read.
Last, the report list is fetched again without its index (``taskmanager_report_list_idx``,
dropped for the purpose), for reference. Exits with 1 when a target is missed.

``--database-url`` (or ``TASKMANAGER_BENCH_DATABASE_URL``) runs it on another database,
such as PostgreSQL: give a scratch database, which it migrates and fills (and where it drops
the index at the end); ``--settings`` takes a settings module of your own instead.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import Row, median, print_results, setup_django, timed  # noqa: E402

LIMIT_MS = 150.0
LIMIT_QUERIES = 20


def fill(n_tasks: int, n_reports: int) -> None:
    """Top the database up to ``n_tasks`` tasks and ``n_reports`` reports, spread over the tasks."""
    from django.utils import timezone

    from taskmanager.models import AppCommand, Report, Task, TaskCategory

    command, _ = AppCommand.objects.get_or_create(app_name="django.core", name="check")
    category, _ = TaskCategory.objects.get_or_create(name="imports")
    if Task.objects.count() < n_tasks:
        Task.objects.bulk_create(
            Task(name=f"task {i}", command=command, category=category) for i in range(n_tasks)
        )
    task_ids = list(Task.objects.values_list("pk", flat=True))
    start = timezone.make_aware(datetime.datetime(2025, 1, 1))
    have = Report.objects.count()
    results = [Report.RESULT_OK, Report.RESULT_WARNINGS, Report.RESULT_ERRORS]
    tail = "\n".join(f"2025-01-01 00:00:00 INFO line {i}" for i in range(10))
    Report.objects.bulk_create(
        (
            Report(
                task_id=task_ids[i % len(task_ids)],
                invocation_result=results[i % 3],
                invocation_datetime=start + datetime.timedelta(minutes=i),
                end_datetime=start + datetime.timedelta(minutes=i, seconds=30),
                log=tail,
                logfile=f"/nonexistent/taskmanager-bench/run-{i}.log",
                n_log_lines=500,
                n_log_errors=i % 3,
                n_log_warnings=i % 5,
            )
            for i in range(have, n_reports)
        ),
        batch_size=5000,
    )
    Task.objects.update(
        cached_last_invocation_result=Report.RESULT_OK,
        cached_last_invocation_datetime=start,
        cached_last_invocation_n_errors=1,
        cached_last_invocation_n_warnings=2,
    )


def measure(label: str, repeat: int, only: str | None = None) -> dict[str, tuple[float, int]]:
    """Each page's median time (seconds) and query count (``only``: that page alone)."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from taskmanager.models import Report, Task

    user = User.objects.filter(username="admin").first() or User.objects.create_superuser(
        "admin", "admin@example.com", password=None
    )
    client = Client()
    client.force_login(user)
    task = Task.objects.order_by("pk").first()
    report = Report.objects.order_by("-pk").first()
    assert task is not None
    assert report is not None
    pages = {
        "task list": reverse("admin:taskmanager_task_changelist"),
        "report list": reverse("admin:taskmanager_report_changelist"),
        "task page": reverse("admin:taskmanager_task_change", args=(task.pk,)),
        "report page": reverse("admin:taskmanager_report_change", args=(report.pk,)),
    }
    figures: dict[str, tuple[float, int]] = {}
    for name, url in pages.items():
        if only is not None and name != only:
            continue
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        # An execute wrapper rather than the debug query log, which the request's end can reset.
        with connection.execute_wrapper(count):
            client.get(url)
        times = [timed(functools.partial(client.get, url)) for _ in range(repeat)]
        figures[name] = (median(times), len(queries))
    return figures


def drop_list_index() -> bool:
    """Drop the report list's index (migration 0006), to measure the list without it; False
    where there is none (code from before the index)."""
    from django.db import connection

    from taskmanager.models import Report

    found = [index for index in Report._meta.indexes if index.name == "taskmanager_report_list_idx"]
    if not found:
        return False
    with connection.schema_editor() as editor:
        editor.remove_index(Report, found[0])
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 tasks, 1k and 5k reports")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="a scratch database instead of a SQLite file")
    parser.add_argument("--settings", default="benchmarks.settings", help="a settings module of your own")
    args = parser.parse_args()
    if args.database_url:
        os.environ["TASKMANAGER_BENCH_DATABASE_URL"] = args.database_url
    n_tasks, sizes = (200, (1_000, 5_000)) if args.quick else (1_000, (10_000, 100_000))
    repeat = 2 if args.quick else args.repeat
    with tempfile.TemporaryDirectory(prefix="tm-bench-admin-") as folder:
        setup_django(folder, settings_module=args.settings)
        from django.db import connection

        vendor = connection.vendor
        by_size = {}
        for size in sizes:
            fill(n_tasks, size)
            by_size[size] = measure(f"{size} reports", repeat)
        without_index = None
        if drop_list_index():
            without_index = measure("without the index", repeat, only="report list")["report list"]
    small, big = sizes
    rows: list[Row] = []
    for page in by_size[big]:
        (t_small, q_small), (t_big, q_big) = by_size[small][page], by_size[big][page]
        rows.append(Row(page, f"{small:,} reports", f"{t_small * 1000:.1f} ms", f"{q_small} q"))
        rows.append(
            Row(
                page,
                f"{big:,} reports",
                f"{t_big * 1000:.1f} ms",
                f"{q_big} q",
                f"<= {LIMIT_MS:.0f} ms, <= {LIMIT_QUERIES} q, q same",
                t_big * 1000 <= LIMIT_MS and q_big <= LIMIT_QUERIES and q_big == q_small,
            )
        )
    if without_index is not None:
        with_index = by_size[big]["report list"][0]
        rows.append(
            Row(
                "report list",
                f"{big:,} reports, without its index (reference)",
                f"{without_index[0] * 1000:.1f} ms",
                f"{without_index[0] / with_index:.2f}x",
            )
        )
    return print_results(rows, f"Admin pages, {n_tasks:,} tasks, {vendor}, median of {repeat} requests")


if __name__ == "__main__":
    sys.exit(main())
