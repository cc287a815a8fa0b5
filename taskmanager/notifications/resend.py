"""Re-attempt failed deliveries: what ``manage.py resend_notifications`` does.

A resend sends the parts stored on the delivery record, exactly as they were
rendered when the report was first sent (secrets were never stored, and none
of the stored parts contain any). Only a record with no stored parts (its
rendering failed) is rendered again. A record whose report has since been
delivered through the same handler is never sent again.

Resenders may run at the same time (two cron runs overlapping, the admin's Resend
during one, the spooler's job): each record is **claimed** in the database before it
is sent, and only the process whose claim succeeded sends it. A claim is one
conditional ``UPDATE``: the record turns ``pending`` again, its ``updated`` time
saying when the attempt started, only if it is still failed (or abandoned) and no
record of the same report and handler is sent or in progress. A process whose
claim matches no row leaves the record alone.

Why a claim holds on SQLite and on PostgreSQL:

- SQLite runs one writing statement at a time over the whole database, and an
  ``UPDATE`` takes the write lock before it reads: the check and the change of one
  claim cannot interleave with another's.
- PostgreSQL runs two updates side by side. On one row, the second waits for
  the first to commit and checks the row again (no longer failed: no match). Two
  records of one report and handler are two rows, so a claim first locks the
  report's row (``SELECT ... FOR NO KEY UPDATE``): claims on one report take turns, and
  each one's statement sees what the claims before it committed (READ COMMITTED
  reads a new snapshot per statement).

A ``pending`` record is in progress until its handler's ``deadline`` plus
:data:`STALE_PENDING` has passed since its attempt started (``updated``); then it
was abandoned (its process died mid-delivery) and is resent. A delivery in
progress is never resent.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from taskmanager.models import Delivery, Report
from taskmanager.notifications.config import get_handler
from taskmanager.notifications.delivery import attempt_delivery
from taskmanager.notifications.delivery_policy import MAX_DEADLINE
from taskmanager.notifications.emission import Outcome, record
from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.isolation import describe, is_interrupt
from taskmanager.notifications.message import Message

#: How long past its handler's ``deadline`` a pending record may still be in progress before
#: it counts as abandoned: the last attempt may start just before the deadline and take the
#: transport's ``timeout``, and an emission renders every handler's message before it sends.
STALE_PENDING = datetime.timedelta(minutes=15)

#: The fields a claim reads back: another resender may have attempted the record between the
#: listing and the claim, and ``attempts`` must count every attempt.
_CLAIMED_FIELDS = ("status", "attempts", "last_error", "permanent", "parts", "level", "sent_at", "updated")


def in_progress_for(handler: NotificationHandler | None) -> datetime.timedelta:
    """How long a pending record of ``handler`` counts as in progress after its attempt started.

    A handler no longer configured gets the longest ``deadline`` a handler may have: when
    unsure, wait rather than send twice.
    """
    deadline = handler.retry_policy.deadline if handler is not None else MAX_DEADLINE
    return datetime.timedelta(seconds=deadline) + STALE_PENDING


def _configured(name: str) -> NotificationHandler | None:
    try:
        return get_handler(name)
    except NotificationConfigurationError:
        return None


def _abandoned(now: datetime.datetime, handler: str | None) -> Q:
    """Pending records whose attempt started longer ago than their handler allows.

    Handlers differ in ``deadline``: one condition per handler name that has pending records
    (the names are read first, in one query); a name not among them matches nothing, so a
    record whose name appears meanwhile counts as in progress.
    """
    pending = Delivery.objects.filter(status=Delivery.STATUS_PENDING, test=False)
    if handler is not None:
        pending = pending.filter(handler=handler)
    condition = Q(pk__in=[])
    for name in pending.values_list("handler", flat=True).distinct().order_by():
        condition |= Q(handler=name, updated__lt=now - in_progress_for(_configured(name)))
    return Q(status=Delivery.STATUS_PENDING) & condition


def resendable(
    *, report: int | None = None, handler: str | None = None, since: datetime.datetime | None = None
) -> QuerySet[Delivery]:
    """Failed (or abandoned pending) deliveries whose report the same handler has not since
    delivered, nor is delivering now."""
    abandoned = _abandoned(timezone.now(), handler)
    sent_or_in_progress = Delivery.objects.filter(
        Q(status=Delivery.STATUS_SENT) | (Q(status=Delivery.STATUS_PENDING) & ~abandoned),
        report=OuterRef("report"),
        handler=OuterRef("handler"),
        test=False,
    )
    queryset = (
        Delivery.objects.filter(test=False)
        .filter(Q(status=Delivery.STATUS_FAILED) | abandoned)
        .exclude(Exists(sent_or_in_progress))
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


def claim(delivery: Delivery, handler: NotificationHandler | None) -> bool:
    """Take ``delivery`` for this process; False when another resender has it, or its report
    has since been delivered (or is being delivered) through the same handler.

    On success the record is ``pending`` from now on, and ``delivery`` holds its fields as
    they are in the database. See the module's docstring for why this is safe side by side.
    """
    now = timezone.now()
    started_before = now - in_progress_for(handler)
    taken = Delivery.objects.filter(
        Q(status=Delivery.STATUS_SENT) | Q(status=Delivery.STATUS_PENDING, updated__gte=started_before),
        report=delivery.report_id,
        handler=delivery.handler,
        test=False,
    )
    database = Delivery.objects.db
    features = connections[database].features
    with transaction.atomic(using=database):
        if features.has_select_for_update:
            # NO KEY where there is one (PostgreSQL): claims take turns, while new delivery rows
            # of the report (an emission's, which lock the report FOR KEY SHARE) never wait.
            no_key = features.has_select_for_no_key_update
            turn = Report.objects.select_for_update(no_key=no_key).filter(pk=delivery.report_id).order_by()
            list(turn.values_list("pk"))
        claimed = (
            Delivery.objects.filter(pk=delivery.pk)
            .filter(
                Q(status=Delivery.STATUS_FAILED)
                | Q(status=Delivery.STATUS_PENDING, updated__lt=started_before)
            )
            .exclude(Exists(taken))
            # update() leaves auto_now alone: the claim's time is written on purpose.
            .update(status=Delivery.STATUS_PENDING, updated=now)
        )
    if claimed:
        delivery.refresh_from_db(fields=_CLAIMED_FIELDS)
    return bool(claimed)


@dataclass(frozen=True)
class Resent:
    delivery: Delivery
    outcome: Outcome | None
    error: str = ""
    #: Not attempted here: another resender had claimed it, or it has since been delivered.
    busy: bool = False


def resend(deliveries: Iterable[Delivery]) -> list[Resent]:
    """Attempt each delivery once per call (with the handler's own retries), each claimed first."""
    results: list[Resent] = []
    seen: set[tuple[int, str]] = set()
    for delivery in deliveries:
        key = (delivery.report_id, delivery.handler)
        if key in seen:  # two failed rounds of one report: one resend delivers both
            continue
        seen.add(key)
        try:
            handler = get_handler(delivery.handler)
        except NotificationConfigurationError as exc:
            results.append(Resent(delivery, None, error=str(exc)))
            continue
        if not claim(delivery, handler):
            results.append(Resent(delivery, None, busy=True))
            continue
        outcome = _attempt(delivery, handler)
        record(delivery, outcome, handler)
        results.append(Resent(delivery, outcome))
    return results


def _attempt(delivery: Delivery, handler: NotificationHandler) -> Outcome:
    """Send the record's stored parts (or render them again); never raises, so that a claimed
    record is always given its outcome."""
    report = delivery.report
    try:
        if delivery.parts and set(handler.template_parts) <= set(delivery.parts):
            message = Message(
                handler=handler.name,
                level=delivery.level or report.invocation_result,
                parts={part: delivery.parts[part] for part in handler.template_parts},
                report=report,
            )
        else:
            message = handler.render(report)
    except BaseException as exc:  # a handler's own code failing must not leave the claim behind
        if is_interrupt(exc):  # Ctrl-C stops the resend; the claim counts as abandoned later
            raise
        error = handler.redact(f"rendering failed: {describe(exc)}")
        return Outcome(handler.name, sent=False, error=error, delivery_id=delivery.pk)
    attempted = attempt_delivery(handler, message)
    return Outcome.of(handler.name, message, attempted, delivery_id=delivery.pk)
