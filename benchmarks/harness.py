"""The benchmark harness: how often to run, timing, taking turns, medians, the table.

The benchmarks themselves (``emit_overhead.py``, ``render_time.py``, ...) say what is
measured; this module times it and reports it. Nothing here imports taskmanager, so the
scripts can import it before Django is set up (:func:`setup_django`).
"""

from __future__ import annotations

import functools
import os
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import django
from django.core.management import call_command
from django.db.backends.signals import connection_created

ROOT = Path(__file__).resolve().parent.parent

K = TypeVar("K")


@dataclass
class Sizes:
    """How many times each step runs."""

    overhead: int
    render: int
    log_size: int
    fan_out: int
    capture_lines: int
    capture_repeat: int
    startup: int
    first_emit: int


FULL = Sizes(
    overhead=30,
    render=1000,
    log_size=30,
    fan_out=5,
    capture_lines=200_000,
    capture_repeat=3,
    startup=12,
    first_emit=8,
)
QUICK = Sizes(
    overhead=3,
    render=20,
    log_size=3,
    fan_out=1,
    capture_lines=2_000,
    capture_repeat=1,
    startup=2,
    first_emit=1,
)


@dataclass
class Row:
    """One line of the table: a figure, and the target it is held to, if any."""

    target: str
    what: str
    measured: str
    ratio: str = ""
    limit: str = ""
    ok: bool | None = None  # None: a figure for reference, no target


# -- timing ----------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def iqr(values: list[float]) -> float:
    """The interquartile range: the run-to-run spread, robust to one slow run."""
    if len(values) < 2:
        return 0.0
    q1, _q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q3 - q1


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def interleaved(runs: int, steps: Mapping[K, Callable[[int], Any]]) -> dict[K, list[float]]:
    """Time each step ``runs`` times, taking turns (and rotating who goes first).

    A machine getting busier or quieter then affects every side of a comparison alike.
    """
    names = list(steps)
    times: dict[K, list[float]] = {name: [] for name in names}
    for run in range(runs):
        shift = run % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(timed(functools.partial(steps[name], run)))
    return times


# -- the process -----------------------------------------------------------------------------------


def setup_django(folder: str, journal: str = "wal", settings_module: str = "benchmarks.settings") -> None:
    """Django on a database file in ``folder``, SQLite's journal in ``journal`` mode (or on the
    database of ``TASKMANAGER_BENCH_DATABASE_URL``, or of another ``settings_module``)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ["TASKMANAGER_BENCH_DIR"] = folder
    os.environ.pop("TASKMANAGER_BENCH_HANDLERS", None)

    def pragmas(sender: Any, connection: Any, **kwargs: Any) -> None:
        if connection.vendor == "sqlite" and journal == "wal":
            # What a production SQLite runs with: no disk flush at every commit.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")

    connection_created.connect(pragmas, weak=False)
    django.setup()
    call_command("migrate", verbosity=0)


def child_env(folder: str, **extra: str) -> dict[str, str]:
    """The environment of a fresh process of the benchmarks: the benchmark settings on the
    database of ``folder``, and bytecode kept in ``folder`` (an installed package has its
    bytecode; without it every start-up would compile slack_sdk, Jinja and Django again)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "PYTHONPATH": str(ROOT),
        "TASKMANAGER_BENCH_DIR": folder,
        "TASKMANAGER_BENCH_WAL": "1",
        "PYTHONPYCACHEPREFIX": os.path.join(folder, "pycache"),
        **extra,
    }
    for name in ("PYTHONDONTWRITEBYTECODE", "TASKMANAGER_BENCH_HANDLERS", "TASKMANAGER_BENCH_SLOW_START_MS"):
        if name not in extra:
            env.pop(name, None)
    return env


# -- the table -------------------------------------------------------------------------------------


def print_table(rows: list[Row], title: str) -> None:
    """One table, a blank line between targets; medians and ratios right-aligned."""
    cells = [
        [
            row.target,
            row.what,
            row.measured,
            row.ratio,
            row.limit,
            "" if row.ok is None else ("PASS" if row.ok else "FAIL"),
        ]
        for row in rows
    ]
    head = ["#", "measure", "median", "ratio", "target", "result"]
    widths = [max(len(line[i]) for line in [head, *cells]) for i in range(len(head))]
    right = {2, 3}

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if i in right else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    print(title)
    print(line(head))
    print(line(["-" * w for w in widths]))
    previous = None
    for row, values in zip(rows, cells, strict=True):
        if previous is not None and row.target != previous:
            print()
        print(line(values))
        previous = row.target


def verdict(rows: list[Row]) -> tuple[str, int]:
    """The last line of the output and the exit status: 1 when a target is missed."""
    missed = [row for row in rows if row.ok is False]
    if missed:
        return f"{len(missed)} target(s) missed", 1
    return "every target met", 0


def print_results(rows: list[Row], title: str) -> int:
    """The table, then the verdict as the last line; the exit status (1 when a target is missed)."""
    print_table(rows, title)
    last_line, status = verdict(rows)
    print()
    print(last_line)
    return status
