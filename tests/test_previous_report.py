import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from taskmanager.models import AppCommand, Report, Task
from taskmanager.previous_report import previous_report


def later(report: Report, hours: float, **fields) -> Report:
    return Report.objects.create(
        task=report.task,
        invocation_result=fields.pop("invocation_result", "ok"),
        invocation_datetime=report.invocation_datetime + datetime.timedelta(hours=hours),
        **fields,
    )


def test_the_previous_report_is_the_instance_the_orm_reads_every_column_converted(make_report):
    first = make_report(
        "warnings",
        extra={"summary": "Imported 12 rows.", "files": [1, 2]},
        heartbeat=datetime.datetime(2026, 3, 1, 12, 30, tzinfo=datetime.timezone.utc),
        logfile="/var/log/import.log",
        notifications_disabled=True,
    )
    found = previous_report(later(first, 1))

    expected = Report.objects.get(pk=first.pk)
    assert found is not None
    for field in Report._meta.concrete_fields:
        value, wanted = getattr(found, field.attname), getattr(expected, field.attname)
        assert (value, type(value)) == (wanted, type(wanted)), field.name
    assert found.invocation_datetime.tzinfo is not None
    assert (found._state.adding, found._state.db) == (False, "default")
    assert found.task == first.task


def test_it_is_the_latest_report_of_the_same_task_started_before(make_report):
    first = make_report("failed")
    second = later(first, 1)
    third = later(first, 2)
    make_report("errors", name="another task")  # started after all of them, another task

    assert previous_report(third) == second
    assert previous_report(second) == first
    assert previous_report(first) is None


def test_the_start_decides_before_the_order_of_saving(make_report):
    first = make_report("failed")
    saved_later_started_earlier = later(first, -1)

    assert previous_report(first) == saved_later_started_earlier
    assert previous_report(saved_later_started_earlier) is None


def test_of_reports_started_at_the_same_moment_the_one_saved_before_is_the_previous(make_report):
    earlier = make_report("failed")
    batch = [later(earlier, 1) for _ in range(3)]

    assert [previous_report(report) for report in batch] == [earlier, batch[0], batch[1]]


def test_a_report_not_saved_has_none_and_asks_the_database_nothing(make_report):
    saved = make_report("failed")
    unsaved = Report(task=saved.task, invocation_datetime=saved.invocation_datetime)

    with CaptureQueriesContext(connection) as queries:
        assert previous_report(unsaved) is None
        assert previous_report(Report(task=Task(name="sample"))) is None
    assert len(queries) == 0


def test_it_is_one_statement_on_the_tasks_index(make_report):
    report = later(make_report("failed"), 1)

    with CaptureQueriesContext(connection) as queries:
        previous_report(report)
        previous_report(report)
    assert len(queries) == 2
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {queries[0]['sql']}")
        plan = " / ".join(str(row[-1]) for row in cursor.fetchall())
    # One range of the index, no sort: the task and the start bound it.
    assert "taskmanager_report_task_idx (task_id=? AND invocation_datetime<?)" in plan
    assert "TEMP B-TREE" not in plan


def test_without_time_zone_support_the_times_stay_naive(settings, make_report):
    settings.USE_TZ = False
    started = datetime.datetime(2026, 3, 1, 2, 0)
    first = make_report("failed", invocation_datetime=started, end_datetime=started)
    found = previous_report(later(first, 1))

    assert found == first
    assert found is not None
    assert found.invocation_datetime == started


class ReadFromPostgres:
    """Reads of reports go to the test's PostgreSQL database (``using("postgres")``)."""

    def db_for_read(self, model: type, **hints: object) -> str:
        return "postgres"


@pytest.mark.postgres
def test_on_postgresql_it_is_the_instance_the_orm_reads(postgres_db, settings):
    settings.DATABASE_ROUTERS = [f"{__name__}.ReadFromPostgres"]
    command = AppCommand.objects.using("postgres").create(app_name="sampleapp", name="sample")
    task = Task.objects.using("postgres").create(name="nightly import", command=command)
    started = datetime.datetime(2026, 3, 1, 2, 0, tzinfo=datetime.timezone.utc)
    made = [
        Report.objects.using("postgres").create(
            task=task,
            invocation_result=result,
            invocation_datetime=started + datetime.timedelta(hours=hours),
            extra={"summary": "rows", "n": hours},
            notifications_disabled=hours == 1,
        )
        for result, hours in (("failed", 0), ("errors", 1), ("ok", 1), ("ok", 2))
    ]

    found = [previous_report(report) for report in made]

    assert [report.pk if report else None for report in found] == [None, made[0].pk, made[1].pk, made[2].pk]
    for report in found[1:]:
        assert report is not None
        expected = Report.objects.using("postgres").get(pk=report.pk)
        for field in Report._meta.concrete_fields:
            value, wanted = getattr(report, field.attname), getattr(expected, field.attname)
            assert (value, type(value)) == (wanted, type(wanted)), field.name
        assert report._state.db == "postgres"
