"""What the benchmarks emit: saved reports with log files, and the handlers they go to.

Imports the models: import it once Django is set up (``harness.setup_django``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.test import override_settings
from django.utils import timezone

from benchmarks.servers import Servers
from taskmanager.models import AppCommand, Report, Task

TOKEN = "xoxb-test-token"
RECIPIENTS = ["ops@example.com", "dev@example.org"]
TAIL_LINES = 10


@contextmanager
def handlers(config: dict[str, dict[str, Any]]) -> Iterator[None]:
    """``UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS`` set to ``config`` for the block."""
    with override_settings(UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS=config):
        yield


def slack_handler(fake: Servers, level: str = "ok") -> dict[str, Any]:
    return {
        "class": "taskmanager.notifications.SlackNotificationHandler",
        "level": level,
        "token": TOKEN,
        "channel": "#general",
        "base_url": fake.base_url,
    }


def mail_handler(level: str = "ok") -> dict[str, Any]:
    return {
        "class": "taskmanager.notifications.MailNotificationHandler",
        "level": level,
        "recipients": RECIPIENTS,
    }


def write_log(path: Path, size: int) -> list[str]:
    """A log file of about ``size`` bytes; its last lines (the report's stored tail)."""
    line = "2026-03-02 03:00:{:02d} INFO products.csv: row {:>9,} imported, 14 fields, 0 warnings\n"
    written = 0
    number = 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < size:
            text = line.format(number % 60, number)
            fh.write(text)
            written += len(text)
            number += 1
    with open(path, encoding="utf-8") as fh:
        fh.seek(max(0, size - 4096))
        return fh.read().splitlines()[-TAIL_LINES:]


class Reports:
    """Saved reports, made before anything is timed."""

    def __init__(self, folder: Path) -> None:
        command, _ = AppCommand.objects.get_or_create(app_name="tests.sampleapp", name="writes_lines")
        self.task = Task.objects.create(
            name="nightly import", command=command, arguments="--since 2026-01-01, -v 2"
        )
        self.folder = folder
        self.logs: dict[int, tuple[str, list[str]]] = {}

    def log(self, size: int) -> tuple[str, list[str]]:
        if size not in self.logs:
            path = self.folder / f"log-{size}.txt"
            self.logs[size] = (str(path), write_log(path, size))
        return self.logs[size]

    def make(self, count: int, *, result: str = "ok", log_size: int = 2048) -> list[Report]:
        path, tail = self.log(log_size)
        started = timezone.now()
        return [
            Report.objects.create(
                task=self.task,
                invocation_result=result,
                invocation_datetime=started,
                end_datetime=started + datetime.timedelta(seconds=83),
                log="\n".join(tail),
                logfile=path,
                n_log_lines=log_size // 80,
                n_log_errors=2 if result in ("errors", "failed") else 0,
                n_log_warnings=1 if result in ("warnings", "errors") else 0,
                extra={"summary": "Imported 39,073 rows from 3 files."},
            )
            for _ in range(count)
        ]


def emit(report: Report, expected: int) -> None:
    """Emit the report's notifications; stop the benchmark unless all ``expected`` were sent."""
    outcomes = report.emit_notifications()
    failed = [f"{o.handler}: {o.error}" for o in outcomes if not o.sent]
    if len(outcomes) != expected or failed:
        raise SystemExit(f"emit sent {len(outcomes) - len(failed)} of {expected}: {'; '.join(failed)}")
