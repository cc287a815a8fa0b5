"""A worker process of the policy's race test (``test_policy_state.py``): each round, once the
test says go, it saves a report of the task and emits it, as a run finishing would.

Run as ``python -m tests.notifications.policy_race TASK_ID FOLDER WORKER RESULT...`` with the
settings of a database file (``tests.settings_filedb``) or a server; it prints the id of each
round's report, one line per round.
"""

import sys
import time
from pathlib import Path

import django


def wait_for(path: Path, patience: float = 120) -> None:
    deadline = time.monotonic() + patience
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"{path.name} never appeared")
        time.sleep(0.0005)


def main(task_id: int, folder: Path, worker: str, results: list[str]) -> None:
    django.setup()
    from taskmanager.models import Task
    from tests.notifications.sequences import report_of

    task = Task.objects.get(pk=task_id)
    for number, result in enumerate(results):
        (folder / f"ready-{number}-{worker}").touch()
        wait_for(folder / f"go-{number}")
        report = report_of(task, result)
        report.emit_notifications()
        print(report.pk, flush=True)
        (folder / f"done-{number}-{worker}").touch()


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4:])
