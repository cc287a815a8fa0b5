"""The notification policy against the database: judge a report for every handler, safely.

:func:`judge` reads what each handler was told of the task
(:class:`~taskmanager.models.HandlerState`), decides with :func:`.policy.decide`, and writes
the new state and the skipped delivery records, all in one transaction that holds the task's
state rows locked from the first read to the commit. Two runs of a task that finish at once,
in one process or on two machines, are judged one after the other: no duplicate
``recovered``, no lost ``triggered`` (docs/policy.rst, "Concurrency").

How the lock is taken:

1. The rows are created race-free first: ``INSERT ... ON CONFLICT DO NOTHING`` against the
   unique constraint on (task, handler) (``get_or_create`` retried on an integrity error where
   the database cannot ignore conflicts). Being a write, it is also what makes SQLite, which
   ignores ``select_for_update``, serialise the two transactions from their first statement
   (SQLite would refuse a transaction that reads, then tries to write while another writes).
2. ``select_for_update()`` locks the rows (PostgreSQL, MySQL, Oracle), in handler-name order
   so that two judges never wait for each other crosswise.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from taskmanager.models import HandlerState, Task, TaskCategory
from taskmanager.notification_state import snoozed_until_resumed
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.policy import Decision, State, decide
from taskmanager.notifications.records import create_skipped
from taskmanager.results import Result, level_of_result
from taskmanager.statements import insert_rows, select_rows, select_values, update_row

if TYPE_CHECKING:
    from taskmanager.models import Report

logger = logging.getLogger("taskmanager.notifications")


def snooze(task: Task, until: datetime | None) -> None:
    """Hold back ``task``'s notifications until ``until`` (None: until resumed); saves only
    that field, as the task may be running or edited meanwhile."""
    task.notifications_snoozed_until = until if until is not None else snoozed_until_resumed()
    task.save(update_fields=["notifications_snoozed_until"])


def resume(task: Task) -> None:
    """End ``task``'s snooze: its next report is judged as under ``notify: "change"``."""
    task.notifications_snoozed_until = None
    task.save(update_fields=["notifications_snoozed_until"])


def state_of(row: HandlerState) -> State:
    return State(
        streak=row.streak,
        streak_started=row.streak_started,
        streak_result=level_of_result(row.streak_result),
        last_sent_result=level_of_result(row.last_sent_result),
        last_sent_at=row.last_sent_at,
        held=row.held,
        judged=row.judged,
    )


def _values(state: State, now: datetime) -> dict[str, object]:
    """The fields of a state row holding ``state``."""
    return {
        "streak": state.streak,
        "streak_started": state.streak_started,
        "streak_result": str(state.streak_result or ""),
        "last_sent_result": str(state.last_sent_result or ""),
        "last_sent_at": state.last_sent_at,
        "held": state.held,
        "judged": state.judged,
        "updated": now,
    }


def _ensure_rows(task_id: int, names: Iterable[str]) -> None:
    """A state row per handler name, created race-free (see the module's docstring)."""
    rows = [HandlerState(task_id=task_id, handler=name) for name in sorted(names)]
    if connections[HandlerState.objects.db].features.supports_ignore_conflicts:
        insert_rows(rows, ignore_conflicts=True)
        return
    for row in rows:
        try:
            with transaction.atomic():
                HandlerState.objects.get_or_create(task_id=task_id, handler=row.handler)
        except IntegrityError:  # the other run created it meanwhile: it exists now
            pass


def _task_now(report: Report, handlers: list[NotificationHandler]) -> tuple[datetime | None, str | None]:
    """The task's snooze and category name, read fresh: a snooze set, or a category changed,
    while the task ran counts. The name is read only when a handler's route asks for it."""
    alias = router.db_for_read(Task)
    rows = select_values(
        Task, ("notifications_snoozed_until", "category_id"), {"id": report.task_id}, using=alias
    )
    if not rows:
        raise Task.DoesNotExist(f"task {report.task_id} of report {report.pk} no longer exists")
    [(snoozed, category_id)] = rows
    if category_id is None or not any(handler.route.asks_category for handler in handlers):
        return snoozed, None
    # From the task's database, as the join of the two read it.
    names = select_values(TaskCategory, ("name",), {"id": category_id}, using=alias)
    return snoozed, names[0][0] if names else None


