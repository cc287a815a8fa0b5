"""The start-up rule alone (target 6 of notifications.py), and catching an injected regression.

Run from the repository root::

    .venv/bin/python benchmarks/startup.py                         # 10 processes a side
    .venv/bin/python benchmarks/startup.py --runs 8 --inject-ms 50  # must FAIL: exits with 1

``manage.py shell -c pass`` with ten handlers and with none, in fresh processes taking turns
(``--with-check``: ``manage.py check`` too), compared by :mod:`benchmarks.compare`.
``--inject-ms`` makes the processes with handlers sleep that long while their settings load,
as a slow import would: the rule must call it a regression.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import QUICK, print_results, setup_django
from benchmarks.servers import Servers


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=10, help="processes per side")
    parser.add_argument("--inject-ms", type=float, default=0, help="a regression to inject (ms)")
    parser.add_argument("--with-check", action="store_true", help="manage.py check too")
    options = parser.parse_args()
    commands = ("shell", "check") if options.with_check else ("shell",)
    with tempfile.TemporaryDirectory(prefix="taskmanager-startup-bench-") as folder:
        setup_django(folder)
        from dataclasses import replace

        from benchmarks import startup_time  # imports the models: once Django is set up

        with Servers() as fake:
            rows = startup_time.measure(
                replace(QUICK, startup=options.runs),
                fake,
                folder,
                inject_ms=options.inject_ms,
                commands=commands,
            )
    return print_results(rows, f"Start-up, {options.runs} fresh processes a side, taking turns")


if __name__ == "__main__":
    sys.exit(main())
