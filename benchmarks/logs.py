"""Big logs: the tail of a log and the log viewer, for logs ending in one huge line.

Run from the repository root::

    /work/main/.venv/bin/python benchmarks/logs.py            # logs of 1, 32 and 100 MB
    /work/main/.venv/bin/python benchmarks/logs.py --quick    # 1 and 8 MB: checks it runs

For each size, in a temporary folder, two logs: ``lines`` (lines of 80 bytes) and
``one line`` (a first line, then a single line filling the rest: a progress bar without
newlines, a JSON dump). For each log it measures:

* ``tail``: :func:`taskmanager.logfiles.read_tail` of 20 lines (the task page's inline tail,
  and recovery), through a file that counts the bytes read;
* ``viewer``: the log viewer's streamed body (``LogViewerView.stream``), every chunk encoded
  as Django sends it, nothing kept.

Time is the best of ``--repeat`` runs; peak memory is :mod:`tracemalloc`'s, in another run
(tracing slows Python down). Targets (issue 13), whatever the size: the tail reads at most
``20 * TAIL_BYTES_PER_LINE`` bytes (and one) and peaks under 4 MB; the viewer peaks under 4 MB.
Exits with 1 when one is missed. Before issue 13, a 100 MB line took 137 s and 345 MB for its
tail, and the viewer held it whole (350 MB RSS).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from taskmanager.logfiles import TAIL_BYTES_PER_LINE, read_tail  # noqa: E402
from taskmanager.models import Report  # noqa: E402
from taskmanager.views import LogViewerView  # noqa: E402

MB = 1024 * 1024
TAIL_LINES = 20
PEAK_LIMIT = 4 * MB
FULL_SIZES = (1, 32, 100)
QUICK_SIZES = (1, 8)


class CountingFile(io.FileIO):
    """A file that counts the bytes read from it."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def write_log(path: Path, size: int, *, one_line: bool) -> None:
    with path.open("wb") as fh:
        if one_line:
            fh.write(b"starting\n")
            for _ in range(size // MB):
                fh.write(b"x" * MB)
        else:
            line = b"2026-01-01 00:00:00 INFO imported a row with an ordinary amount of text\n"
            line = line.rjust(80, b" ")
            fh.write(line * (size // len(line)))


def each_log(sizes: Iterable[int]) -> Iterator[tuple[Path, str, int]]:
    """A log of each size in MB, of ordinary lines and then ending in one huge line, written in
    turn in a temporary folder and removed after: (its path, what it is, its size in MB)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.log"
        for size_mb in sizes:
            for one_line in (False, True):
                write_log(path, size_mb * MB, one_line=one_line)
                yield path, f"{size_mb} MB, {'one line' if one_line else 'lines'}", size_mb
                path.unlink()


def tail(path: Path) -> int:
    with CountingFile(path) as fh:
        read_tail(fh, TAIL_LINES, max_line_length=1000)
        return fh.bytes_read


def viewer(path: Path) -> int:
    sent = 0
    for chunk in LogViewerView().stream(Report(logfile=str(path)), "", "", ""):
        sent += len(chunk.encode())
    return sent


def best_time(action: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def peak_memory(action: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


Row = tuple[str, str, str, str, str, bool]


def measure(path: Path, kind: str, size_mb: int, repeat: int) -> list[Row]:
    """The two rows of one log: its tail and the log viewer."""
    read = tail(path)
    seconds = best_time(lambda: tail(path), repeat)
    peak = peak_memory(lambda: tail(path))
    ok = read <= TAIL_LINES * TAIL_BYTES_PER_LINE + 1 and peak < PEAK_LIMIT
    rows = [(kind, "tail, 20 lines", *figures(seconds, peak), f"{read / 1024:,.0f} kB", ok)]
    seconds = best_time(lambda: viewer(path), repeat)
    peak = peak_memory(lambda: viewer(path))
    rows.append((kind, "viewer, whole log", *figures(seconds, peak), f"{size_mb} MB", peak < PEAK_LIMIT))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small logs, one run: checks it runs")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure (best kept)")
    options = parser.parse_args()
    sizes, repeat = (QUICK_SIZES, 1) if options.quick else (FULL_SIZES, options.repeat)

    rows: list[Row] = []
    for path, kind, size_mb in each_log(sizes):
        rows.extend(measure(path, kind, size_mb, repeat))
    print_table(rows)
    missed = sum(not row[-1] for row in rows)
    print("every target met" if not missed else f"{missed} target(s) missed")
    return 1 if missed else 0


def figures(seconds: float, peak: int) -> tuple[str, str]:
    return f"{seconds * 1000:,.1f} ms", f"{peak / MB:.2f} MB"


def print_table(rows: list[Row]) -> None:
    head = ("log", "step", "time", "peak memory", "bytes read", "result")
    cells = [(*row[:-1], "PASS" if row[-1] else "FAIL") for row in rows]
    widths = [max(len(line[i]) for line in [head, *cells]) for i in range(len(head))]
    right = {2, 3, 4}
    for values in [head, tuple("-" * w for w in widths), *cells]:
        cells_of_line = zip(values, widths, strict=True)
        line = (v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(cells_of_line))
        print("  ".join(line).rstrip())


if __name__ == "__main__":
    sys.exit(main())
