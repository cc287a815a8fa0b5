"""Target 2: rendering alone, with no delivery.

Every part of the four built-in handlers (Slack, mail, webhook, log) for one report,
context included, templates compiled once. Target: median at most 0.5 ms (issue 16; issue 7
asked 1 ms). The fastest tenth is shown beside it: what the code costs when nothing else runs
on the CPU.
"""

from __future__ import annotations

import statistics

from benchmarks.harness import Row, Sizes, median, ms, timed
from benchmarks.workload import RECIPIENTS, TOKEN, Reports
from taskmanager.models import Report
from taskmanager.notifications import (
    LogNotificationHandler,
    MailNotificationHandler,
    SlackNotificationHandler,
    WebhookNotificationHandler,
)
from taskmanager.notifications.context import build_context

LIMIT = 0.0005


def measure(sizes: Sizes, reports: Reports) -> list[Row]:
    builtin = [
        SlackNotificationHandler("slack", options={"token": TOKEN, "channel": "#general"}),
        MailNotificationHandler("mail", options={"recipients": RECIPIENTS}),
        WebhookNotificationHandler("webhook", options={"url": "https://hooks.example.com/taskmanager"}),
        LogNotificationHandler("log"),
    ]
    rows = []
    for result in ("ok", "errors"):
        [report] = reports.make(1, result=result)

        def render_all(report: Report = report) -> None:
            base = build_context(report, handler="")
            for handler in builtin:
                message = handler.render(report, context=handler.context(report, shared=base))
                if message.problems:
                    raise SystemExit(f"{handler.name} fell back: {message.problems}")

        render_all()  # compiles the templates
        times = [timed(render_all) for _ in range(sizes.render)]
        value = median(times)
        fastest = statistics.quantiles(times, n=10)[0]
        label = f"render 4 handlers, 6 parts (level {result})"
        rows.append(Row("2", label, ms(value), f"p10 {ms(fastest)}", "<= 0.5 ms", value <= LIMIT))
    return rows
