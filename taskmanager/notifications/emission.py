"""Send a report to every handler whose level it reaches, side by side."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from taskmanager.notifications.config import get_handlers
from taskmanager.notifications.context import build_context
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.message import Message

if TYPE_CHECKING:
    from taskmanager.models import Report

logger = logging.getLogger("taskmanager.notifications")

#: Threads for one emission at most; handlers beyond it queue.
MAX_PARALLEL = 32


@dataclass(frozen=True)
class Outcome:
    """What happened to one handler's delivery of one report."""

    handler: str
    sent: bool
    message: Message | None = None
    error: BaseException | None = None


def deliver(handler: NotificationHandler, context: dict[str, Any], *, report: Report) -> Outcome:
    """Render and send for one handler; any failure is caught, logged and returned."""
    try:
        message = handler.render(report, context=context)
        handler.send(message)
    except Exception as exc:
        logger.error(
            "Notification handler %r failed for report %s (%s): %s: %s",
            handler.name,
            report.pk,
            report.task.name,
            type(exc).__name__,
            exc,
            exc_info=exc,
        )
        return Outcome(handler.name, sent=False, error=exc)
    return Outcome(handler.name, sent=True, message=message)


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
    # Contexts are built here, in the caller's thread, so that no delivery
    # thread needs the database; the shared part is built once for all.
    base = build_context(report, handler="")
    jobs = [(handler, {**base, **handler.extra_context(report)}) for handler in handlers]
    if len(jobs) == 1:
        return [deliver(*jobs[0], report=report)]
    with ThreadPoolExecutor(
        max_workers=min(len(jobs), MAX_PARALLEL), thread_name_prefix="taskmanager-notify"
    ) as pool:
        futures = [pool.submit(deliver, handler, context, report=report) for handler, context in jobs]
        return [future.result() for future in futures]
