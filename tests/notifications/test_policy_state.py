"""The policy through the real emission: its state in the database, skipped records, routes."""

import datetime
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from taskmanager.models import Delivery, HandlerState, Report, Task, TaskCategory
from taskmanager.notifications.config import get_handlers
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.policy_state import judge, resume, snooze, would_decide
from taskmanager.notifications.records import prune_deliveries
from tests.notifications.sequences import SEQUENCE, a_task, report_of
from tests.postgres import PostgresDatabase
from tests.runs.file_project import project_env

LOCMEM = "taskmanager.notifications.channels.locmem.LocmemTransport"


def handler(**keys):
    return {"transport": LOCMEM, "templates": "log", "level": "errors", **keys}


@pytest.fixture
def task(db):
    return a_task()


def emit(task: Task, sequence) -> list[list[tuple[str, str, str]]]:
    """(handler, status, event or reason) of each report's deliveries, in handler order."""
    seen = []
    for result, minutes in sequence:
        report = report_of(task, result, minutes)
        report.emit_notifications()
        rows = Delivery.objects.filter(report=report).order_by("handler")
        seen.append([(d.handler, d.status, d.event if d.status != "skipped" else d.reason) for d in rows])
    return seen


def test_every_change_and_reminders_side_by_side_on_one_sequence(settings, outbox, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "every": handler(),
        "change": handler(notify="change"),
        "remind": handler(notify="change", remind_every="4h"),
    }
    seen = emit(task, SEQUENCE)
    events = [{name: (status, what) for name, status, what in rows} for rows in seen]
    assert [e.get("every", ("-", ""))[1] for e in events] == ["", "report", "report", "report", "report", ""]
    statuses = ["-", "sent", "skipped", "skipped", "skipped", "sent"]
    assert [e.get("change", ("-", ""))[0] for e in events] == statuses
    assert [e.get("remind", ("-", ""))[1].split(" since")[0] for e in events] == [
        "",
        "triggered",
        "quiet: still failing",
        "reminder",
        "quiet: still with errors",
        "recovered",
    ]
    assert [m.handler for m in outbox].count("change") == 2
    assert all(m.context["event"] for m in outbox)


#: Reports :class:`Declining` turns down, as a project's own filter would.
DECLINED: set[int] = set()


class Declining(NotificationHandler):
    """A handler whose own ``accepts()`` declines the reports in :data:`DECLINED`."""

    def accepts(self, report: Report) -> bool:
        return report.pk not in DECLINED and super().accepts(report)


def test_a_triggered_declined_by_the_handlers_own_accepts_is_not_lost(settings, outbox, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "own": {"class": f"{__name__}.Declining", **handler(notify="change")}
    }
    first = report_of(task, "failed", 0)
    DECLINED.add(first.pk)
    try:
        first.emit_notifications()
    finally:
        DECLINED.discard(first.pk)
    assert outbox == []

    # Never told of the failure, the handler is told at the next report: not "quiet".
    second, third = emit(task, [("failed", 10), ("failed", 20)])
    assert second == [("own", "sent", "triggered")]
    assert [(name, status, what.split(" since")[0]) for name, status, what in third] == [
        ("own", "skipped", "quiet: still failing")
    ]
    assert [m.context["event"] for m in outbox] == ["triggered"]


def test_the_messages_carry_event_streak_failing_since_and_the_previous_report(settings, outbox, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"change": handler(notify="change")}
    emit(task, SEQUENCE)
    triggered, recovered = outbox
    assert (triggered.context["event"], triggered.context["streak"]) == ("triggered", 1)
    assert (recovered.context["event"], recovered.context["streak"]) == ("recovered", 4)
    first_failure = Report.objects.filter(task=task, invocation_result="failed").order_by("id").first()
    assert recovered.context["failing_since"] == timezone.localtime(first_failure.invocation_datetime)
    assert recovered.context["previous"].invocation_result == "errors"
    assert triggered.context["previous"].invocation_result == "ok"


def test_the_first_report_of_a_task_has_no_previous(settings, outbox, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"every": handler()}
    emit(task, [("failed", 0)])
    assert outbox[0].context["previous"] is None
    assert outbox[0].context["event"] == "report"


def test_the_state_row_remembers_what_the_handler_was_told(settings, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"change": handler(notify="change")}
    emit(task, [("failed", 0), ("errors", 10)])
    state = HandlerState.objects.get(task=task, handler="change")
    assert (state.streak, state.last_sent_result, state.judged) == (2, "failed", 2)


# -- routes -------------------------------------------------------------------------------


@pytest.fixture
def billing(task):
    task.category = TaskCategory.objects.create(name="billing")
    task.save()
    return task


