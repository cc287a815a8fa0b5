"""The hot path's statements store and read exactly what the ORM would, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.db import connections, transaction
from django.utils import timezone

from taskmanager.models import AppCommand, Delivery, HandlerState, Report, Task
from taskmanager.statements import insert_rows, select_rows, select_values, update_row
from tests.postgres import ALIAS


@pytest.fixture(
    params=[
        pytest.param("default", marks=pytest.mark.django_db(transaction=True)),
        pytest.param(ALIAS, marks=pytest.mark.postgres),
    ]
)
def alias(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each database: this run's SQLite, and a fresh PostgreSQL database (skipped without one)."""
    if request.param == ALIAS:
        request.getfixturevalue("postgres_db")
    return request.param


@pytest.fixture
def report(alias: str) -> Report:
    command = AppCommand.objects.using(alias).create(app_name="sampleapp", name="statements")
    task = Task.objects.using(alias).create(name="statements", command=command)
    return Report.objects.using(alias).create(task=task, invocation_result="errors")


def test_insert_rows_gives_each_instance_its_key_and_stores_what_the_orm_would(
    alias: str, report: Report
) -> None:
    rows = [Delivery(report=report, handler=name, level="errors", event="triggered") for name in ("a", "b")]
    insert_rows(rows, using=alias)
    stored = {d.pk: d for d in Delivery.objects.using(alias).filter(report=report)}
    assert sorted(stored) == sorted(row.pk for row in rows)
    for row in rows:
        assert stored[row.pk].handler == row.handler
        assert (stored[row.pk].status, stored[row.pk].parts, stored[row.pk].event) == (
            "pending",
            {},
            "triggered",
        )
        assert stored[row.pk].created == row.created
        assert not row._state.adding
        assert row._state.db == alias


def test_insert_rows_keeps_a_primary_key_given_as_bulk_create_does(alias: str, report: Report) -> None:
    rows = [Delivery(pk=4242, report=report, handler="a"), Delivery(report=report, handler="b")]
    insert_rows(rows, using=alias)
    assert rows[0].pk == 4242
    stored = dict(Delivery.objects.using(alias).filter(report=report).values_list("handler", "pk"))
    assert stored == {"a": 4242, "b": rows[1].pk}


def test_insert_rows_ignoring_conflicts_leaves_the_existing_row_as_it_was(alias: str, report: Report) -> None:
    HandlerState.objects.using(alias).create(task=report.task, handler="a", streak=4)
    insert_rows(
        [HandlerState(task=report.task, handler=name) for name in ("a", "b")],
        ignore_conflicts=True,
        using=alias,
    )
    streaks = dict(HandlerState.objects.using(alias).values_list("handler", "streak"))
    assert streaks == {"a": 4, "b": 0}


def test_update_row_writes_only_the_named_fields_and_the_auto_now_ones(alias: str, report: Report) -> None:
    delivery = Delivery.objects.using(alias).create(report=report, handler="a", level="errors", reason="kept")
    sent = timezone.now() - datetime.timedelta(minutes=5)
    changed = update_row(
        Delivery, delivery.pk, {"status": "sent", "parts": {"txt": "é \u2603"}, "sent_at": sent}, using=alias
    )
    stored = Delivery.objects.using(alias).get(pk=delivery.pk)
    assert changed == 1
    assert (stored.status, stored.parts, stored.sent_at, stored.reason) == (
        "sent",
        {"txt": "é \u2603"},
        sent,
        "kept",
    )
    assert stored.updated > delivery.updated


def test_update_row_of_a_row_that_is_gone_changes_nothing(alias: str, report: Report) -> None:
    assert update_row(Delivery, 10**9, {"status": "sent"}, using=alias) == 0


def test_select_values_returns_the_values_as_the_orm_does(alias: str, report: Report) -> None:
    until = timezone.now() + datetime.timedelta(hours=2)
    Task.objects.using(alias).filter(pk=report.task_id).update(notifications_snoozed_until=until)
    HandlerState.objects.using(alias).create(task=report.task, handler="a", held=True, last_sent_at=until)
    assert select_values(
        Task, ("notifications_snoozed_until", "category_id"), {"id": report.task_id}, using=alias
    ) == [(until, None)]
    [(held, sent_at)] = select_values(HandlerState, ("held", "last_sent_at"), {"handler": ["a"]}, using=alias)
    assert held is True
    assert sent_at == until
    assert sent_at.tzinfo is not None


def test_select_rows_builds_the_instances_in_order_and_matches_nothing_for_an_empty_list(
    alias: str, report: Report
) -> None:
    for name in ("b", "a", "c"):
        HandlerState.objects.using(alias).create(task=report.task, handler=name, judged=ord(name))
    with transaction.atomic(using=alias):
        rows = select_rows(
            HandlerState,
            {"task_id": report.task_id, "handler": ["c", "a"]},
            order_by="handler",
            for_update=True,
            using=alias,
        )
    assert [(row.handler, row.judged, row.task_id) for row in rows] == [
        ("a", 97, report.task_id),
        ("c", 99, report.task_id),
    ]
    assert all(not row._state.adding and row._state.db == alias for row in rows)
    assert select_rows(HandlerState, {"task_id": report.task_id, "handler": []}, using=alias) == []


def test_postgresql_fixture_is_the_one_the_tests_use(alias: str) -> None:
    """Guards the parametrisation: the PostgreSQL case really runs on PostgreSQL."""
    assert connections[alias].vendor == ("postgresql" if alias == ALIAS else "sqlite")


def test_select_values_matches_none_as_the_orm_does_with_is_null(alias: str, report: Report) -> None:
    # filter(category_id=None) writes IS NULL: "= NULL" would match nothing.
    assert select_values(Task, ("id",), {"category_id": None}, using=alias) == [(report.task_id,)]
    assert list(Task.objects.using(alias).filter(category_id=None).values_list("id")) == [(report.task_id,)]