def _route(
    report: Report, result: Result, handlers: list[NotificationHandler], category: str | None
) -> tuple[dict[str, Decision], dict[str, NotificationHandler]]:
    """The decisions of the handlers the task is not routed to, and the handlers it is."""
    refused: dict[str, Decision] = {}
    routed: dict[str, NotificationHandler] = {}
    for handler in handlers:
        refusal = handler.route.refusal(report.task.name, category)
        if refusal is None:
            routed[handler.name] = handler
        else:  # a route is not the task's state: nothing to remember
            refused[handler.name] = Decision(False, reason=refusal if result >= handler.level else "")
    return refused, routed


def _decide(
    report: Report,
    result: Result,
    handler: NotificationHandler,
    state: State,
    snoozed: datetime | None,
    now: datetime,
) -> tuple[Decision, State]:
    at = report.end_datetime or report.invocation_datetime or now
    return decide(
        handler.policy, result, at, state, snoozed_until=snoozed, now=now, started=report.invocation_datetime
    )


def judge(
    report: Report, handlers: list[NotificationHandler], *, now: datetime | None = None
) -> dict[str, Decision]:
    """Every handler's decision on ``report``, the policy's state and the skipped records
    written (one transaction). A report without a result (a run going on) tells nobody."""
    result = report.result
    if result is None or not handlers:
        return {handler.name: Decision(False) for handler in handlers}
    now = now or timezone.now()
    snoozed_until, category = _task_now(report, handlers)
    decisions, routed = _route(report, result, handlers, category)
    with transaction.atomic():
        if routed:
            _ensure_rows(report.task_id, routed)
            rows = select_rows(
                HandlerState,
                {"task_id": report.task_id, "handler": list(routed)},
                order_by="handler",
                for_update=True,
            )
            for row in rows:
                decision, state = _decide(
                    report, result, routed[row.handler], state_of(row), snoozed_until, now
                )
                decisions[row.handler] = decision
                # One plain UPDATE per row, written once: bulk_update's CASE expressions cost
                # more to build than a few statements (a handful of handlers per task) cost to run.
                update_row(HandlerState, row.pk, _values(state, now))
        skipped = {name: d for name, d in decisions.items() if d.recorded and not d.send}
        if skipped:
            create_skipped(report, skipped, result)
    return {handler.name: decisions[handler.name] for handler in handlers}


def forget(report: Report, handler: str, decision: Decision | None) -> bool:
    """The handler's own ``accepts()`` declined a message :func:`judge` counted as told: the
    handler is taken as never told of it (its last message is the one before), so the next
    report that is news for it is told, not held back as "quiet". True when forgotten.

    A conditional update on the number of reports judged: a later report of the task judged
    meanwhile has moved the state on, and is left as it is.
    """
    if decision is None or not decision.send or decision.told_before is None or not decision.number:
        return False
    before = decision.told_before
    told = HandlerState.objects.filter(task_id=report.task_id, handler=handler, judged=decision.number)
    return bool(
        told.update(
            last_sent_result=str(before.last_sent_result or ""),
            last_sent_at=before.last_sent_at,
            held=before.held,
        )
    )


def would_decide(
    report: Report, handlers: list[NotificationHandler], *, now: datetime | None = None
) -> dict[str, Decision]:
    """What :func:`judge` would decide for ``report`` were it to arrive now, against the state
    as it is, writing nothing and locking nothing: for previews ("would it be sent, and why?")."""
    result = report.result
    if result is None or not handlers:
        return {handler.name: Decision(False) for handler in handlers}
    now = now or timezone.now()
    snoozed_until, category = _task_now(report, handlers)
    decisions, routed = _route(report, result, handlers, category)
    states = {
        row.handler: state_of(row)
        for row in HandlerState.objects.filter(task_id=report.task_id, handler__in=routed)
    }
    for name, handler in routed.items():
        decisions[name] = _decide(report, result, handler, states.get(name, State()), snoozed_until, now)[0]
    return {handler.name: decisions[handler.name] for handler in handlers}


def judge_or_send(report: Report, handlers: list[NotificationHandler]) -> dict[str, Decision]:
    """:func:`judge`; when the database fails it, every handler whose level the report reaches
    is told, as under ``notify: "every"``: a repeated alert costs less than a lost one."""
    try:
        return judge(report, handlers)
    except Exception:
        logger.exception(
            "The notification policy could not judge report %s: sending it as under notify 'every'",
            report.pk,
        )
    result = report.result or Result.OK
    return {handler.name: Decision(result >= handler.level, "report") for handler in handlers}
