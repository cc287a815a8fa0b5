"""Send a report to every handler the notification policy tells, side by side, and record it.

Who is told, and as what, is decided first, in the calling thread: the level, the routes, the
policy and a snooze (:mod:`.policy_state`, which also writes the skipped records).

Each delivery is recorded (:class:`taskmanager.models.Delivery`) before it is
attempted and updated after, so nothing is lost: a crash mid-delivery leaves a
pending record that ``resend_notifications`` picks up. All database work
happens in the calling thread; the delivery threads run the handlers' own code.

**Every handler's own code runs in the delivery threads** (``accepts``, ``context``,
rendering, ``send``; its construction happened once, in :mod:`.config`), and whatever
it raises or however long it blocks stays with that handler (:mod:`.isolation`): the
fault is recorded on its delivery, logged by its name, and the report, the run's exit
status and the other handlers are untouched. Emission waits for a handler until its
``deadline`` (counted from the start of the emission), then records it as timed out and
moves on. A handler that could not be built gets a failed delivery too, so that
``resend_notifications`` delivers the report once its settings are fixed.

Costs are kept low beside the deliveries themselves (see docs/performance.rst):
the records of one emission are created in one statement while the delivery
threads render, and outcomes that arrive together are stored in one
transaction; messages are sent once all are rendered, as rendering holds the
interpreter and a delivery waiting for it would wait for the next thread
switch at every step; the delivery threads are started once per process. A
handler slower than :data:`HOLD` to accept or render no longer holds the
others: past it, each goes on as soon as it can.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connections, transaction

from taskmanager.lazy import Lazy
from taskmanager.models import Delivery
from taskmanager.notifications.config import get_loaded
from taskmanager.notifications.context import build_context
from taskmanager.notifications.delivery import attempt_delivery
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.isolation import DeliveryThreads, Fault, Running, describe, guard
from taskmanager.notifications.message import Message
from taskmanager.notifications.policy import Decision
from taskmanager.notifications.policy_state import forget, judge_or_send
from taskmanager.notifications.records import (
    Outcome,
    create_deliveries,
    prune_deliveries,
    prune_deliveries_now_and_then,
    record,
)
from taskmanager.results import Result

if TYPE_CHECKING:
    from taskmanager.models import Report

__all__ = [
    "Outcome",
    "create_deliveries",
    "delivery_pool",
    "emit_notifications",
    "prune_deliveries",
    "record",
]

logger = logging.getLogger("taskmanager.notifications")
T = TypeVar("T")

#: Delivery threads of a process busy at once at most; handlers beyond it queue.
MAX_PARALLEL = 64
#: Seconds one handler's ``accepts`` or rendering may hold the others' records and sends.
HOLD = 1.0


def prepare(
    handler: NotificationHandler, report: Report, shared: dict[str, Any], accepted: Future[Any]
) -> Any:
    """In a delivery thread: whether the handler takes the report (told through ``accepted``
    as soon as known), then its context and message; a :class:`Fault` where its code failed."""
    verdict = guard("accepts", handler, handler.accepts, report)
    accepted.set_result(verdict)
    if isinstance(verdict, Fault) or not verdict:
        return None
    context = guard("context", handler, handler.context, report, shared=shared)
    if isinstance(context, Fault):
        return context
    return guard("rendering", handler, handler.render, report, context=context)


def send(handler: NotificationHandler, message: Message, report: Report, deadline: float) -> Outcome:
    """In a delivery thread: deliver a rendered message, retrying only while the handler's
    deadline (a :func:`time.monotonic` time) allows."""
    policy = replace(handler.retry_policy, deadline=max(deadline - time.monotonic(), 0.001))
    attempted = attempt_delivery(handler, message, policy=policy)
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


@dataclass(eq=False)
class _Job:
    """One handler's delivery of the report, as the round follows it."""

    handler: NotificationHandler
    deadline: float
    accepted: Future[Any]
    prepared: Running[Any]
    accepts: bool = False
    declined: bool = False
    message: Message | None = None
    sending: Running[Any] | None = None
    outcome: Outcome | None = None
    delivery: Delivery | None = None
    recorded: bool = False

    @property
    def open(self) -> bool:
        """Still waiting for its outcome."""
        return not self.declined and self.outcome is None

    @property
    def running(self) -> Running[Any]:
        return self.sending or self.prepared

    def fail(self, error: str, *, log: bool = True) -> None:
        if log:
            logger.error("Notification handler %r: %s", self.handler.name, error)
        self.outcome = Outcome(self.handler.name, sent=False, message=self.message, error=error)


