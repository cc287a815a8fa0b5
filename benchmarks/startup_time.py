"""Target 6: does configuring handlers slow a process's start-up?

``manage.py shell -c pass`` (no checks) and ``manage.py check`` with ten handlers
configured and with none, in fresh processes, taking turns. Target: the difference of the
medians is within the run-to-run spread (the larger interquartile range); no request
reaches the fakes. For reference: the notification checks alone, in this process.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from typing import Any

from benchmarks.harness import ROOT, Row, Sizes, interleaved, iqr, median, ms, timed
from benchmarks.servers import Servers
from benchmarks.workload import handlers, mail_handler, slack_handler
from taskmanager.notifications.checks import check_notification_settings


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


def manage(command: list[str], env: dict[str, str], run: int) -> None:
    """``python -m django COMMAND`` in a fresh process; stop the benchmark if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "django", *command], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0 or (command[0] == "check" and "no issues" not in done.stdout):
        raise SystemExit(f"manage.py {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def measure(sizes: Sizes, fake: Servers, folder: str) -> list[Row]:
    config = ten_handlers(fake)
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "PYTHONPATH": str(ROOT),
        "TASKMANAGER_BENCH_DIR": folder,
    }
    base.pop("TASKMANAGER_BENCH_HANDLERS", None)
    envs = {"none": base, "ten": {**base, "TASKMANAGER_BENCH_HANDLERS": json.dumps(config)}}
    before = fake.counts()
    commands = {"check": ["check"], "shell": ["shell", "-c", "pass"]}
    steps = {
        (command, name): functools.partial(manage, argv, env)
        for command, argv in commands.items()
        for name, env in envs.items()
    }
    times = interleaved(sizes.startup, steps)
    after = fake.counts()
    if (after["requests"], after["mails"]) != (before["requests"], before["mails"]):
        raise SystemExit("start-up reached the network")
    rows = []
    for command, label, text in (
        ("shell", "manage.py shell -c pass", "start-up without checks"),
        ("check", "manage.py check", "check"),
    ):
        none, ten = times[(command, "none")], times[(command, "ten")]
        spread = max(iqr(none), iqr(ten))
        difference = median(ten) - median(none)
        rows += [
            Row("6", f"{label}, no handlers", f"{median(none):.3f} s", f"IQR {iqr(none) * 1000:.0f} ms"),
            Row("6", f"{label}, 10 handlers", f"{median(ten):.3f} s", f"IQR {iqr(ten) * 1000:.0f} ms"),
            Row(
                "6",
                f"{text}: difference vs spread",
                f"{difference * 1000:+.0f} ms",
                f"spread {spread * 1000:.0f} ms",
                "<= spread",
                difference <= spread,
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
