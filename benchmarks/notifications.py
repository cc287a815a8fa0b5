"""What notifications cost beside delivery, and how they scale (issue 7).

Run from the repository root::

    .venv/bin/python benchmarks/notifications.py            # about 45 s
    .venv/bin/python benchmarks/notifications.py --quick    # a few iterations, to see it works
    .venv/bin/python benchmarks/notifications.py --only 2   # one target (repeatable)

SQLite runs in WAL mode with synchronous=NORMAL; ``--journal delete`` gives
SQLite's default journal, which waits for the disk at every commit. ``--database-url``
runs it on a scratch PostgreSQL database instead (issue 16: every figure on both)::

    scripts/postgres.sh bash -c \
        '.venv/bin/python benchmarks/notifications.py --database-url "$TASKMANAGER_TEST_POSTGRES"'


It migrates a database file in a temporary folder (``benchmarks/settings.py``),
starts the loopback Slack fake and SMTP server in a process of their own
(``benchmarks/servers.py``: as real servers, they do not compete with the
code measured for this interpreter's lock), and runs six benchmarks, each a
module whose docstring says what it measures and its target:

1. ``emit_overhead.py``: emit against the same deliveries made by hand (at most 1.25x; CPU 1.5x).
2. ``render_time.py``: rendering every part of the four built-in handlers (at most 0.5 ms).
3. ``log_size.py``: emit for a 20 MB log file against a 2 kB one (at most 1.1x).
4. ``fan_out.py``: 1, 3 and 50 Slack handlers behind 0.5 s of latency each.
5. ``capture_cost.py``: ``capture.py --json``, runtask of a 40 MB command.
6. ``startup_time.py``: process start-up and ``check`` with ten handlers and with none.
7. ``first_emit.py``: the first emission in a fresh process; runtask with handlers and without.

``harness.py`` times them (each measured step runs in turn with the ones it is compared
to, so that a machine getting busier or quieter affects both sides alike) and prints one
table; the script exits with 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# Run as a script, Python puts benchmarks/ on the path, not the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import FULL, QUICK, Row, print_results, setup_django
from benchmarks.servers import Servers

TARGETS = range(1, 8)


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument(
        "--quick", action="store_true", help="a few iterations of each step (figures not meaningful)"
    )
    parser.add_argument(
        "--journal",
        choices=("wal", "delete"),
        default="wal",
        help="SQLite journal: wal (synchronous=NORMAL, the default) or delete (SQLite's default: "
        "the disk is flushed at every commit)",
    )
    parser.add_argument(
        "--database-url",
        help="a scratch database (postgresql://...) instead of a SQLite file: it is migrated and "
        "filled (also TASKMANAGER_BENCH_DATABASE_URL)",
    )
    parser.add_argument(
        "--only",
        type=int,
        action="append",
        choices=TARGETS,
        metavar="N",
        help="run target N only (repeatable)",
    )
    return parser.parse_args()


def main() -> int:
    options = parse_options()
    sizes = QUICK if options.quick else FULL
    wanted = set(options.only or TARGETS)
    if options.database_url:  # the fresh processes of targets 6 and 7 inherit it
        os.environ["TASKMANAGER_BENCH_DATABASE_URL"] = options.database_url

    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="taskmanager-notify-bench-") as folder:
        setup_django(folder, options.journal)
        # The benchmarks import the models, which exist only once Django is set up.
        from django.db import connection
        from django.test import override_settings

        database = f"SQLite journal {options.journal}" if connection.vendor == "sqlite" else connection.vendor

        from benchmarks import (
            capture_cost,
            emit_overhead,
            fan_out,
            first_emit,
            log_size,
            render_time,
            startup_time,
        )
        from benchmarks.workload import Reports

        with Servers() as fake:
            mail_settings = override_settings(
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST=fake.host,
                EMAIL_PORT=fake.smtp_port,
                EMAIL_TIMEOUT=10,
            )
            with mail_settings:
                reports = Reports(Path(folder))
                started = time.perf_counter()
                steps: dict[int, Callable[[], list[Row]]] = {
                    1: lambda: emit_overhead.measure(sizes, fake, reports),
                    2: lambda: render_time.measure(sizes, reports),
                    3: lambda: log_size.measure(sizes, fake, reports),
                    4: lambda: fan_out.measure(sizes, fake, reports),
                    5: lambda: capture_cost.measure(sizes),
                    6: lambda: startup_time.measure(sizes, fake, folder),
                    7: lambda: first_emit.measure(sizes, fake, folder),
                }
                rows = [row for number, step in steps.items() if number in wanted for row in step()]
                elapsed = time.perf_counter() - started
    title = (
        f"Notifications benchmark{' (--quick: figures not meaningful)' if options.quick else ''}: "
        f"{os.cpu_count()} CPUs, load average {load:.2f} before it started, {elapsed:.0f} s, "
        f"{database}"
    )
    return print_results(rows, title)


if __name__ == "__main__":
    sys.exit(main())