def _value(future: Future[Any], stage: str) -> Any:
    """A finished future's result; a Fault when the work itself raised (it never should)."""
    if future.cancelled():
        return Fault(stage, f"{stage} did not run")
    exc = future.exception()
    return Fault(stage, f"{stage} failed: {describe(exc)}") if exc is not None else future.result()


class _Round:
    """One emission: every handler's job, its delivery record and its outcome."""

    def __init__(
        self,
        report: Report,
        handlers: list[NotificationHandler],
        broken: list[Outcome],
        decisions: dict[str, Decision] | None = None,
    ) -> None:
        self.report = report
        self.decisions = decisions or {}
        self.start = time.monotonic()
        self.broken = broken
        self.broken_rows: dict[str, Delivery] = {}
        self.jobs: list[_Job] = []
        self.level = report.result or Result.OK
        # Never past a handler's deadline: a deadline shorter than HOLD shortens it.
        deadlines = [handler.retry_policy.deadline for handler in handlers]
        self.hold_until = self.start + min([HOLD, *(deadline / 2 for deadline in deadlines)])
        if not handlers:
            return
        shared = build_context(report, handler="")
        self.level = shared["level"]
        pool = delivery_pool()
        for handler in handlers:
            accepted: Future[Any] = Future()
            decision = self.decisions.get(handler.name)
            context = {**shared, **decision.context()} if decision else shared
            prepared = pool.submit(_in_worker, prepare, handler, report, context, accepted)
            self.jobs.append(_Job(handler, self.start + handler.retry_policy.deadline, accepted, prepared))

    def run(self) -> list[Outcome]:
        try:
            while True:
                self.harvest()
                self.write_records()
                self.start_sends()
                self.store_outcomes()
                if not any(job.open or (job.outcome and not job.recorded) for job in self.jobs):
                    break
                self.wait()
        except KeyboardInterrupt:  # Ctrl-C: what can be recorded is, then the process stops
            self.interrupted()
            raise
        except BaseException:
            self.abandon()
            raise
        done = [
            replace(job.outcome, delivery_id=job.delivery.pk)
            for job in self.jobs
            if job.outcome is not None and job.delivery is not None
        ]
        return done + [replace(o, delivery_id=self.broken_rows[o.handler].pk) for o in self.broken]

    def harvest(self) -> None:
        now = time.monotonic()
        for job in self.jobs:
            if job.open and not job.accepts and job.accepted.done():
                verdict = job.accepted.result()
                if isinstance(verdict, Fault):
                    job.accepts = True  # it may have: its record says why nothing was sent
                    job.fail(verdict.error)
                else:
                    job.accepts, job.declined = bool(verdict), not verdict
                    if job.declined:
                        self.forget_declined(job.handler.name)
            if job.open and job.message is None and job.prepared.done():
                prepared = _value(job.prepared, "rendering")
                if isinstance(prepared, Message):
                    job.message = prepared
                elif isinstance(prepared, Fault):
                    job.fail(prepared.error)
                elif not job.accepted.done():
                    job.fail("the delivery thread gave no answer")
            if job.open and job.sending is not None and job.sending.done():
                sent = _value(job.sending, "send")
                job.outcome = sent if isinstance(sent, Outcome) else None
                if job.outcome is None:
                    job.fail(sent.error)
            if job.open and now >= job.deadline:
                stage = (
                    "sending"
                    if job.sending
                    else "waiting to send"
                    if job.message
                    else "rendering"
                    if job.accepts
                    else "in accepts()"
                )
                job.running.abandon()
                job.fail(
                    f"timed out: still {stage} at its {job.handler.retry_policy.deadline:g} s deadline; "
                    "its thread is left to finish on its own"
                )

    def forget_declined(self, handler: str) -> None:
        """The handler's ``accepts()`` declined what the policy counted as told: undo that, so
        that no "triggered" is lost to a custom filter. A database problem here is logged."""
        try:
            forget(self.report, handler, self.decisions.get(handler))
        except Exception:
            logger.exception("The policy's state of handler %r could not be put back", handler)

    def write_records(self, *, now: bool = False) -> None:
        """A record per handler that takes the report (or failed to say), in one statement:
        once every handler has said, or :data:`HOLD` has passed (or ``now``)."""
        held = not now and time.monotonic() < self.hold_until
        if held and any(job.open and not job.accepts for job in self.jobs):
            return
        jobs = [job for job in self.jobs if job.delivery is None and not job.declined]
        jobs = [job for job in jobs if job.accepts or job.outcome is not None]
        new_broken = [o.handler for o in self.broken if o.handler not in self.broken_rows]
        if not jobs and not new_broken:
            return
        events = {name: decision.event for name, decision in self.decisions.items()}
        rows = create_deliveries(
            self.report, [job.handler.name for job in jobs] + new_broken, self.level, events
        )
        for job in jobs:
            job.delivery = rows[job.handler.name]
        self.broken_rows.update((name, rows[name]) for name in new_broken)
        if new_broken:
            with transaction.atomic():
                for outcome in self.broken:
                    if outcome.handler in new_broken:
                        record(self.broken_rows[outcome.handler], outcome)

    def start_sends(self) -> None:
        """Send each rendered message with a record: once every handler has rendered (no
        delivery waits for the interpreter while another renders), or :data:`HOLD` has passed."""
        held = time.monotonic() < self.hold_until
        if held and any(job.open and job.message is None for job in self.jobs):
            return
        pool = delivery_pool()
        for job in self.jobs:
            if job.open and job.message is not None and job.delivery is not None and job.sending is None:
                job.sending = pool.submit(
                    _in_worker, send, job.handler, job.message, self.report, job.deadline
                )

    def store_outcomes(self) -> None:
        """The outcomes that arrived together, in one transaction."""
        ready = [job for job in self.jobs if job.outcome is not None and job.delivery and not job.recorded]
        if not ready:
            return
        # One outcome is one statement, committed on its own: a transaction around it would
        # only add its own two round trips.
        with transaction.atomic() if len(ready) > 1 else nullcontext():
            for job in ready:
                record(job.delivery, job.outcome, job.handler)  # type: ignore[arg-type]
                job.recorded = True

    def wait(self) -> None:
        """Until a job moves on, a deadline or the end of the hold."""
        futures = {job.accepted if not job.accepted.done() else job.running for job in self.jobs if job.open}
        futures |= {job.prepared for job in self.jobs if job.open and not job.accepted.done()}
        # A finished future was harvested already: waiting on it would spin, taking the
        # interpreter from the threads still rendering or sending.
        futures = {future for future in futures if not future.done()}
        times = [job.deadline for job in self.jobs if job.open]
        if time.monotonic() < self.hold_until:
            times.append(self.hold_until)
        timeout = max(min(times) - time.monotonic(), 0) if times else 0
        if futures:
            wait(futures, timeout=timeout, return_when=FIRST_COMPLETED)
        else:  # only the hold is left to pass
            time.sleep(min(timeout, 0.01))

    def interrupted(self) -> None:
        """Ctrl-C: every delivery not finished is recorded as failed, for a resend."""
        self.abandon()
        try:
            for job in self.jobs:
                if job.open and (job.accepts or not job.accepted.done()):
                    job.fail("interrupted (KeyboardInterrupt) before the delivery finished", log=False)
            self.write_records(now=True)
            self.store_outcomes()
        except Exception:  # the database may be what was interrupted: the records stay pending
            logger.exception("Recording the deliveries of report %s after Ctrl-C failed", self.report.pk)

    def abandon(self) -> None:
        for job in self.jobs:
            if job.open:
                job.running.abandon()


