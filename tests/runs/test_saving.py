"""taskmanager.runs.saving: a report is stored whatever ``extra`` holds and whatever the database does."""

from __future__ import annotations

import datetime
import decimal
import logging
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from taskmanager.models import AppCommand, Report, Task
from taskmanager.runs.saving import CIRCULAR, MAX_DEPTH, TOO_DEEP, save_finished, storable
from tests.runs.file_project import add_task, database, project_env, start_manage

# --- extra ---------------------------------------------------------------------------------


def test_values_json_holds_are_kept_as_they_are() -> None:
    extra = {"imported": 3, "ratio": 0.5, "ok": True, "none": None, "rows": [1, "two", {"three": 3}]}
    assert storable(extra) == extra


def test_a_circular_reference_becomes_a_marker() -> None:
    rows: list[Any] = [1]
    rows.append(rows)
    extra: dict[str, Any] = {"rows": rows}
    extra["itself"] = extra
    assert storable(extra) == {"rows": [1, CIRCULAR], "itself": CIRCULAR}


def test_a_value_shared_without_a_cycle_is_kept_each_time() -> None:
    shared = {"a": 1}
    assert storable({"first": shared, "second": [shared]}) == {"first": {"a": 1}, "second": [{"a": 1}]}


def test_nan_and_the_infinities_become_null() -> None:
    assert storable({"nan": math.nan, "limits": (-math.inf, math.inf)}) == {
        "nan": None,
        "limits": [None, None],
    }


def test_dates_and_decimals_are_written_as_djangos_encoder_does() -> None:
    extra = {"day": datetime.date(2024, 5, 1), "amount": decimal.Decimal("1.50")}
    assert storable(extra) == {"day": "2024-05-01", "amount": "1.50"}


def test_anything_else_becomes_its_repr() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    stored = storable({"tags": {"only"}, "broken": Broken()})
    assert stored == {"tags": "{'only'}", "broken": "<Broken object (its repr() failed)>"}


def test_keys_become_strings() -> None:
    assert storable({2: "a", (1, 2): "b", None: "c", False: "d", 1.5: "e"}) == {
        "2": "a",
        "(1, 2)": "b",
        "null": "c",
        "false": "d",
        "1.5": "e",
    }


def test_text_no_database_stores_is_replaced() -> None:
    assert storable({"nul\x00": "lone \ud800 surrogate"}) == {"nul\ufffd": "lone \ufffd surrogate"}


def test_containers_nested_too_deeply_are_cut() -> None:
    deep: list[Any] = []
    inner = deep
    for _ in range(MAX_DEPTH + 5):
        inner.append([])
        inner = inner[0]
    stored = storable({"deep": deep})
    for _ in range(MAX_DEPTH - 1):
        stored = stored["deep"] if isinstance(stored, dict) else stored[0]
    assert stored == [TOO_DEEP]


# --- saving --------------------------------------------------------------------------------


def finished_report(**fields: Any) -> tuple[Report, Task]:
    """A run that just ended ok: its report filled in memory, not saved yet."""
    command, _ = AppCommand.objects.get_or_create(app_name="tests.sampleapp", name="ends_ok")
    task = Task.objects.create(name="nightly", command=command, status=Task.STATUS_STARTED)
    report = Report.objects.create(task=task)
    report.end_datetime = timezone.now()
    report.invocation_result = "ok"
    report.n_log_lines, report.n_log_errors, report.n_log_warnings = 3, 0, 0
    report.log = "importing\nimported 3 rows\ndone"
    report.logfile = "/srv/media/taskmanager/logs/1-1.log"
    for name, value in fields.items():
        setattr(report, name, value)
    return report, task


