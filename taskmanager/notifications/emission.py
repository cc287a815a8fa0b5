"""Send a report to every handler whose level it reaches, side by side, and record it.

Each delivery is recorded (:class:`taskmanager.models.Delivery`) before it is
attempted and updated after, so nothing is lost: a crash mid-delivery leaves a
pending record that ``resend_notifications`` picks up. All database work
happens in the calling thread; the delivery threads only render and send.

Costs are kept low beside the deliveries themselves (see docs/performance.rst):
the records of one emission are created in one statement while the delivery
threads render, and outcomes that arrive together are stored in one
transaction; messages are sent once all are rendered, as rendering holds the
interpreter and a delivery waiting for it would wait for the next thread
switch at every step; the delivery threads are started once per process.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connections, transaction
from django.utils import timezone

from taskmanager.conf import settings
from taskmanager.lazy import Lazy
from taskmanager.models import Delivery
from taskmanager.notifications.config import get_handlers
from taskmanager.notifications.context import build_context
from taskmanager.notifications.delivery import Attempted, attempt_delivery
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.message import Message
from taskmanager.results import Result

if TYPE_CHECKING:
    from taskmanager.models import Report

logger = logging.getLogger("taskmanager.notifications")
T = TypeVar("T")

#: Delivery threads of a process at most; handlers beyond it queue.
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
        )


def render_message(
    handler: NotificationHandler, context: dict[str, Any], *, report: Report
) -> Message | Outcome:
    """The rendered message, or the failed outcome when rendering broke; never raises."""
    try:
        return handler.render(report, context=context)
    except Exception as exc:  # a bug beyond template errors, which render() works around
        error = handler.redact(f"rendering failed: {type(exc).__name__}: {exc}")
        logger.error("Notification handler %r failed for report %s: %s", handler.name, report.pk, error)
        logger.debug("%s", handler.redact(traceback.format_exc()))
        return Outcome(handler.name, sent=False, error=error)


def send_message(handler: NotificationHandler, message: Message, *, report: Report) -> Outcome:
    """Deliver a rendered message, with the handler's retries; never raises."""
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
    return Outcome.of(handler.name, message, attempted)


def render_and_send(handler: NotificationHandler, context: dict[str, Any], *, report: Report) -> Outcome:
    """Render and deliver for one handler; never raises."""
    rendered = render_message(handler, context, report=report)
    if isinstance(rendered, Outcome):
        return rendered
    return send_message(handler, rendered, report=report)


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
    # Built once for every handler: only the handlers' extra context and names differ.
    shared = build_context(report, handler="")
    jobs = [(handler, handler.context(report, shared=shared)) for handler in handlers]
    outcomes: dict[str, Outcome] = {}
    if len(jobs) == 1:
        handler, context = jobs[0]
        deliveries = create_deliveries(report, handlers, shared["level"])
        outcomes[handler.name] = render_and_send(handler, context, report=report)
        record(deliveries[handler.name], outcomes[handler.name], handler)
    else:
        deliveries = _side_by_side(report, jobs, shared["level"], outcomes)
    prune_deliveries_now_and_then()
    return [
        replace(outcomes[handler.name], delivery_id=deliveries[handler.name].pk) for handler, _context in jobs
    ]


def _side_by_side(
    report: Report,
    jobs: list[tuple[NotificationHandler, dict[str, Any]]],
    level: Result,
    outcomes: dict[str, Outcome],
) -> dict[str, Delivery]:
    """Render in the delivery threads while the records are written, then send side by side;
    fills ``outcomes`` and returns the records.

    Nothing is sent before every message is rendered, so that no delivery waits for the
    interpreter while another handler renders; nothing outlives the call, even when it fails.
    """
    pool = delivery_pool()
    renders = [
        (handler, pool.submit(_in_worker, render_message, handler, context, report=report))
        for handler, context in jobs
    ]
    submitted: list[Future[Any]] = [future for _handler, future in renders]
    try:
        deliveries = create_deliveries(report, [handler for handler, _context in jobs], level)
        sends: dict[Future[Outcome], NotificationHandler] = {}
        failed: list[NotificationHandler] = []
        for handler, future in renders:
            rendered = future.result()
            if isinstance(rendered, Outcome):
                outcomes[handler.name] = rendered
                failed.append(handler)
            else:
                sends[pool.submit(_in_worker, send_message, handler, rendered, report=report)] = handler
        submitted.extend(sends)
        if failed:
            _record_all(deliveries, outcomes, failed)
        pending: set[Future[Outcome]] = set(sends)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for finished in done:
                outcomes[sends[finished].name] = finished.result()
            _record_all(deliveries, outcomes, [sends[finished] for finished in done])
        return deliveries
    finally:
        wait(submitted)


def _record_all(
    deliveries: dict[str, Delivery], outcomes: dict[str, Outcome], handlers: list[NotificationHandler]
) -> None:
    """Store the outcomes that arrived together, in one transaction."""
    with transaction.atomic():
        for handler in handlers:
            record(deliveries[handler.name], outcomes[handler.name], handler)


def _start_delivery_threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=MAX_PARALLEL, thread_name_prefix="taskmanager-notify")


_pool = Lazy(_start_delivery_threads, per_process=True)


def delivery_pool() -> ThreadPoolExecutor:
    """The process's delivery threads, started on first use and kept for later emissions.

    Starting threads for every emission costs more than rendering its messages on a
    busy machine. A forked child (uWSGI workers) gets a pool of its own: the
    parent's threads do not exist there.
    """
    return _pool.get()


def _in_worker(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``function`` in a pool thread, then close any database connection it opened
    (a template may load a relation), since the thread lives on."""
    try:
        return function(*args, **kwargs)
    finally:
        connections.close_all()


def create_deliveries(
    report: Report, handlers: list[NotificationHandler], level: Result
) -> dict[str, Delivery]:
    """A pending record per handler, written in one statement where the database
    returns the new ids (SQLite, PostgreSQL, MariaDB), else in one transaction."""
    records = [Delivery(report=report, handler=handler.name, level=level) for handler in handlers]
    if connections[Delivery.objects.db].features.can_return_rows_from_bulk_insert:
        Delivery.objects.bulk_create(records)
    else:
        with transaction.atomic():
            for delivery in records:
                delivery.save(force_insert=True)
    return {delivery.handler: delivery for delivery in records}


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
