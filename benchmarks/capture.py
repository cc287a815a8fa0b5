"""What capturing a task's output costs: peak memory and wall time of a 40 MB run.

Run from the repository root::

    /work/main/.venv/bin/python benchmarks/capture.py [--lines 200000] [--repeat 3]

In a temporary folder it migrates a database file, makes a task running the
``writes_lines`` sample command (``--lines`` lines of 200 bytes: 40 MB), then
times, each in a fresh process and ``--repeat`` times (best run kept):

* ``manage.py runtask``: the run captured into a report and its log file;
* ``manage.py writes_lines N > /dev/null``: the same command, output thrown away;
* ``manage.py writes_lines 0 > /dev/null``: Django's start-up alone, for scale.

Peak RSS is the child's own ``ru_maxrss`` (``os.wait4``). Targets: peak RSS of
runtask below 150 MB (issue 2), then at most 100 MB and wall time at most 1.5x
the /dev/null run (issue 7). Exits with 1 when the issue 2 target is missed.

``--json`` prints the figures as one JSON object instead of the table
(``benchmarks/notifications.py`` folds them into its own).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TASK_NAME = "bench 40MB"
MIXED_TASK_NAME = "bench mixed"
#: Above this peak RSS the run held its output in memory: the script exits with 1 (issue 2).
PEAK_RSS_LIMIT_MB = 150
#: What a captured run should stay within (issue 7), and its wall time against /dev/null.
PEAK_RSS_TARGET_MB = 100
WALL_RATIO_TARGET = 1.5
#: Mixed output (print, self.stdout, logging at every level) against /dev/null (issue 16).
MIXED_RATIO_TARGET = 1.3


@dataclass
class Measure:
    wall: float
    cpu: float
    rss_mb: float
    stdout: str


def measure(env: dict[str, str], args: list[str], *, devnull: bool | str = False) -> Measure:
    """Run ``python -m django *args`` in a fresh process; its wall time and peak RSS.

    ``devnull``: stdout to /dev/null; ``"both"``: stderr too.
    """
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "django", *args],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL if devnull else out,
            stderr=subprocess.DEVNULL if devnull == "both" else subprocess.PIPE,
        )
        errors = process.stderr.read() if process.stderr is not None else b""
        # wait4 gives this child's own rusage (not the max over all children).
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(args)} exited with {process.returncode}:\n{errors.decode()}")
        out.seek(0)
        stdout = out.read().decode()
    cpu = usage.ru_utime + usage.ru_stime
    return Measure(wall=wall, cpu=cpu, rss_mb=usage.ru_maxrss / 1024, stdout=stdout)


def best(env: dict[str, str], args: list[str], repeat: int, *, devnull: bool | str = False) -> Measure:
    runs = [measure(env, args, devnull=devnull) for _ in range(repeat)]
    return min(runs, key=lambda run: run.wall)


def mixed_counts(lines: int) -> str:
    """What runtask says of ``writes_mixed``: one warning and two errors in every seven lines."""
    kinds = [n % 7 for n in range(7)] * (lines // 7) + list(range(lines % 7))
    errors, warnings = sum(kind >= 5 for kind in kinds), kinds.count(4)
    result = "errors" if errors else "warnings" if warnings else "ok"
    return f"{result} ({errors} errors, {warnings} warnings)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--lines", type=int, default=200_000, help="lines of 200 bytes (default 200000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, best kept (default 3)")
    parser.add_argument(
        "--mixed-lines",
        type=int,
        default=1_000_000,
        help="lines of mixed output of about 200 bytes (default 1000000: 200 MB; 0 skips it)",
    )
    parser.add_argument("--quick", action="store_true", help="20000 lines of each, one run: a smoke test")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    options = parser.parse_args()
    if options.quick:
        options.lines, options.mixed_lines, options.repeat = 20_000, 20_000, 1

    with tempfile.TemporaryDirectory(prefix="taskmanager-bench-") as folder:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "PYTHONPATH": str(ROOT),
            "TASKMANAGER_BENCH_DIR": folder,
        }
        subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "django",
                "shell",
                "-c",
                "from taskmanager.models import AppCommand, Task\n"
                "c, _ = AppCommand.objects.get_or_create(app_name='tests.sampleapp', name='writes_lines')\n"
                f"Task.objects.create(name={TASK_NAME!r}, command=c, arguments={str(options.lines)!r})\n"
                "m, _ = AppCommand.objects.get_or_create(app_name='tests.sampleapp', name='writes_mixed')\n"
                f"Task.objects.create(name={MIXED_TASK_NAME!r}, command=m,"
                f" arguments={str(options.mixed_lines)!r})\n",
            ],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )

        startup = best(env, ["writes_lines", "0"], options.repeat, devnull=True)
        direct = best(env, ["writes_lines", str(options.lines)], options.repeat, devnull=True)
        captured = best(env, ["runtask", TASK_NAME], options.repeat)
        mixed_direct = mixed_captured = None
        if options.mixed_lines:
            mixed_args = ["writes_mixed", str(options.mixed_lines), "--log-to-stderr"]
            mixed_direct = best(env, mixed_args, options.repeat, devnull="both")
            mixed_captured = best(env, ["runtask", MIXED_TASK_NAME], options.repeat)

    summary = captured.stdout.strip()
    if not summary.startswith(f"{TASK_NAME}: ok (0 errors, 0 warnings)"):
        raise SystemExit(f"unexpected runtask output: {summary!r}")
    ratio = captured.wall / direct.wall
    megabytes = options.lines * 200 / 1_000_000
    if options.json:
        figures = {"lines": options.lines, "megabytes": megabytes, "repeat": options.repeat}
        for key, run in (("startup", startup), ("devnull", direct), ("runtask", captured)):
            figures[key] = {"wall": run.wall, "rss_mb": run.rss_mb}
        if mixed_direct and mixed_captured:
            figures["mixed_lines"] = options.mixed_lines
            figures["mixed_devnull"] = {"wall": mixed_direct.wall, "rss_mb": mixed_direct.rss_mb}
            figures["mixed_runtask"] = {"wall": mixed_captured.wall, "rss_mb": mixed_captured.rss_mb}
        print(json.dumps(figures))
        return 0 if captured.rss_mb < PEAK_RSS_LIMIT_MB else 1

    print(f"{options.lines:,} lines ({megabytes:.0f} MB), best of {options.repeat}")
    print(f"{'run':<34} {'wall (s)':>9} {'ratio':>6} {'peak RSS (MB)':>14}")
    rows = [
        ("django start-up (0 lines)", startup),
        ("command > /dev/null", direct),
        ("runtask (captured)", captured),
    ]
    for label, run in rows:
        print(f"{label:<34} {run.wall:>9.2f} {run.wall / direct.wall:>6.2f} {run.rss_mb:>14.1f}")
    if mixed_direct and mixed_captured:
        print(f"{options.mixed_lines:,} lines of print + self.stdout + logging at every level")
        for label, run in (("mixed > /dev/null", mixed_direct), ("runtask mixed (captured)", mixed_captured)):
            print(f"{label:<34} {run.wall:>9.2f} {run.wall / mixed_direct.wall:>6.2f} {run.rss_mb:>14.1f}")
        # CPU time (the child's user + system): what a busy machine disturbs least.
        cpu_ratio = mixed_captured.cpu / mixed_direct.cpu
        print(f"{'mixed CPU, captured / /dev/null':<34} {mixed_captured.cpu:>9.2f} {cpu_ratio:>6.2f}")
        expected = mixed_counts(options.mixed_lines)
        if not mixed_captured.stdout.strip().startswith(f"{MIXED_TASK_NAME}: {expected}"):
            raise SystemExit(f"unexpected runtask output: {mixed_captured.stdout.strip()!r}")
    print()
    checks = [
        (f"issue 2: runtask peak RSS < {PEAK_RSS_LIMIT_MB} MB", captured.rss_mb < PEAK_RSS_LIMIT_MB),
        (f"issue 7: runtask peak RSS <= {PEAK_RSS_TARGET_MB} MB", captured.rss_mb <= PEAK_RSS_TARGET_MB),
        (f"issue 7: wall <= {WALL_RATIO_TARGET}x /dev/null", ratio <= WALL_RATIO_TARGET),
    ]
    if mixed_direct and mixed_captured:
        mixed_ratio = mixed_captured.wall / mixed_direct.wall
        checks += [
            (f"issue 16: mixed wall <= {MIXED_RATIO_TARGET}x /dev/null", mixed_ratio <= MIXED_RATIO_TARGET),
            (
                f"issue 16: mixed peak RSS < {PEAK_RSS_TARGET_MB} MB",
                mixed_captured.rss_mb < PEAK_RSS_TARGET_MB,
            ),
        ]
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    print(f"runtask said: {summary}")
    return 0 if checks[0][1] else 1


if __name__ == "__main__":
    sys.exit(main())
