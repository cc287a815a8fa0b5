"""The log attached to a mail (``attach_log``): its cost for big logs, and its memory bound.

Run from the repository root::

    /work/main/.venv/bin/python benchmarks/log_attachment.py            # logs of 1, 32 and 100 MB
    /work/main/.venv/bin/python benchmarks/log_attachment.py --quick    # 1 and 8 MB, a 2 MB cap

For each size, in a temporary folder, two logs as in ``logs.py``: ``lines`` (lines of 80 bytes)
and ``one line`` (a first line, then a single line filling the rest). For each it builds the
attachment with the default cap of 10 MB (``--quick``: 2 MB), as the mail transport does when it
sends (:func:`~taskmanager.notifications.channels.mail.log_attachment.build_log_attachment`: the
end of the log, made printable, a secret hidden, gzip-compressed above 1 MB).

Time is the best of ``--repeat`` runs; peak memory is :mod:`tracemalloc`'s, in another run.
Target (issue 15), whatever the size of the log: the peak stays under the cap plus 4 MB (the
part attached is held once, never the log). Exits with 1 when it is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from benchmarks.logs import MB, best_time, each_log, peak_memory  # noqa: E402
from taskmanager.notifications.channels.mail.log_attachment import (  # noqa: E402
    DEFAULT_MAX_BYTES,
    build_log_attachment,
    plan_log_attachment,
)

FULL_SIZES = (1, 32, 100)
QUICK_SIZES = (1, 8)
QUICK_CAP = 2 * MB
#: What may be held beside the part attached: the current line's pieces, the compressed output.
ROOM = 4 * MB

Row = tuple[str, str, str, str, bool]


def attach(path: Path, cap: int) -> int:
    """Build the attachment of the log at ``path``; its size as attached."""
    report = SimpleNamespace(
        logfile=str(path), pk=1234, task=SimpleNamespace(name="Nightly import"), has_logfile=lambda: True
    )
    plan = plan_log_attachment(report, cap)  # type: ignore[arg-type]
    built = build_log_attachment(plan, cap, secrets=["hunter2-not-for-logs"], n_lines=None)
    assert built is not None
    return len(built[1])


def measure(path: Path, kind: str, cap: int, repeat: int) -> Row:
    size = attach(path, cap)
    seconds = best_time(lambda: attach(path, cap), repeat)
    peak = peak_memory(lambda: attach(path, cap))
    return kind, f"{seconds * 1000:,.0f} ms", f"{peak / MB:.2f} MB", f"{size / MB:.2f} MB", peak < cap + ROOM


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small logs, a small cap, one run")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure (best kept)")
    options = parser.parse_args()
    sizes, cap, repeat = (
        (QUICK_SIZES, QUICK_CAP, 1) if options.quick else (FULL_SIZES, DEFAULT_MAX_BYTES, options.repeat)
    )

    rows = [measure(path, kind, cap, repeat) for path, kind, _size in each_log(sizes)]
    print(f"cap {cap / MB:g} MB, target: peak under {(cap + ROOM) / MB:g} MB")
    head = ("log", "time", "peak memory", "attached", "result")
    cells = [(*row[:-1], "PASS" if row[-1] else "FAIL") for row in rows]
    widths = [max(len(line[i]) for line in [head, *cells]) for i in range(len(head))]
    for values in [head, tuple("-" * w for w in widths), *cells]:
        print(
            "  ".join(
                v.rjust(w) if 0 < i < 4 else v.ljust(w)
                for i, (v, w) in enumerate(zip(values, widths, strict=True))
            )
        )
    missed = sum(not row[-1] for row in rows)
    print("every target met" if not missed else f"{missed} target(s) missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
