"""What the notification policy adds to an emission: judging one report (issue 15).

Run from the repository root::

    .venv/bin/python benchmarks/policy.py            # 300 reports
    .venv/bin/python benchmarks/policy.py --quick    # 30

On a SQLite file in WAL mode (as ``notifications.py``), a task's reports (failed twice, then ok,
in turn) are judged for two handlers, one under ``notify: "every"`` and one under ``"change"``:
``taskmanager.notifications.policy_state.judge`` (the transaction that creates, locks, reads and
writes the state rows and the skipped records), then the query of the previous report the
template context makes. Prints the median and the 90th percentile of each; no target (the
emission's own, ``notifications.py`` target 1, includes it).
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import median, ms, setup_django, timed  # noqa: E402

LOCMEM = "taskmanager.notifications.channels.locmem.LocmemTransport"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 reports instead of 300")
    count = 30 if parser.parse_args().quick else 300
    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        from django.conf import settings

        settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
            "every": {"transport": LOCMEM, "templates": "log"},
            "change": {"transport": LOCMEM, "templates": "log", "notify": "change"},
        }
        from django.utils import timezone

        from taskmanager.models import AppCommand, Report, Task
        from taskmanager.notifications.config import get_handlers
        from taskmanager.notifications.policy_state import judge
        from taskmanager.previous_report import previous_report

        command = AppCommand.objects.create(app_name="django.core", name="check")
        task, handlers = Task.objects.create(name="Nightly import", command=command), get_handlers()
        judging: list[float] = []
        previous: list[float] = []
        for number in range(count):
            result = "ok" if number % 3 == 2 else "failed"
            now = timezone.now()
            report = Report.objects.create(
                task=task, invocation_result=result, invocation_datetime=now, end_datetime=now
            )
            judging.append(timed(functools.partial(judge, report, handlers)))
            previous.append(timed(functools.partial(previous_report, report)))
        for name, times in (("judge, 2 handlers", judging), ("previous report", previous)):
            ninetieth = sorted(times)[int(len(times) * 0.9)]
            print(f"{name:<20} median {ms(median(times)):>9}   p90 {ms(ninetieth):>9}   ({count} reports)")


if __name__ == "__main__":
    main()
