"""Re-attempt failed deliveries: what ``manage.py resend_notifications`` does.

A resend sends the parts stored on the delivery record, exactly as they were
rendered when the report was first sent (secrets were never stored, and none
of the stored parts contain any). Only a record with no stored parts (its
rendering failed) is rendered again. A record whose report has since been
delivered through the same handler is never sent again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from taskmanager.models import Delivery
from taskmanager.notifications.config import get_handler
from taskmanager.notifications.delivery import attempt_delivery
from taskmanager.notifications.emission import Outcome, record
from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.message import Message

#: A pending record older than this was abandoned (the process died mid-delivery).
STALE_PENDING = datetime.timedelta(minutes=15)


def resendable(
    *, report: int | None = None, handler: str | None = None, since: datetime.datetime | None = None
) -> QuerySet[Delivery]:
    """Failed (or abandoned pending) deliveries not since delivered by the same handler."""
    delivered_later = Delivery.objects.filter(
        report=OuterRef("report"), handler=OuterRef("handler"), status=Delivery.STATUS_SENT, test=False
    )
    stale = timezone.now() - STALE_PENDING
    queryset = (
        Delivery.objects.filter(test=False)
        .filter(Q(status=Delivery.STATUS_FAILED) | Q(status=Delivery.STATUS_PENDING, created__lt=stale))
        .exclude(Exists(delivered_later))
        .select_related("report__task")
        .order_by("created", "id")
    )
    if report is not None:
        queryset = queryset.filter(report_id=report)
    if handler is not None:
        queryset = queryset.filter(handler=handler)
    if since is not None:
        queryset = queryset.filter(created__gte=since)
    return queryset


@dataclass(frozen=True)
class Resent:
    delivery: Delivery
    outcome: Outcome | None
    error: str = ""


def resend(deliveries: Iterable[Delivery]) -> list[Resent]:
    """Attempt each delivery once per call (with the handler's own retries)."""
    results: list[Resent] = []
    seen: set[tuple[int, str]] = set()
    for delivery in deliveries:
        key = (delivery.report.pk, delivery.handler)
        if key in seen:  # two failed rounds of one report: one resend delivers both
            continue
        seen.add(key)
        try:
            handler = get_handler(delivery.handler)
        except NotificationConfigurationError as exc:
            results.append(Resent(delivery, None, error=str(exc)))
            continue
        report = delivery.report
        if delivery.parts and set(handler.template_parts) <= set(delivery.parts):
            message = Message(
                handler=handler.name,
                level=delivery.level or report.invocation_result,
                parts={part: delivery.parts[part] for part in handler.template_parts},
                report=report,
            )
        else:
            message = handler.render(report)
        attempted = attempt_delivery(handler, message)
        outcome = Outcome.of(handler.name, message, attempted, delivery_id=delivery.pk)
        record(delivery, outcome, handler)
        results.append(Resent(delivery, outcome))
    return results
