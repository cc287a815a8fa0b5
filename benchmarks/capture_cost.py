"""Target 5: what capturing a run's output costs, from ``capture.py``'s figures.

``benchmarks/capture.py --json`` runs in a subprocess (``runtask`` of a 40 MB command, each
run in a fresh process). Targets: wall time at most 1.5x the same command sent to
/dev/null; peak RSS at most 100 MB; as many lines of mixed output (print, ``self.stdout``, logging
at every level) at most 1.3x (issue 16).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from benchmarks.capture import MIXED_RATIO_TARGET, PEAK_RSS_TARGET_MB, WALL_RATIO_TARGET
from benchmarks.harness import ROOT, Row, Sizes


def measure(sizes: Sizes) -> list[Row]:
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "capture.py"),
        "--json",
        "--lines",
        str(sizes.capture_lines),
        "--repeat",
        str(sizes.capture_repeat),
        "--mixed-lines",
        str(sizes.capture_lines),
    ]
    # capture.py sets up its own Django project: none of this process's settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TASKMANAGER_"))}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if not done.stdout.strip():
        raise SystemExit(f"benchmarks/capture.py failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    devnull, runtask = figures["devnull"], figures["runtask"]
    ratio = runtask["wall"] / devnull["wall"]
    label = f"{figures['megabytes']:g} MB, best of {figures['repeat']}"
    return [
        Row("5", f"command > /dev/null ({label})", f"{devnull['wall']:.2f} s"),
        Row(
            "5",
            "runtask, output captured: wall",
            f"{runtask['wall']:.2f} s",
            f"{ratio:.2f}x",
            f"<= {WALL_RATIO_TARGET}x",
            ratio <= WALL_RATIO_TARGET,
        ),
        Row(
            "5",
            "runtask: peak RSS",
            f"{runtask['rss_mb']:.1f} MB",
            "",
            f"<= {PEAK_RSS_TARGET_MB} MB",
            runtask["rss_mb"] <= PEAK_RSS_TARGET_MB,
        ),
        mixed_row(figures),
    ]


def mixed_row(figures: dict[str, Any]) -> Row:
    """Issue 16: the same number of lines of print, self.stdout and logging at every level."""
    direct, captured = figures["mixed_devnull"], figures["mixed_runtask"]
    ratio = captured["wall"] / direct["wall"]
    return Row(
        "5",
        f"runtask, mixed output ({figures['mixed_lines']:,} lines): wall",
        f"{captured['wall']:.2f} s",
        f"{ratio:.2f}x",
        f"<= {MIXED_RATIO_TARGET}x",
        ratio <= MIXED_RATIO_TARGET,
    )
