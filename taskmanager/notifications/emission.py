"""Send a report to every handler whose level it reaches, side by side, and record it.

Each delivery is recorded (:class:`taskmanager.models.Delivery`) before it is
attempted and updated after, so nothing is lost: a crash mid-delivery leaves a
pending record that ``resend_notifications`` picks up. All database work
happens in the calling thread; the delivery threads only render and send.

Database writes are few, as each commit may wait for the disk: the records of
one emission are created in one transaction while the delivery threads already
render (they send once the records exist), and outcomes that arrive together
are stored together.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from taskmanager.conf import settings
from taskmanager.models import Delivery
from taskmanager.notifications.config import get_handlers
from taskmanager.notifications.context import build_context
from taskmanager.notifications.delivery import Attempted, attempt_delivery
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.message import Message

if TYPE_CHECKING:
    from taskmanager.models import Report

logger = logging.getLogger("taskmanager.notifications")

#: Threads for one emission at most; handlers beyond it queue.
MAX_PARALLEL = 64


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


class Gate:
    """Holds the delivery threads between rendering and sending until the records exist."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._open = False

    def open(self) -> None:
        self._open = True
        self._event.set()

    def close(self) -> None:
        self._event.set()

    def wait(self) -> bool:
        """Whether sending may go ahead (False: the records could not be written)."""
        self._event.wait()
        return self._open


def render_and_send(
    handler: NotificationHandler, context: dict[str, Any], *, report: Report, gate: Gate | None = None
) -> Outcome:
    """Render and deliver for one handler (in a worker thread); never raises.

    With a ``gate``, the message is rendered at once and sent once the gate opens.
    """
    try:
        message = handler.render(report, context=context)
    except Exception as exc:  # a bug beyond template errors, which render() works around
        error = handler.redact(f"rendering failed: {type(exc).__name__}: {exc}")
        logger.error("Notification handler %r failed for report %s: %s", handler.name, report.pk, error)
        logger.debug("%s", handler.redact(traceback.format_exc()))
        return Outcome(handler.name, sent=False, error=error)
    if gate is not None and not gate.wait():
        return Outcome(handler.name, sent=False, message=message, error="not sent: no delivery record")
    attempted = attempt_delivery(handler, message)
    if not attempted.sent:
        logger.error(
            "Notification handler %r failed for report %s (%s) after %d attempt(s): %s",
            handler.name,
            report.pk,
            report.task.name,
            attempted.attempts,
            attempted.error,
        )
    return _outcome(handler, message, attempted)


def _outcome(handler: NotificationHandler, message: Message, attempted: Attempted) -> Outcome:
    return Outcome(
        handler.name,
        sent=attempted.sent,
        message=message,
        error=attempted.error,
        permanent=attempted.permanent,
        attempts=attempted.attempts,
    )


def record(delivery: Delivery, outcome: Outcome, handler: NotificationHandler) -> None:
    """Store an outcome on its delivery record (secrets left out)."""
    delivery.attempts += outcome.attempts
    if outcome.message is not None:
        delivery.parts = {part: handler.redact(text) for part, text in outcome.message.parts.items()}
        delivery.level = outcome.message.level
    problems = "; ".join(outcome.message.problems) if outcome.message else ""
    if outcome.sent:
        delivery.status = Delivery.STATUS_SENT
        delivery.sent_at = timezone.now()
        delivery.permanent = False
        delivery.last_error = f"sent with a fallback template: {problems}" if problems else ""
    else:
        delivery.status = Delivery.STATUS_FAILED
        delivery.permanent = outcome.permanent
        delivery.last_error = outcome.error
    delivery.save()


def emit_notifications(report: Report) -> list[Outcome]:
    """Send ``report`` to each matching handler; return once all have finished.

    Each call is a new round of deliveries. One handler's failure is logged on
    ``taskmanager.notifications`` with its name and never stops the others.
    """
    if report.notifications_disabled:
        return []
    handlers = [handler for handler in get_handlers() if handler.accepts(report)]
    if not handlers:
        return []
    base = build_context(report, handler="")
    jobs = [(handler, {**base, **handler.extra_context(report)}) for handler in handlers]
    outcomes: dict[str, Outcome] = {}
    if len(jobs) == 1:
        handler, context = jobs[0]
        deliveries = create_deliveries(report, handlers, base["level"])
        outcomes[handler.name] = render_and_send(handler, context, report=report)
        record(deliveries[handler.name], outcomes[handler.name], handler)
    else:
        gate = Gate()
        with ThreadPoolExecutor(
            max_workers=min(len(jobs), MAX_PARALLEL), thread_name_prefix="taskmanager-notify"
        ) as pool:
            futures = {
                pool.submit(render_and_send, handler, context, report=report, gate=gate): handler
                for handler, context in jobs
            }
            try:
                deliveries = create_deliveries(report, handlers, base["level"])
            except BaseException:
                gate.close()  # nothing is sent without its record
                raise
            gate.open()
            pending: set[Future[Outcome]] = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                with transaction.atomic():
                    for future in done:
                        handler = futures[future]
                        outcomes[handler.name] = future.result()
                        record(deliveries[handler.name], outcomes[handler.name], handler)
    prune_deliveries_now_and_then()
    return [
        replace(outcomes[handler.name], delivery_id=deliveries[handler.name].pk) for handler, _context in jobs
    ]


def create_deliveries(report: Report, handlers: list[NotificationHandler], level: str) -> dict[str, Delivery]:
    """A pending record per handler, written in one transaction (one commit)."""
    with transaction.atomic():
        return {
            handler.name: Delivery.objects.create(report=report, handler=handler.name, level=level)
            for handler in handlers
        }


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