def test_a_route_lets_through_only_the_tasks_and_categories_it_names(settings, outbox, billing):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "imports": handler(tasks=["Nightly *"]),
        "billing": handler(categories=["bill*"]),
        "both": handler(tasks=["Nightly *"], categories=["reports"]),
        "not-nightly": handler(exclude_tasks=["Nightly*"]),
        "not-billing": handler(exclude_categories=["billing"]),
    }
    (rows,) = emit(billing, [("failed", 0)])
    assert rows == [
        ("billing", "sent", "report"),
        ("both", "skipped", 'not routed: category "billing"'),
        ("imports", "sent", "report"),
        ("not-billing", "skipped", 'not routed: category "billing" is excluded'),
        ("not-nightly", "skipped", 'not routed: task "Nightly import" is excluded'),
    ]
    assert sorted(m.handler for m in outbox) == ["billing", "imports"]


def test_a_task_with_no_category_matches_no_categories_entry(settings, outbox, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "billing": handler(categories=["*"]),
        "not-billing": handler(exclude_categories=["*"]),
    }
    (rows,) = emit(task, [("failed", 0)])
    assert rows == [("billing", "skipped", "not routed: no category"), ("not-billing", "sent", "report")]


class CategoriesReadElsewhere:
    """A router that would send reads of categories to a database this project does not have."""

    def db_for_read(self, model, **hints):
        return "categories-elsewhere" if model is TaskCategory else None


def test_the_category_is_read_from_the_database_the_task_is_read_from(settings, billing):
    """As the join of the task and its category did: a router's choice for categories alone is not asked."""
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"billing": handler(categories=["billing"])}
    settings.DATABASE_ROUTERS = [f"{__name__}.CategoriesReadElsewhere"]
    (decision,) = would_decide(report_of(billing, "failed", 0), get_handlers()).values()
    assert (decision.send, decision.event) == (True, "report")


def test_a_report_below_the_level_leaves_no_record_even_where_it_is_not_routed(settings, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"billing": handler(categories=["billing"])}
    assert emit(task, [("warnings", 0)]) == [[]]


def test_a_report_not_routed_leaves_the_state_alone(settings, billing):
    other = handler(categories=["other"], notify="change")
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"other": other}
    emit(billing, [("failed", 0)])
    assert not HandlerState.objects.filter(task=billing).exists()


# -- the snooze ---------------------------------------------------------------------------


def test_a_snoozed_task_leaves_skipped_records_and_its_next_report_is_judged_on_change(
    settings, outbox, task
):
    settings.TIME_ZONE = "UTC"
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"every": handler()}
    emit(task, [("failed", -5)])
    until = timezone.now().replace(hour=23, minute=59, second=0, microsecond=0)
    snooze(task, until)
    (rows,) = emit(task, [("failed", 0)])
    assert rows == [("every", "skipped", "snoozed until 23:59")]
    resume(task)
    assert emit(task, [("ok", 5), ("failed", 10)]) == [
        [("every", "sent", "recovered")],
        [("every", "sent", "report")],
    ]
    assert [m.context["event"] for m in outbox] == ["report", "recovered", "report"]


def test_a_snooze_until_resumed_lasts_until_resumed(settings, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"every": handler()}
    snooze(task, None)
    task.refresh_from_db()
    assert task.notifications_snoozed_until.year == 9999
    assert emit(task, [("failed", 0)]) == [[("every", "skipped", "snoozed until resumed")]]


def test_judge_reads_the_snooze_fresh_from_the_database(settings, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"every": handler()}
    report = report_of(task, "failed")
    until = timezone.now() + datetime.timedelta(hours=1)
    Task.objects.filter(pk=task.pk).update(notifications_snoozed_until=until)

    (decision,) = judge(report, get_handlers()).values()
    assert decision.reason.startswith("snoozed until ")


# -- two runs finishing at once -------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3
ROUNDS = ["failed", "ok", "failed", "ok", "failed", "ok"]


def _manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
        capture_output=capture,
        text=True,
    )
    return done.stdout if capture else ""


RACE_HANDLERS = {
    "change": {"transport": LOCMEM, "templates": "log", "notify": "change"},
    "every": {"transport": LOCMEM, "templates": "log"},
}
NEW_TASK = "from tests.notifications.sequences import a_task\nprint(a_task().pk)\n"


@pytest.fixture
def race_project(tmp_path: Path) -> tuple[dict[str, str], int]:
    """A migrated database file (SQLite) with one task: the task's id and the environment of
    the worker processes."""
    env = project_env(
        tmp_path, TASKMANAGER_TEST_DB_TIMEOUT="30", TASKMANAGER_TEST_HANDLERS=json.dumps(RACE_HANDLERS)
    )
    task_id = int(_manage(env, "shell", "-c", NEW_TASK, capture=True).split()[-1])
    return env, task_id


@pytest.fixture
def race_project_on_postgres(postgres_db: PostgresDatabase) -> tuple[dict[str, str], int]:
    """:func:`race_project` on a PostgreSQL database of the test command's server (machines
    sharing one database, as workers on several machines do)."""
    env = postgres_db.env(TASKMANAGER_TEST_HANDLERS=json.dumps(RACE_HANDLERS))
    task_id = int(_manage(env, "shell", "-c", NEW_TASK, capture=True).split()[-1])
    return env, task_id


