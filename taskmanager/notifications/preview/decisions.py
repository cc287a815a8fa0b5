"""Would a real report be sent, and why: each handler's decision, as the policy would take it now.

The same steps as a delivery, in the same order (:mod:`..emission`): notifications off for the
run, then the policy's :func:`~..policy_state.would_decide` (the handler's route, then level,
``notify``, ``remind_every`` and a snooze against what the handler has been told of the task
so far), then the handler's own ``accepts()``. Nothing is written: the policy's state is read
without a lock and left as it is, no delivery record is made, nothing is sent. Beside it, what
the report's own delivery records say was decided when it ran.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from taskmanager.models import Delivery, Report
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.isolation import describe
from taskmanager.notifications.policy_state import would_decide


@dataclass(frozen=True)
class Recorded:
    """What a delivery record of the report says was done for the handler when it ran."""

    delivery: int
    status: str
    event: str = ""
    reason: str = ""

    def describe(self) -> str:
        if self.status == Delivery.STATUS_SKIPPED:
            return f"skipped ({self.reason})" if self.reason else "skipped"
        told = f" as {self.event}" if self.event else ""
        return f"{self.status}{told} (delivery {self.delivery})"


@dataclass(frozen=True)
class Verdict:
    """One handler's answer about a report: would it be sent now, as what, or why not."""

    handler: str
    send: bool
    #: The event the message would say; held back, the event it would have been.
    event: str = ""
    #: Why not, in the words of a skipped record where there would be one.
    why: str = ""
    #: Whether a report judged so would leave a skipped record (sent ones always have one).
    leaves_record: bool = False
    #: The report's delivery records for this handler when it ran (tests left out), oldest first.
    recorded: list[Recorded] = field(default_factory=list)

    def describe(self) -> str:
        """``would send it as triggered`` / ``would not send it: quiet: still failing since 02:00``."""
        if self.send:
            return f"would send it as {self.event}"
        return f"would not send it: {self.why}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "send": self.send,
            "event": self.event or None,
            "why": self.why or None,
            "leaves_record": self.leaves_record,
            "recorded": [
                {
                    "delivery": r.delivery,
                    "status": r.status,
                    "event": r.event or None,
                    "reason": r.reason or None,
                }
                for r in self.recorded
            ],
        }


def _recorded(report: Report) -> dict[str, list[Recorded]]:
    recorded: dict[str, list[Recorded]] = {}
    deliveries = Delivery.objects.filter(report=report, test=False).order_by("created", "id")
    for delivery in deliveries.only("pk", "handler", "status", "event", "reason"):
        recorded.setdefault(delivery.handler, []).append(
            Recorded(delivery.pk, delivery.status, delivery.event, delivery.reason)
        )
    return recorded


def _accepts(handler: NotificationHandler, report: Report) -> str:
    """Why the handler's own ``accepts()`` keeps the report ("" when it takes it)."""
    try:
        return "" if handler.accepts(report) else f"its accepts() declines it ({type(handler).__name__})"
    except Exception as exc:  # a handler's own code: said, never raised
        return handler.redact(f"its accepts() failed: {describe(exc)}")


def policy_verdicts(
    report: Report, handlers: Sequence[NotificationHandler], *, now: datetime.datetime | None = None
) -> list[Verdict]:
    """Each handler's verdict on ``report`` if it finished ``now`` (default: now), read-only."""
    recorded = _recorded(report)
    if report.result is None:
        why = "the report has no result yet (is its task still running?)"
    elif report.notifications_disabled:
        why = "notifications were off for this run (the task's setting or --disable-notifications)"
    else:
        why = ""
    if why:
        return [Verdict(h.name, False, why=why, recorded=recorded.get(h.name, [])) for h in handlers]
    decisions = would_decide(report, list(handlers), now=now)
    verdicts = []
    for handler in handlers:
        decision, earlier = decisions[handler.name], recorded.get(handler.name, [])
        if not decision.send:
            below = f"below its level ({handler.level}): not sent, no record"
            verdicts.append(
                Verdict(
                    handler.name,
                    False,
                    decision.event,
                    decision.reason or below,
                    leaves_record=decision.recorded,
                    recorded=earlier,
                )
            )
            continue
        declined = _accepts(handler, report)
        verdicts.append(
            Verdict(
                handler.name,
                not declined,
                decision.event,
                declined,
                leaves_record=not declined,
                recorded=earlier,
            )
        )
    return verdicts