def emit_notifications(report: Report) -> list[Outcome]:
    """Send ``report`` to each matching handler; return once each has an outcome or has
    passed its deadline.

    Each call is a new round of deliveries. One handler's failure is logged on
    ``taskmanager.notifications`` with its name, recorded on its delivery, and never stops
    the others; a handler that could not be built is recorded as failed too.
    """
    if report.notifications_disabled:
        return []
    loaded = get_loaded()
    result = report.result
    broken = [
        Outcome(name, sent=False, error=f"construction failed: {loaded.errors[name].message}")
        for name, level in loaded.broken_levels.items()
        if result is not None and result >= level
    ]
    for outcome in broken:
        logger.error(
            "Notification handler %r could not be built: report %s is not sent through it (%s)",
            outcome.handler,
            report.pk,
            outcome.error,
        )
    handlers = list(loaded.handlers.values())
    # The level, the routes, the policy and a snooze decide who is told (skipped records
    # written); the handlers' own accepts() is asked next, in the delivery threads.
    decisions = judge_or_send(report, handlers)
    handlers = [handler for handler in handlers if decisions[handler.name].send]
    if not handlers and not broken:
        prune_deliveries_now_and_then()  # skipped records age too
        return []
    outcomes = _Round(report, handlers, broken, decisions).run()
    prune_deliveries_now_and_then()
    return outcomes


def _start_delivery_threads() -> DeliveryThreads:
    return DeliveryThreads(max_workers=MAX_PARALLEL, name="taskmanager-notify")


_pool = Lazy(_start_delivery_threads, per_process=True)


def delivery_pool() -> DeliveryThreads:
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
