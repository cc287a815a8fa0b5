"""Target 4: many handlers, each behind a slow network.

Slack handlers behind 0.5 s of latency each (the fake's ``latency``): one, three and
fifty. Targets: three handlers in at most 0.65 s; fifty in at most 2x one handler
(handlers are sent to side by side).
"""

from __future__ import annotations

import functools
from typing import Any

from benchmarks.harness import Row, Sizes, median, timed
from benchmarks.servers import Servers
from benchmarks.workload import Reports, emit, handlers, slack_handler

LATENCY = 0.5
THREE_LIMIT = 0.65
FIFTY_RATIO_LIMIT = 2


def measure(sizes: Sizes, fake: Servers, reports: Reports) -> list[Row]:
    def config(count: int) -> dict[str, dict[str, Any]]:
        return {f"slack-{n}": slack_handler(fake) for n in range(count)}

    measured: dict[int, float] = {}
    fake.set_latency(LATENCY)
    try:
        for count in (1, 3, 50):
            runs = reports.make(sizes.fan_out)
            with handlers(config(count)):
                measured[count] = median([timed(functools.partial(emit, report, count)) for report in runs])
    finally:
        fake.set_latency(0.0)
    ratio = measured[50] / measured[1]
    return [
        Row("4", f"1 handler, {LATENCY} s latency", f"{measured[1]:.3f} s"),
        Row(
            "4",
            f"3 handlers, {LATENCY} s latency each",
            f"{measured[3]:.3f} s",
            "",
            f"<= {THREE_LIMIT} s",
            measured[3] <= THREE_LIMIT,
        ),
        Row(
            "4",
            f"50 handlers, {LATENCY} s latency each",
            f"{measured[50]:.3f} s",
            f"{ratio:.2f}x",
            f"<= {FIFTY_RATIO_LIMIT}x",
            ratio <= FIFTY_RATIO_LIMIT,
        ),
    ]
