"""Sending a preview as a test, through the handler's real transport."""

from __future__ import annotations

from dataclasses import dataclass

from taskmanager.models import Delivery, Report
from taskmanager.notifications.delivery import attempt_delivery
from taskmanager.notifications.delivery_policy import RetryPolicy
from taskmanager.notifications.emission import Outcome, record
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.preview.rendering import Rendered


@dataclass(frozen=True)
class Sent:
    """The outcome of sending one preview as a test."""

    handler: str
    level: str
    sent: bool
    attempts: int
    error: str = ""
    permanent: bool = False
    #: The Delivery recorded (test=True) when the report is a saved one.
    delivery_id: int | None = None


def send_test(
    handler: NotificationHandler,
    rendered: Rendered,
    report: Report | None,
    *,
    policy: RetryPolicy | None = None,
) -> Sent:
    """Deliver a message rendered with ``test=True`` through the handler's real transport.

    For a saved report the delivery is recorded (a :class:`~taskmanager.models.Delivery`
    with ``test=True``); a sample report has no row to record it against. ``policy``
    overrides the handler's retries (the admin tries once: a web request must not wait
    out backoffs).
    """
    message = rendered.message
    if message is None:
        raise ValueError("nothing was rendered to send")
    delivery = None
    if report is not None and report.pk is not None and not report._state.adding:
        delivery = Delivery.objects.create(
            report=report, handler=handler.name, level=rendered.level, test=True
        )
    attempted = attempt_delivery(handler, message, policy=policy)
    if delivery is not None:
        record(delivery, Outcome.of(handler.name, message, attempted), handler)
    return Sent(
        handler=handler.name,
        level=rendered.level,
        sent=attempted.sent,
        attempts=attempted.attempts,
        error=attempted.error,  # already redacted by attempt_delivery
        permanent=attempted.permanent,
        delivery_id=delivery.pk if delivery is not None else None,
    )
