"""Realistic sample reports, for previews and screenshots of notifications.

:func:`sample_report` builds a report at any level without touching the database:
the :class:`~taskmanager.models.Report`, its :class:`~taskmanager.models.Task` and
:class:`~taskmanager.models.AppCommand` are unsaved instances, so a preview works on a
project that has no tasks yet (or no migrated database).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from taskmanager.models import AppCommand, Report, Task
from taskmanager.notifications.config import parse_level
from taskmanager.results import Result

#: The id sample reports carry so that templates can show their links; nothing has it.
SAMPLE_REPORT_ID = 1234


@dataclass(frozen=True)
class _Sample:
    seconds: float
    n_lines: int
    n_errors: int
    n_warnings: int
    # (seconds after the start, level name, message); a None level is printed as is.
    log: list[tuple[float, str | None, str]]
    extra: dict[str, str] = field(default_factory=dict)


# Replaced by the export folder of the day before the run.
_SOURCE = "<source>"

_START = [
    (0.0, "INFO", f"Starting import from {_SOURCE}"),
    (2.1, "INFO", "products.csv: 18,432 rows read"),
    (31.4, "INFO", "products.csv: 18,432 rows imported"),
]

_SAMPLES: dict[Result, _Sample] = {
    Result.OK: _Sample(
        seconds=83,
        n_lines=212,
        n_errors=0,
        n_warnings=0,
        log=[
            *_START,
            (32.0, "INFO", "prices.csv: 18,430 rows read"),
            (58.3, "INFO", "prices.csv: 18,430 rows imported"),
            (59.0, "INFO", "stock.csv: 2,211 rows read"),
            (79.6, "INFO", "stock.csv: 2,211 rows imported"),
            (80.1, "INFO", "Rebuilding the search index"),
            (82.9, "INFO", "Search index rebuilt: 39,073 documents"),
            (83.0, "INFO", "Import finished: 39,073 rows from 3 files"),
        ],
        extra={"summary": "Imported 39,073 rows from 3 files.", "source": _SOURCE},
    ),
    Result.WARNINGS: _Sample(
        seconds=95,
        n_lines=215,
        n_errors=0,
        n_warnings=3,
        log=[
            *_START,
            (32.0, "INFO", "prices.csv: 18,430 rows read"),
            (47.7, "WARNING", "prices.csv row 1,208: no price for SKU-20931, the old price is kept"),
            (58.3, "INFO", "prices.csv: 18,430 rows imported"),
            (59.0, "WARNING", "stock.csv: warehouse 'TO-2' is unknown, its 14 rows are skipped"),
            (88.2, "WARNING", "Search index: 2 documents are over 1 MB and were truncated"),
            (94.8, "INFO", "Search index rebuilt: 39,059 documents"),
            (95.0, "INFO", "Import finished: 39,059 rows from 3 files, 14 skipped"),
        ],
        extra={"summary": "Imported 39,059 rows from 3 files; 14 skipped.", "source": _SOURCE},
    ),
    Result.ERRORS: _Sample(
        seconds=88,
        n_lines=219,
        n_errors=2,
        n_warnings=1,
        log=[
            *_START,
            (32.0, "INFO", "prices.csv: 18,430 rows read"),
            (44.6, "ERROR", "prices.csv row 4,017: currency 'EUR ' is not ISO 4217, row rejected"),
            (58.3, "INFO", "prices.csv: 18,429 rows imported"),
            (59.0, "WARNING", "stock.csv: warehouse 'TO-2' is unknown, its 14 rows are skipped"),
            (71.2, "ERROR", "stock.csv row 1,877: SKU-11873 does not exist, 26 rows rejected"),
            (87.5, "INFO", "Search index rebuilt: 39,046 documents"),
            (88.0, "INFO", "Import finished: 39,046 rows from 3 files, 27 rejected"),
        ],
        extra={"summary": "Imported 39,046 rows from 3 files; 27 rejected.", "source": _SOURCE},
    ),
    Result.FAILED: _Sample(
        seconds=32.4,
        n_lines=57,
        n_errors=1,
        n_warnings=0,
        log=[
            *_START,
            (32.3, "ERROR", "Import aborted: prices.csv cannot be read"),
            (32.3, None, "Traceback (most recent call last):"),
            (
                32.3,
                None,
                '  File "/srv/shop/catalogue/management/commands/import_catalogue.py", line 88, in handle',
            ),
            (32.3, None, '    rows = self.read_csv(source / "prices.csv")'),
            (
                32.3,
                None,
                '  File "/srv/shop/catalogue/management/commands/import_catalogue.py", line 141, in read_csv',
            ),
            (32.3, None, '    raise CommandError(f"{path.name}: {exc}") from exc'),
            (
                32.3,
                None,
                "django.core.management.base.CommandError: prices.csv: line 5,212: expected 6 fields, saw 7",
            ),
        ],
        extra={"source": _SOURCE},
    ),
}


def _local(value: datetime.datetime) -> datetime.datetime:
    # Log lines carry the local wall-clock time, as a command's logging writes them.
    return timezone.localtime(value) if timezone.is_aware(value) else value


def sample_report(
    level: Result | str | int = Result.ERRORS,
    *,
    started: datetime.datetime | None = None,
    name: str = "Nightly catalogue import",
    pk: int | None = SAMPLE_REPORT_ID,
) -> Report:
    """An unsaved report at ``level`` with realistic content (never save it).

    The counts match the level, the log tail holds the warnings and errors it
    counts (and a traceback at ``failed``), ``extra`` carries a summary as a
    command would leave it. ``started`` defaults to a few minutes ago; give one
    for reproducible output. ``pk`` is set (default :data:`SAMPLE_REPORT_ID`) so
    that templates render the report and log links as they will look; pass None
    to see a message without them.
    """
    level = parse_level(level)
    sample = _SAMPLES[level]
    if started is None:
        started = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=5)
    source = f"s3://exports/catalogue/{_local(started) - datetime.timedelta(days=1):%Y-%m-%d}/"
    command = AppCommand(app_name="catalogue", name="import_catalogue")
    task = Task(name=name, command=command, arguments=f"--source {source}, --since yesterday")
    log = "\n".join(
        f"{_local(started + datetime.timedelta(seconds=offset)):%Y-%m-%d %H:%M:%S} {kind:<7} {text}"
        if kind
        else text
        for offset, kind, text in sample.log
    ).replace(_SOURCE, source)
    report = Report(
        task=task,
        invocation_result=level,
        invocation_datetime=started,
        end_datetime=started + datetime.timedelta(seconds=sample.seconds),
        log=log,
        n_log_lines=sample.n_lines,
        n_log_errors=sample.n_errors,
        n_log_warnings=sample.n_warnings,
        extra={key: value.replace(_SOURCE, source) for key, value in sample.extra.items()},
    )
    report.pk = pk
    return report


#: The streak sample reports of a recovery or a reminder end (or go on) with.
SAMPLE_STREAK = 5


def sample_policy_context(report: Report, event: str = "report") -> dict[str, Any]:
    """What the notification policy adds to the context, for a sample ``report`` told as
    ``event`` (``report``, ``triggered``, ``worse``, ``reminder``, ``recovered``): a previous
    report (failed, an hour before; ok before a ``triggered``), and a streak of
    :data:`SAMPLE_STREAK` runs begun three hours before (one for ``triggered``)."""
    started = report.invocation_datetime or timezone.now()
    first = event == "triggered"
    previous = sample_report(
        Result.OK if first else Result.FAILED, started=started - datetime.timedelta(hours=1)
    )
    since = started if first else started - datetime.timedelta(hours=3)
    return {
        "event": event,
        "previous": previous,
        "previous_url": None,
        "streak": 1 if first else SAMPLE_STREAK,
        "streak_result": Result.FAILED,
        "failing_since": timezone.localtime(since) if timezone.is_aware(since) else since,
    }
