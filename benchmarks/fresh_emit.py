"""One emission in a fresh process, timed: the child that ``first_emit.py`` starts.

Run by ``python -m benchmarks.fresh_emit`` with the benchmark settings (handlers in
``TASKMANAGER_BENCH_HANDLERS``, mail to ``TASKMANAGER_BENCH_SMTP``): Django is set up and a
report saved (not timed), then ``Report.emit_notifications()`` is timed, wall-clock and CPU
(``time.process_time``: every thread of the process, the delivery threads included). Prints
one JSON object, ``{"wall": seconds, "cpu": seconds, "sent": n}``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import django


def main() -> None:
    django.setup()
    from benchmarks.workload import Reports

    [report] = Reports(Path(os.environ["TASKMANAGER_BENCH_DIR"])).make(1, result="errors")
    print("-- emission --", file=sys.stderr)  # where -X importtime's lines of the emission start
    wall, cpu = time.perf_counter(), time.process_time()
    outcomes = report.emit_notifications()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"wall": wall, "cpu": cpu, "sent": sum(o.sent for o in outcomes)}))


if __name__ == "__main__":
    main()
