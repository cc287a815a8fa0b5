"""A 2.x database upgrades in place: its migrations are ours, and 0003 brings it to 3.x."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

TWO_X = [("taskmanager", "0002_auto_20201001_1751")]


@pytest.fixture
def two_x_database(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(TWO_X)
    yield executor.loader.project_state(TWO_X).apps
    call_command("migrate", "taskmanager", verbosity=0)


def test_the_models_need_no_migration_that_is_not_written(db):
    call_command("makemigrations", "taskmanager", "--check", "--dry-run", verbosity=0)


def test_a_2x_database_keeps_its_data_and_merges_duplicates(two_x_database):
    old = two_x_database
    AppCommand, TaskCategory = (
        old.get_model("taskmanager", "AppCommand"),
        old.get_model("taskmanager", "TaskCategory"),
    )
    Task, Report = old.get_model("taskmanager", "Task"), old.get_model("taskmanager", "Report")
    first = AppCommand.objects.create(app_name="shop", name="import_orders")
    duplicate = AppCommand.objects.create(app_name="shop", name="import_orders")
    imports = TaskCategory.objects.create(name="imports")
    imports_again = TaskCategory.objects.create(name="imports")
    task = Task.objects.create(name="nightly", command=duplicate, category=imports_again, arguments="-v 2")
    Report.objects.create(task=task, invocation_result="errors", log="ERROR x", n_log_errors=1)

    call_command("migrate", "taskmanager", verbosity=0)

    from taskmanager.models import AppCommand as NewAppCommand
    from taskmanager.models import Report as NewReport
    from taskmanager.models import Task as NewTask
    from taskmanager.models import TaskCategory as NewTaskCategory

    assert list(NewAppCommand.objects.values_list("pk", flat=True)) == [first.pk]
    assert list(NewTaskCategory.objects.values_list("pk", flat=True)) == [imports.pk]
    upgraded = NewTask.objects.get(pk=task.pk)
    assert (upgraded.command_id, upgraded.category_id, upgraded.arguments) == (first.pk, imports.pk, "-v 2")
    assert upgraded.notifications_enabled is True
    report = NewReport.objects.get(task=upgraded)
    assert (report.invocation_result, report.n_log_errors, report.extra, report.end_datetime) == (
        "errors",
        1,
        {},
        None,
    )


def test_the_report_list_order_is_read_from_an_index_not_sorted(db):
    from taskmanager.models import Report

    query = Report.objects.order_by("-invocation_datetime", "-id")[:100].query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " / ".join(str(row[-1]) for row in cursor.fetchall())

    assert "taskmanager_report_list_idx" in plan
    assert "TEMP B-TREE" not in plan


def test_the_report_before_a_report_is_read_from_the_tasks_index_not_sorted(db, make_report):
    from taskmanager.previous_report import previous_report

    report = make_report("errors")
    with CaptureQueriesContext(connection) as queries:
        previous_report(report)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {queries[0]['sql']}")
        plan = " / ".join(str(row[-1]) for row in cursor.fetchall())

    assert "taskmanager_report_task_idx" in plan
    assert "TEMP B-TREE" not in plan
