"""Delivery records: what happened to one handler's delivery of one report, and storing it.

A record is written *before* its delivery is attempted (pending) and updated after it, so
that a crash leaves a pending record for ``resend_notifications``; old records are pruned.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction
from django.utils import timezone

from taskmanager.conf import settings
from taskmanager.models import Delivery
from taskmanager.notifications.delivery import Attempted
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.message import Message
from taskmanager.notifications.policy import Decision
from taskmanager.results import Result
from taskmanager.statements import insert_rows, update_row

if TYPE_CHECKING:
    from taskmanager.models import Report

logger = logging.getLogger("taskmanager.notifications")


@dataclass(frozen=True)
class Outcome:
    """What happened to one handler's delivery of one report."""

    handler: str
    sent: bool
    message: Message | None = None
    error: str = ""
    permanent: bool = False
    attempts: int = 0
    delivery_id: int | None = None
    #: Sent, but something sent along with it was not (see ``Transport.send``).
    note: str = ""

    @classmethod
    def of(
        cls, handler: str, message: Message, attempted: Attempted, delivery_id: int | None = None
    ) -> Outcome:
        """The outcome of delivering ``message``, as :func:`attempt_delivery` reported it."""
        return cls(
            handler,
            sent=attempted.sent,
            message=message,
            error=attempted.error,
            permanent=attempted.permanent,
            attempts=attempted.attempts,
            delivery_id=delivery_id,
            note=attempted.note,
        )


def record(delivery: Delivery, outcome: Outcome, handler: NotificationHandler | None = None) -> None:
    """Store an outcome on its delivery record (secrets left out; ``handler`` hides them
    from the parts, and is None only for an outcome without a message)."""
    delivery.attempts += outcome.attempts
    if outcome.message is not None and handler is not None:
        delivery.parts = {part: handler.redact(text) for part, text in outcome.message.parts.items()}
        delivery.level = outcome.message.level
    problems = "; ".join(outcome.message.problems) if outcome.message else ""
    if outcome.sent:
        delivery.status = Delivery.STATUS_SENT
        delivery.sent_at = timezone.now()
        delivery.permanent = False
        notes = [f"sent with a fallback template: {problems}"] if problems else []
        delivery.last_error = "; ".join([*notes, *([outcome.note] if outcome.note else [])])
    else:
        delivery.status = Delivery.STATUS_FAILED
        delivery.permanent = outcome.permanent
        delivery.last_error = outcome.error
    delivery.updated = timezone.now()
    # One statement written once (a model save compiles it anew: most of an outcome's cost).
    values = {name: getattr(delivery, name) for name in _OUTCOME_FIELDS}
    if not update_row(Delivery, delivery.pk, values, using=delivery._state.db):  # where save() writes
        # Its report was deleted meanwhile (records go with it): nothing left to record on.
        logger.warning(
            "Delivery record %s of handler %r is gone (its report deleted?): its outcome (%s) is not stored",
            delivery.pk,
            delivery.handler,
            delivery.status,
        )


# What recording an outcome changes: the record's other columns were written when it was created.
_OUTCOME_FIELDS = ("attempts", "parts", "level", "status", "sent_at", "permanent", "last_error", "updated")


def create_deliveries(
    report: Report, handlers: list[str], level: Result, events: Mapping[str, str] | None = None
) -> dict[str, Delivery]:
    """A pending record per handler name (with the policy's event for it, from ``events``),
    written in one statement where the database returns the new ids (SQLite, PostgreSQL,
    MariaDB), else in one transaction."""
    events = events or {}
    records = [
        Delivery(report=report, handler=name, level=level, event=events.get(name, "")) for name in handlers
    ]
    if connections[Delivery.objects.db].features.can_return_rows_from_bulk_insert:
        insert_rows(records)
    else:
        with transaction.atomic():
            for delivery in records:
                delivery.save(force_insert=True)
    return {delivery.handler: delivery for delivery in records}


def create_skipped(report: Report, decisions: Mapping[str, Decision], level: Result) -> None:
    """A skipped record per handler the policy held back, with its reason (one statement)."""
    Delivery.objects.bulk_create(
        Delivery(
            report=report,
            handler=name,
            level=level,
            status=Delivery.STATUS_SKIPPED,
            event=decision.event,
            reason=decision.reason[:255],  # the field's max_length
        )
        for name, decision in decisions.items()
    )


_last_prune = 0.0
PRUNE_EVERY = 3600.0


def prune_deliveries(now: Any = None) -> int:
    """Delete delivery records older than UWSGI_TASKMANAGER_DELIVERY_RETENTION_DAYS."""
    days = settings.DELIVERY_RETENTION_DAYS
    if days is None:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = Delivery.objects.filter(created__lt=cutoff).delete()
    return deleted


def prune_deliveries_now_and_then() -> None:
    """Prune at most once an hour per process, so emission stays cheap."""
    global _last_prune
    if time.monotonic() - _last_prune < PRUNE_EVERY:
        return
    _last_prune = time.monotonic()
    try:
        prune_deliveries()
    except Exception:  # pruning must never cost a notification
        logger.exception("Pruning old delivery records failed")
