"""Target 6: does configuring handlers slow a process's start-up?

``manage.py shell -c pass`` (no checks) and ``manage.py check`` with ten handlers
configured and with none, in fresh processes, taking turns. Target: the two distributions
do not differ (:mod:`benchmarks.compare`: no shift above its ceiling, no significant shift
by the Mann-Whitney test); no request reaches the fakes. For reference: the notification
checks alone, in this process.

``benchmarks/startup.py`` runs it alone, and shows the rule catching a regression
(``--inject-ms``).
"""

from __future__ import annotations

import functools
import json
import resource
import subprocess
import sys
from typing import Any

from benchmarks.compare import CEILING, compare
from benchmarks.harness import ROOT, Row, Sizes, child_env, interleaved, iqr, median, ms, timed
from benchmarks.servers import Servers
from benchmarks.workload import handlers, mail_handler, slack_handler
from taskmanager.notifications.checks import check_notification_settings

#: benchmarks/settings.py sleeps this many milliseconds when set (an injected regression).
SLOW_START = "TASKMANAGER_BENCH_SLOW_START_MS"


def ten_handlers(fake: Servers) -> dict[str, dict[str, Any]]:
    """Four Slack, three mail, two webhook and one log handler."""
    config: dict[str, dict[str, Any]] = {}
    for n in range(4):
        config[f"slack-{n}"] = slack_handler(fake, level="warnings")
    for n in range(3):
        config[f"mail-{n}"] = mail_handler(level="errors")
    for n in range(2):
        config[f"webhook-{n}"] = {
            "class": "taskmanager.notifications.WebhookNotificationHandler",
            "url": f"http://127.0.0.1:{fake.port}/hooks/never-called",
        }
    config["log"] = {"class": "taskmanager.notifications.LogNotificationHandler", "level": "ok"}
    return config


def manage(command: list[str], env: dict[str, str], cpu: list[float], run: int) -> None:
    """``python -m django COMMAND`` in a fresh process, its CPU time added to ``cpu``; stop the
    benchmark if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "django", *command], env=env, cwd=ROOT, capture_output=True, text=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    if done.returncode != 0 or (command[0] == "check" and "no issues" not in done.stdout):
        raise SystemExit(f"manage.py {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def measure(
    sizes: Sizes,
    fake: Servers,
    folder: str,
    *,
    inject_ms: float = 0,
    commands: tuple[str, ...] = ("shell", "check"),
) -> list[Row]:
    config = ten_handlers(fake)
    base = child_env(folder)
    ten = {**base, "TASKMANAGER_BENCH_HANDLERS": json.dumps(config)}
    if inject_ms:
        ten[SLOW_START] = str(inject_ms)
    envs = {"none": base, "ten": ten}
    before = fake.counts()
    argvs = {"check": ["check"], "shell": ["shell", "-c", "pass"]}
    cpu: dict[tuple[str, str], list[float]] = {(c, name): [] for c in commands for name in envs}
    steps = {
        (command, name): functools.partial(manage, argvs[command], env, cpu[(command, name)])
        for command in commands
        for name, env in envs.items()
    }
    for step in steps.values():
        step(-1)  # writes the bytecode, as installing a package does
    for times_of in cpu.values():
        times_of.clear()
    times = interleaved(sizes.startup, steps)
    after = fake.counts()
    if (after["requests"], after["mails"]) != (before["requests"], before["mails"]):
        raise SystemExit("start-up reached the network")
    rows = []
    injected = f" (+{inject_ms:g} ms injected)" if inject_ms else ""
    for command, label, text in (
        ("shell", "manage.py shell -c pass", "start-up without checks"),
        ("check", "manage.py check", "check"),
    ):
        if command not in commands:
            continue
        none, ten_times = times[(command, "none")], times[(command, "ten")]
        # CPU time: what the process itself costs, much less moved by the machine's other jobs.
        found = compare(cpu[(command, "none")], cpu[(command, "ten")])
        wall = compare(none, ten_times)
        rows += [
            Row("6", f"{label}, no handlers", f"{median(none):.3f} s", f"IQR {iqr(none) * 1000:.0f} ms"),
            Row(
                "6",
                f"{label}, 10 handlers{injected}",
                f"{median(ten_times):.3f} s",
                f"IQR {iqr(ten_times) * 1000:.0f} ms",
            ),
            Row(
                "6",
                f"{text}: wall-clock shift (reference)",
                f"{wall.shift * 1000:+.0f} ms",
                f"p={wall.p_value:.3f}",
            ),
            Row(
                "6",
                f"{text}: CPU shift, 10 handlers against none",
                f"{found.shift * 1000:+.0f} ms",
                f"p={found.p_value:.3f}",
                f"no regression (<= {CEILING * 1000:.0f} ms)",
                not found.regression,
            ),
        ]
    # The notification checks themselves, in this process: load the handlers, compile every template.
    with handlers(config):
        check_notification_settings()
        checks_ten = median([timed(check_notification_settings) for _ in range(max(3, sizes.startup))])
    with handlers({}):
        checks_none = median([timed(check_notification_settings) for _ in range(max(3, sizes.startup))])
    rows.append(
        Row("6", "notification checks alone, 10 handlers", ms(checks_ten), f"none: {ms(checks_none)}")
    )
    return rows