def _wait_for_all(folder: Path, prefix: str, patience: float = 120) -> None:
    deadline = time.monotonic() + patience
    while len(list(folder.glob(f"{prefix}-*"))) < WORKERS:
        assert time.monotonic() < deadline, f"the workers never all reached {prefix}"
        time.sleep(0.001)


@pytest.mark.slow
def test_runs_finishing_at_once_tell_one_triggered_and_one_recovered_each_time(race_project, tmp_path):
    env, task_id = race_project
    assert_one_triggered_and_one_recovered_each_time(env, task_id, tmp_path)


@pytest.mark.slow
@pytest.mark.postgres
def test_runs_finishing_at_once_on_postgresql_tell_one_triggered_and_one_recovered_each_time(
    race_project_on_postgres, tmp_path
):
    env, task_id = race_project_on_postgres
    assert_one_triggered_and_one_recovered_each_time(env, task_id, tmp_path)


def assert_one_triggered_and_one_recovered_each_time(
    env: dict[str, str], task_id: int, tmp_path: Path
) -> None:
    folder = tmp_path / "signals"
    folder.mkdir()
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.notifications.policy_race",
                str(task_id),
                str(folder),
                str(n),
                *ROUNDS,
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(WORKERS)
    ]
    for number in range(len(ROUNDS)):
        _wait_for_all(folder, f"ready-{number}")
        (folder / f"go-{number}").touch()  # every worker is waiting for it: they go at once
        _wait_for_all(folder, f"done-{number}")
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * WORKERS
    rounds = list(zip(*(output.split() for output in outputs), strict=True))
    script = (
        "import json\n"
        "from taskmanager.models import Delivery, HandlerState\n"
        "rows = list(Delivery.objects.values('report_id', 'handler', 'status', 'event', 'reason'))\n"
        "states = list(HandlerState.objects.values('handler', 'streak', 'judged'))\n"
        "print(json.dumps({'rows': rows, 'states': states}))\n"
    )
    found = json.loads(_manage(env, "shell", "-c", script, capture=True).splitlines()[-1])
    for result, reports in zip(ROUNDS, rounds, strict=True):
        rows = [r for r in found["rows"] if str(r["report_id"]) in reports]
        change = sorted((r["status"], r["event"]) for r in rows if r["handler"] == "change")
        every = sorted((r["status"], r["event"]) for r in rows if r["handler"] == "every")
        if result == "failed":  # one is first, the others find it failing already
            assert change == [("sent", "triggered")] + [("skipped", "")] * (WORKERS - 1)
            assert every == [("sent", "report")] * WORKERS
        else:  # one recovery, then reports below the level after one below it: no record
            assert change == [("sent", "recovered")]
            assert every == []
    states = {state["handler"]: state for state in found["states"]}
    assert states["change"]["judged"] == WORKERS * len(ROUNDS)  # no decision lost
    assert states["change"]["streak"] == 0


def test_would_decide_answers_as_judge_would_and_writes_nothing(settings, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "change": handler(notify="change"),
        "every": handler(),
    }
    emit(task, [("failed", 0)])
    report = report_of(task, "failed", 10)
    before = list(HandlerState.objects.values())
    would = would_decide(report, get_handlers())
    assert (would["change"].send, would["change"].reason.startswith("quiet: still failing since")) == (
        False,
        True,
    )
    assert (would["every"].send, would["every"].event) == (True, "report")
    assert list(HandlerState.objects.values()) == before
    assert not Delivery.objects.filter(report=report).exists()
    assert judge(report, get_handlers()) == would


def test_would_decide_on_a_task_never_judged_takes_a_first_report(settings, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"change": handler(notify="change")}
    (decision,) = would_decide(report_of(task, "errors"), get_handlers()).values()
    assert (decision.send, decision.event) == (True, "triggered")
    assert not HandlerState.objects.exists()


def test_skipped_records_are_pruned_with_the_others(settings, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"change": handler(notify="change")}
    settings.UWSGI_TASKMANAGER_DELIVERY_RETENTION_DAYS = 30
    emit(task, [("failed", 0), ("failed", 10)])
    skipped = Delivery.objects.get(status=Delivery.STATUS_SKIPPED)
    Delivery.objects.filter(pk=skipped.pk).update(created=timezone.now() - datetime.timedelta(days=31))
    assert prune_deliveries() == 1
    assert list(Delivery.objects.values_list("status", flat=True)) == ["sent"]


def test_when_the_database_fails_the_judging_every_handler_at_its_level_is_told(
    settings, outbox, task, caplog
):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "change": handler(notify="change"),
        "ok": handler(level="ok"),
    }
    emit(task, [("failed", 0)])
    with connection.cursor() as cursor:  # the state's table gone: a database the judge cannot use
        cursor.execute(f"DROP TABLE {HandlerState._meta.db_table}")
    outbox.clear()
    with caplog.at_level(logging.ERROR, logger="taskmanager.notifications"):
        (rows,) = emit(task, [("failed", 10)])
    assert rows == [("change", "sent", "report"), ("ok", "sent", "report")]
    assert "could not judge report" in caplog.text