class Clock:
    """Time that passes only when slept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def locked_reports() -> Iterator[Callable[[int], None]]:
    """Make the next ``n`` updates of a report fail as a locked SQLite database does."""
    remaining = [0]

    def execute(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if remaining[0] and sql.startswith('UPDATE "taskmanager_report"'):
            remaining[0] -= 1
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    def lock(n: int) -> None:
        remaining[0] = n

    with connection.execute_wrapper(execute):
        yield lock


@pytest.mark.django_db
def test_a_locked_database_is_tried_again_with_growing_delays(
    locked_reports: Callable[[int], None], caplog: pytest.LogCaptureFixture
) -> None:
    report, task = finished_report()
    locked_reports(6)
    clock = Clock()
    with caplog.at_level(logging.WARNING, logger="taskmanager.runs"):
        save_finished(report, task, sleep=clock.sleep, clock=clock)
    assert clock.slept == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    report.refresh_from_db()
    assert (report.invocation_result, report.log) == ("ok", "importing\nimported 3 rows\ndone")
    task.refresh_from_db()
    assert (task.status, task.cached_last_invocation_result) == ("idle", "ok")
    assert len(caplog.records) == 6
    assert "failed (database is locked); trying again in 0.5 s." in caplog.records[0].getMessage()


@pytest.mark.django_db
def test_a_database_locked_past_the_retries_leaves_the_report_open_and_says_so(
    locked_reports: Callable[[int], None], caplog: pytest.LogCaptureFixture
) -> None:
    report, task = finished_report()
    locked_reports(1000)
    clock = Clock()
    with caplog.at_level(logging.WARNING, logger="taskmanager.runs"), pytest.raises(OperationalError):
        save_finished(report, task, sleep=clock.sleep, clock=clock)
    assert sum(clock.slept) <= 30
    [critical] = [record for record in caplog.records if record.levelno == logging.CRITICAL]
    assert f"Report {report.pk} of task 'nightly' is left open" in critical.getMessage()
    assert "restart_despooled_tasks --foreground" in critical.getMessage()


@pytest.mark.django_db
def test_a_report_the_database_refuses_is_closed_with_its_result_and_a_note(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A database refusing a value of the log (as MySQL's utf8 refuses an emoji) refuses the
    # whole save; trying again cannot help.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER refuse_poison BEFORE UPDATE ON taskmanager_report "
            "WHEN NEW.log LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'value refused'); END"
        )
    report, task = finished_report(log="a poison line", n_log_warnings=1, invocation_result="warnings")
    clock = Clock()
    with caplog.at_level(logging.ERROR, logger="taskmanager.runs"):
        save_finished(report, task, sleep=clock.sleep, clock=clock)
    assert clock.slept == []
    report.refresh_from_db()
    assert report.end_datetime is not None
    assert (report.invocation_result, report.n_log_lines, report.n_log_warnings) == ("warnings", 3, 1)
    assert report.logfile == "/srv/media/taskmanager/logs/1-1.log"
    assert report.log == (
        "[taskmanager] This report could not be saved in full: value refused. The log file has the whole log."
    )
    task.refresh_from_db()
    assert (task.status, task.cached_last_invocation_result) == ("idle", "warnings")
    [error] = caplog.records
    assert f"Report {report.pk} of task 'nightly' could not be saved (value refused)" in error.getMessage()


# --- a real lock, held by another connection ------------------------------------------------


@pytest.mark.slow
def test_runtask_saves_its_report_once_another_connection_lets_go_of_the_database(tmp_path: Path) -> None:
    # SQLite gives up waiting for the lock after 0.2 s here: the runner must try again.
    env = project_env(tmp_path, TASKMANAGER_TEST_DB_TIMEOUT="0.2")
    release = tmp_path / "release"
    add_task(env, "held", "waits_for_file", f"{release}, --timeout 60")
    db = database(env)
    runtask = start_manage(env, "runtask", "held")
    try:
        while db.execute("SELECT status FROM taskmanager_task").fetchone() != ("started",):
            assert runtask.poll() is None, runtask.communicate()
        db.execute("BEGIN IMMEDIATE")  # a write transaction: the report cannot be saved
        release.touch()
        assert runtask.stderr is not None
        first_complaint = runtask.stderr.readline()  # the first retry's warning (or the end)
        db.execute("COMMIT")
        out, err = runtask.communicate(timeout=60)
    finally:
        if runtask.poll() is None:
            runtask.kill()
        db.close()
    assert "failed (database is locked); trying again" in first_complaint, first_complaint + err
    assert runtask.returncode == 0, err
    assert out.startswith("held: ok (0 errors, 0 warnings)")
    db = database(env)
    result, ended = db.execute("SELECT invocation_result, end_datetime FROM taskmanager_report").fetchone()
    assert (result, ended is not None) == ("ok", True)
    assert db.execute("SELECT status FROM taskmanager_task").fetchone() == ("idle",)
    db.close()
