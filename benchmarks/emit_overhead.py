"""Target 1: what the framework costs beside the deliveries themselves.

``Report.emit_notifications()`` with the default Slack and mail handlers (level ok) on
fresh reports, against the same deliveries made directly (slack_sdk ``chat_postMessage``
with the same text and blocks, ``EmailMultiAlternatives`` with the same recipients and
parts through Django's SMTP backend) one after the other. Target: at most 1.25x. For
reference: the same direct deliveries side by side, and both with Slack answering after
50 ms, as over a network.

Target 3 of issue 16: the CPU time of the emission (``time.process_time``: every thread of
the process, the delivery threads included) at most 1.5x the CPU time of the same
deliveries made directly, one after the other.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from slack_sdk import WebClient

from benchmarks.harness import Row, Sizes, interleaved, median, ms
from benchmarks.servers import Servers
from benchmarks.workload import RECIPIENTS, TOKEN, Reports, emit, handlers, mail_handler, slack_handler
from taskmanager.notifications.config import get_handler

#: Slack's answer delay for the reference rows, as over a real network.
SLACK_LATENCY = 0.05
LIMIT = 1.25
CPU_LIMIT = 1.5


def with_cpu(step: Callable[[int], Any], cpu: list[float]) -> Callable[[int], None]:
    """``step``, its CPU time (every thread of the process) appended to ``cpu``."""

    def run(run: int) -> None:
        started = time.process_time()
        step(run)
        cpu.append(time.process_time() - started)

    return run


class Direct:
    """The same deliveries without the framework: slack_sdk and Django's mail, by hand."""

    def __init__(self, fake: Servers) -> None:
        self.client = WebClient(token=TOKEN, base_url=fake.base_url)

    def slack(self, payload: dict[str, Any]) -> None:
        self.client.chat_postMessage(channel="#general", **payload)

    def mail(self, parts: dict[str, str]) -> None:
        email = EmailMultiAlternatives(
            subject=parts["subject.txt"],
            body=parts["txt"],
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=RECIPIENTS,
        )
        email.attach_alternative(parts["html"], "text/html")
        email.send(fail_silently=False)

    def in_sequence(self, payload: dict[str, Any], parts: dict[str, str]) -> None:
        self.slack(payload)
        self.mail(parts)

    def in_parallel(self, payload: dict[str, Any], parts: dict[str, str]) -> None:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(self.slack, payload), pool.submit(self.mail, parts)]
            for future in futures:
                future.result()


def measure(sizes: Sizes, fake: Servers, reports: Reports) -> list[Row]:
    config = {"slack": slack_handler(fake), "mail": mail_handler()}
    with handlers(config):
        for report in reports.make(2):  # warm-up: clients, templates, imports, the first prune
            emit(report, 2)
        slow = max(3, sizes.overhead // 3)  # runs with Slack behind a network latency
        framework = reports.make(sizes.overhead + slow)
        by_hand = reports.make(sizes.overhead + slow)
        # What the direct deliveries send: the framework's own rendering of each report.
        slack, mail = get_handler("slack"), get_handler("mail")
        messages = []
        for report in by_hand:
            payload = {
                "unfurl_links": False,
                "unfurl_media": False,
                **json.loads(slack.render(report).parts["json"]),
            }
            messages.append((payload, dict(mail.render(report).parts)))
        direct = Direct(fake)
        direct.in_sequence(*messages[0])
        before = fake.counts()
        cpu: dict[str, list[float]] = {"emit": [], "sequence": []}
        times = interleaved(
            sizes.overhead,
            {
                "emit": with_cpu(lambda run: emit(framework[run], 2), cpu["emit"]),
                "sequence": with_cpu(lambda run: direct.in_sequence(*messages[run]), cpu["sequence"]),
                "parallel": lambda run: direct.in_parallel(*messages[run]),
            },
        )
        after = fake.counts()
        if after["mails"] - before["mails"] != 3 * sizes.overhead:
            raise SystemExit("the SMTP server did not receive every mail")
        if after["messages"] - before["messages"] != 3 * sizes.overhead:
            raise SystemExit("the Slack fake did not receive every message")
        fake.set_latency(SLACK_LATENCY)
        try:
            offset = sizes.overhead
            slowed = interleaved(
                slow,
                {
                    "emit": lambda run: emit(framework[offset + run], 2),
                    "sequence": lambda run: direct.in_sequence(*messages[offset + run]),
                },
            )
        finally:
            fake.set_latency(0.0)
    emitted, sequence, parallel = (median(times[k]) for k in ("emit", "sequence", "parallel"))
    ratio = emitted / sequence
    slow_emit, slow_sequence = median(slowed["emit"]), median(slowed["sequence"])
    latency = f"{SLACK_LATENCY * 1000:.0f} ms"
    cpu_emit, cpu_direct = median(cpu["emit"]), median(cpu["sequence"])
    cpu_ratio = cpu_emit / cpu_direct
    return [
        Row("1", "emit, Slack + mail (level ok)", ms(emitted)),
        Row(
            "1", "direct, one after the other", ms(sequence), f"{ratio:.2f}x", f"<= {LIMIT}x", ratio <= LIMIT
        ),
        Row("1", "direct, side by side (reference)", ms(parallel), f"{emitted / parallel:.2f}x"),
        Row("1", f"emit, Slack answering in {latency} (reference)", ms(slow_emit)),
        Row("1", "direct, one after the other", ms(slow_sequence), f"{slow_emit / slow_sequence:.2f}x"),
        Row("1", "emit: CPU time (every thread)", ms(cpu_emit)),
        Row(
            "1",
            "direct, one after the other: CPU time",
            ms(cpu_direct),
            f"{cpu_ratio:.2f}x",
            f"<= {CPU_LIMIT}x",
            cpu_ratio <= CPU_LIMIT,
        ),
    ]
