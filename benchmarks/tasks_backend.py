"""The Tasks backend on PostgreSQL against uWSGI's spooler: launch-to-start latency and throughput.

Run from the repository root::

    /work/main/.venv/bin/python benchmarks/tasks_backend.py            # 1, 2, 4 workers (~3 min)
    /work/main/.venv/bin/python benchmarks/tasks_backend.py --runs 3   # the whole table three times
    /work/main/.venv/bin/python benchmarks/tasks_backend.py --quick    # 1 and 2 workers, a few launches

It needs a PostgreSQL server: with ``TASKMANAGER_TEST_POSTGRES`` unset it runs itself again
through ``scripts/postgres.sh``, which starts a throwaway one.

Both engines run the same no-op command (``tests.sampleapp``'s ``does_nothing``), on a fresh
copy of one migrated database on that server, and are launched the same way: the admin's
"Launch" action over HTTP (what a user does), in ``runserver`` for the Tasks backend with
``db_worker`` processes (``--interval 0.1``) beside it, in uWSGI (2 web workers) for the
spooler (``--spooler-processes N``, ``--spooler-frequency 1``: uWSGI's default is 30 s).

- **latency**: launch one task, wait for its report, again (``--launches`` times, after one
  launch to warm up): from just before the POST to the report's start time (the worker's clock
  is this machine's); median and 90th percentile.
- **throughput**: the workers (spoolers) frozen (SIGSTOP), one POST launching ``--rides``
  tasks; rides per second from letting them go (SIGCONT) to the end of the last report: how
  fast they drain a queue, the launching left out.

Figures, not targets: nothing here fails on a time. docs/performance.rst has them and what they mean.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER_ENV = "TASKMANAGER_TEST_POSTGRES"
MISSING_ENV = "TASKMANAGER_TEST_POSTGRES_MISSING"


@dataclass(frozen=True)
class Sizes:
    workers: tuple[int, ...]
    launches: int
    rides: int


FULL = Sizes(workers=(1, 2, 4), launches=30, rides=200)
QUICK = Sizes(workers=(1, 2), launches=3, rides=10)


@dataclass
class Figures:
    engine: str
    workers: int
    run: int
    latencies: list[float]
    rides_per_second: float

    @property
    def median(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p90(self) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=10, method="inclusive")[-1]


class WebProcess(Protocol):
    def url(self, path: str) -> str: ...


@dataclass
class Engine:
    """A web process launching tasks (``url``) and the processes running them (``pids``)."""

    web: WebProcess
    pids: list[int]

    def url(self, path: str) -> str:
        return self.web.url(path)

    def pause(self) -> None:
        """Freeze the processes running tasks (SIGSTOP): launches pile up in the queue."""
        for pid in self.pids:
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in self.pids:
            os.kill(pid, signal.SIGCONT)


# -- the engines ----------------------------------------------------------------------------------


@contextlib.contextmanager
def tasks_engine(database: object, n: int, folder: Path) -> Iterator[Engine]:
    """``runserver`` on the Tasks backend, and ``n`` db_worker processes."""
    from tests.postgres import PostgresDatabase, WebServer, Workers

    assert isinstance(database, PostgresDatabase)
    web = WebServer(database, folder)
    workers = Workers(database, folder)
    try:
        started = workers.start(n)
        yield Engine(web, [process.popen.pid for process in started])
    finally:
        workers.stop()
        web.process.stop(grace=5)


@contextlib.contextmanager
def uwsgi_engine(database: object, n: int, folder: Path) -> Iterator[Engine]:
    """uWSGI with 2 web workers and ``n`` spooler processes, on the same database."""
    from tests.execution.uwsgi.uwsgi_support import UwsgiServer, free_port
    from tests.postgres import PostgresDatabase

    assert isinstance(database, PostgresDatabase)
    spool = folder / "spool"
    spool.mkdir()
    port = free_port()
    args = [
        "--master", "--need-app",
        "--http", f"127.0.0.1:{port}",
        "--module", "tests.execution.uwsgi.uwsgi_wsgi:application",
        "--pythonpath", str(ROOT),
        "--processes", "2",
        "--spooler", str(spool),
        "--spooler-processes", str(n),
        "--spooler-frequency", "1",
        "--spooler-import", "taskmanager.spooler",
    ]  # fmt: skip
    env = database.env(TASKMANAGER_TEST_BACKEND="uwsgi")
    server = UwsgiServer(
        port=port, spool=spool, media=database.media, log=folder / "uwsgi.log", env=env, args=args
    )
    try:
        server.start()
        spawned = re.findall(r"spawned the uWSGI spooler on dir .* with pid (\d+)", server.log_text())
        assert len(spawned) == n, server.log_text()
        yield Engine(server, [int(pid) for pid in spawned])
    finally:
        server.stop()


ENGINES = {"tasks (db_worker)": tasks_engine, "uwsgi (spooler)": uwsgi_engine}


# -- the measures ---------------------------------------------------------------------------------


def make_tasks(n: int, label: str) -> list[int]:
    from taskmanager.models import AppCommand, Task
    from tests.postgres import ALIAS

    command = AppCommand.objects.using(ALIAS).get(name="does_nothing")
    tasks = Task.objects.using(ALIAS).bulk_create(
        Task(name=f"{label} {i}", command=command) for i in range(n)
    )
    return [task.pk for task in tasks]


def wait_for_reports(task_ids: list[int], *, ended: bool, timeout: float = 120.0) -> list[float]:
    """The start (or end) times of the reports of ``task_ids`` (epoch seconds), once all are there."""
    from taskmanager.models import Report
    from tests.postgres import ALIAS

    deadline = time.monotonic() + timeout
    while True:
        reports = Report.objects.using(ALIAS).filter(task_id__in=task_ids)
        if ended:
            reports = reports.exclude(end_datetime=None)
        times = list(reports.values_list("end_datetime" if ended else "invocation_datetime", flat=True))
        if len(times) >= len(task_ids):
            return [moment.timestamp() for moment in times if moment is not None]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(times)} of {len(task_ids)} reports after {timeout} s")
        time.sleep(0.01)


def measure(engine: str, n: int, run: int, sizes: Sizes, url: str, template: str, folder: Path) -> Figures:
    from tests.execution.uwsgi.uwsgi_support import AdminClient
    from tests.postgres import PostgresDatabase, admin_sql, release_database, use_database

    name = f"taskmanager_bench_{os.getpid()}_{engine.split()[0]}_{n}_{run}"
    admin_sql(url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    folder.mkdir()
    (folder / "media").mkdir()
    database = PostgresDatabase(url=url, name=name, media=folder / "media")
    use_database(url, name)
    try:
        with ENGINES[engine](database, n, folder) as server:
            # Launching hundreds in one request takes a while on a busy machine.
            admin = AdminClient(server, timeout=300)
            admin.login()
            [warm_up] = make_tasks(1, "warm-up")
            admin.task_action("launch_tasks", warm_up)
            wait_for_reports([warm_up], ended=True)

            latencies = []
            for task_id in make_tasks(sizes.launches, "latency"):
                launched = time.time()
                admin.task_action("launch_tasks", task_id)
                [started] = wait_for_reports([task_id], ended=False)
                latencies.append(started - launched)
                wait_for_reports([task_id], ended=True)

            batch = make_tasks(sizes.rides, "throughput")
            server.pause()
            try:
                admin.task_action("launch_tasks", *batch)
            finally:
                resumed = time.time()
                server.resume()
            ends = wait_for_reports(batch, ended=True)
            rides_per_second = len(batch) / (max(ends) - resumed)
    finally:
        release_database()
        admin_sql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return Figures(engine, n, run, latencies, rides_per_second)


# -- the table ------------------------------------------------------------------------------------


def print_table(figures: list[Figures], sizes: Sizes) -> None:
    head = ["engine", "workers", "run", "latency median", "latency p90", "rides/s"]
    cells = [
        [
            f.engine,
            str(f.workers),
            str(f.run),
            f"{f.median * 1000:.0f} ms",
            f"{f.p90 * 1000:.0f} ms",
            f"{f.rides_per_second:.1f}",
        ]
        for f in figures
    ]
    widths = [max(len(line[i]) for line in [head, *cells]) for i in range(len(head))]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))
        )

    print(
        f"launch-to-start latency ({sizes.launches} launches, one at a time) and throughput "
        f"({sizes.rides} no-op rides launched at once), on PostgreSQL, {os.cpu_count()} cores"
    )
    print(line(head))
    print(line(["-" * w for w in widths]))
    previous = None
    for figure, values in zip(figures, cells, strict=True):
        if previous is not None and figure.engine != previous:
            print()
        print(line(values))
        previous = figure.engine


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1 and 2 workers, 3 launches, 10 rides")
    parser.add_argument("--runs", type=int, default=1, help="measure everything this many times")
    parser.add_argument("--launches", type=int, help="launches timed one at a time (latency)")
    parser.add_argument("--rides", type=int, help="rides launched at once (throughput)")
    options = parser.parse_args()

    if not os.environ.get(SERVER_ENV):
        if os.environ.get(MISSING_ENV):
            print(f"No PostgreSQL: {os.environ[MISSING_ENV]}", file=sys.stderr)
            return 2
        # Once more, with a throwaway server around this process.
        return subprocess.call(["bash", str(ROOT / "scripts" / "postgres.sh"), sys.executable, *sys.argv])

    sizes = QUICK if options.quick else FULL
    sizes = Sizes(
        workers=sizes.workers,
        launches=options.launches or sizes.launches,
        rides=options.rides or sizes.rides,
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings_postgres"
    import django

    django.setup()
    from tests.postgres import admin_sql, migrated_template

    url = os.environ[SERVER_ENV]
    template = migrated_template(url)
    figures = []
    try:
        with tempfile.TemporaryDirectory(prefix="taskmanager-bench-tasks-") as tmp:
            for run in range(1, options.runs + 1):
                # Engines take turns, who goes first changing with the run: a machine getting
                # busier weighs on both alike.
                engines = list(ENGINES) if run % 2 else list(reversed(ENGINES))
                for n in sizes.workers:
                    for engine in engines:
                        folder = Path(tmp) / f"{engine.split()[0]}-{n}-{run}"
                        figures.append(measure(engine, n, run, sizes, url, template, folder))
    finally:
        admin_sql(url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    figures.sort(key=lambda f: (f.engine, f.workers, f.run))
    print_table(figures, sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
