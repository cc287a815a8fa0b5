"""What notifications cost beside delivery, and how they scale (issue 7).

Run from the repository root::

    .venv/bin/python benchmarks/notifications.py            # about 45 s
    .venv/bin/python benchmarks/notifications.py --quick    # a few iterations, to see it works
    .venv/bin/python benchmarks/notifications.py --only 2   # one target (repeatable)

SQLite runs in WAL mode with synchronous=NORMAL; ``--journal delete`` gives
SQLite's default journal, which waits for the disk at every commit.

It migrates a database file in a temporary folder (``benchmarks/settings.py``),
starts the loopback Slack fake and SMTP server in a process of their own
(``benchmarks/servers.py``: as real servers, they do not compete with the
code measured for this interpreter's lock), and measures:

1. Framework overhead: ``Report.emit_notifications()`` with the default Slack
   and mail handlers (level ok) on fresh reports, against the same deliveries
   made directly (slack_sdk ``chat_postMessage`` with the same text and blocks,
   ``EmailMultiAlternatives`` with the same recipients and parts through
   Django's SMTP backend) one after the other. Target: at most 1.25x. For
   reference: the same direct deliveries side by side, and both with Slack
   answering after 50 ms, as over a network.
2. Render alone: every part of the four built-in handlers (Slack, mail,
   webhook, log) for one report, context included, templates compiled once.
   Target: median at most 1 ms (the fastest tenth is shown beside it).
3. Log size: the same emit for a report whose log file is 20 MB and for one
   whose log file is 2 kB. Target: ratio at most 1.1.
4. Fan-out: Slack handlers behind 0.5 s of latency each. Targets: three
   handlers in at most 0.65 s; fifty in at most 2x one handler.
5. Capture: ``benchmarks/capture.py --json`` in a subprocess (runtask of a
   40 MB command). Targets: wall at most 1.5x the same command sent to
   /dev/null; peak RSS at most 100 MB.
6. Start-up: ``manage.py shell -c pass`` (no checks) and ``manage.py check``
   with ten handlers configured and with none, in fresh processes. Target:
   the difference of the medians is within the run-to-run spread (the larger
   interquartile range); no request reaches the fakes.

Each measured step runs in turn with the ones it is compared to, so that a
machine getting busier or quieter affects both sides alike. Prints one table;
exits with 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

K = TypeVar("K")
TOKEN = "xoxb-test-token"
RECIPIENTS = ["ops@example.com", "dev@example.org"]
LATENCY = 0.5
SLACK_LATENCY = 0.05
TAIL_LINES = 10


@dataclass
class Sizes:
    """How many times each step runs."""

    overhead: int
    render: int
    log_size: int
    fan_out: int
    capture_lines: int
    capture_repeat: int
    startup: int


FULL = Sizes(
    overhead=30, render=1000, log_size=30, fan_out=5, capture_lines=200_000, capture_repeat=3, startup=10
)
QUICK = Sizes(overhead=3, render=20, log_size=3, fan_out=1, capture_lines=2_000, capture_repeat=1, startup=2)


@dataclass
class Row:
    target: str
    what: str
    measured: str
    ratio: str = ""
    limit: str = ""
    ok: bool | None = None  # None: a figure for reference, no target


# -- helpers ---------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def iqr(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    q1, _q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q3 - q1


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def interleaved(runs: int, steps: Mapping[K, Callable[[int], Any]]) -> dict[K, list[float]]:
    """Time each step ``runs`` times, taking turns (and rotating who goes first)."""
    names = list(steps)
    times: dict[K, list[float]] = {name: [] for name in names}
    for run in range(runs):
        shift = run % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(timed(functools.partial(steps[name], run)))
    return times


def setup_django(folder: str, journal: str = "wal") -> None:
    """Django on a database file in ``folder``, SQLite's journal in ``journal`` mode."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    os.environ["TASKMANAGER_BENCH_DIR"] = folder
    os.environ.pop("TASKMANAGER_BENCH_HANDLERS", None)
    import django
    from django.core.management import call_command
    from django.db.backends.signals import connection_created

    def pragmas(sender: Any, connection: Any, **kwargs: Any) -> None:
        if connection.vendor == "sqlite" and journal == "wal":
            # What a production SQLite runs with: no disk flush at every commit.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")

    connection_created.connect(pragmas, weak=False)
    django.setup()
    call_command("migrate", verbosity=0)


@contextmanager
def handlers(config: dict[str, dict[str, Any]]) -> Iterator[None]:
    from django.test import override_settings

    with override_settings(UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS=config):
        yield


def slack_handler(fake: Any, level: str = "ok") -> dict[str, Any]:
    return {
        "class": "taskmanager.notifications.SlackNotificationHandler",
        "level": level,
        "token": TOKEN,
        "channel": "#general",
        "base_url": fake.base_url,
    }


def mail_handler(level: str = "ok") -> dict[str, Any]:
    return {
        "class": "taskmanager.notifications.MailNotificationHandler",
        "level": level,
        "recipients": RECIPIENTS,
    }


def write_log(path: Path, size: int) -> list[str]:
    """A log file of about ``size`` bytes; its last lines (the report's stored tail)."""
    line = "2026-03-02 03:00:{:02d} INFO products.csv: row {:>9,} imported, 14 fields, 0 warnings\n"
    written = 0
    number = 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < size:
            text = line.format(number % 60, number)
            fh.write(text)
            written += len(text)
            number += 1
    with open(path, encoding="utf-8") as fh:
        fh.seek(max(0, size - 4096))
        return fh.read().splitlines()[-TAIL_LINES:]


class Reports:
    """Saved reports, made before anything is timed."""

    def __init__(self, folder: Path) -> None:
        from taskmanager.models import AppCommand, Task

        command, _ = AppCommand.objects.get_or_create(app_name="tests.sampleapp", name="writes_lines")
        self.task = Task.objects.create(
            name="nightly import", command=command, arguments="--since 2026-01-01, -v 2"
        )
        self.folder = folder
        self.logs: dict[int, tuple[str, list[str]]] = {}

    def log(self, size: int) -> tuple[str, list[str]]:
        if size not in self.logs:
            path = self.folder / f"log-{size}.txt"
            self.logs[size] = (str(path), write_log(path, size))
        return self.logs[size]

    def make(self, count: int, *, result: str = "ok", log_size: int = 2048) -> list[Any]:
        import datetime

        from django.utils import timezone

        from taskmanager.models import Report

        path, tail = self.log(log_size)
        started = timezone.now()
        return [
            Report.objects.create(
                task=self.task,
                invocation_result=result,
                invocation_datetime=started,
                end_datetime=started + datetime.timedelta(seconds=83),
                log="\n".join(tail),
                logfile=path,
                n_log_lines=log_size // 80,
                n_log_errors=2 if result in ("errors", "failed") else 0,
                n_log_warnings=1 if result in ("warnings", "errors") else 0,
                extra={"summary": "Imported 39,073 rows from 3 files."},
            )
            for _ in range(count)
        ]


def emit(report: Any, expected: int) -> None:
    outcomes = report.emit_notifications()
    failed = [f"{o.handler}: {o.error}" for o in outcomes if not o.sent]
    if len(outcomes) != expected or failed:
        raise SystemExit(f"emit sent {len(outcomes) - len(failed)} of {expected}: {'; '.join(failed)}")


# -- 1. framework overhead -------------------------------------------------------------------------


class Direct:
    """The same deliveries without the framework: slack_sdk and Django's mail, by hand."""

    def __init__(self, fake: Any) -> None:
        from slack_sdk import WebClient

        self.client = WebClient(token=TOKEN, base_url=fake.base_url)

    def slack(self, payload: dict[str, Any]) -> None:
        self.client.chat_postMessage(channel="#general", **payload)

    def mail(self, parts: dict[str, str]) -> None:
        from django.conf import settings
        from django.core.mail import EmailMultiAlternatives

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


def overhead(sizes: Sizes, fake: Any, smtp: Any, reports: Reports) -> list[Row]:
    from taskmanager.notifications.config import get_handler

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
        times = interleaved(
            sizes.overhead,
            {
                "emit": lambda run: emit(framework[run], 2),
                "sequence": lambda run: direct.in_sequence(*messages[run]),
                "parallel": lambda run: direct.in_parallel(*messages[run]),
            },
        )
        after = fake.counts()
        if after["mails"] - before["mails"] != 3 * sizes.overhead:
            raise SystemExit("the SMTP server did not receive every mail")
        if after["messages"] - before["messages"] != 3 * sizes.overhead:
            raise SystemExit("the Slack fake did not receive every message")
        # For reference: the same with Slack answering after SLACK_LATENCY, as over a real network.
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
    return [
        Row("1", "emit, Slack + mail (level ok)", ms(emitted)),
        Row("1", "direct, one after the other", ms(sequence), f"{ratio:.2f}x", "<= 1.25x", ratio <= 1.25),
        Row("1", "direct, side by side (reference)", ms(parallel), f"{emitted / parallel:.2f}x"),
        Row("1", f"emit, Slack answering in {latency} (reference)", ms(slow_emit)),
        Row("1", "direct, one after the other", ms(slow_sequence), f"{slow_emit / slow_sequence:.2f}x"),
    ]


# -- 2. render alone -------------------------------------------------------------------------------


def render_alone(sizes: Sizes, reports: Reports) -> list[Row]:
    from taskmanager.notifications import (
        LogNotificationHandler,
        MailNotificationHandler,
        SlackNotificationHandler,
        WebhookNotificationHandler,
    )
    from taskmanager.notifications.context import build_context

    builtin = [
        SlackNotificationHandler("slack", options={"token": TOKEN, "channel": "#general"}),
        MailNotificationHandler("mail", options={"recipients": RECIPIENTS}),
        WebhookNotificationHandler("webhook", options={"url": "https://hooks.example.com/taskmanager"}),
        LogNotificationHandler("log"),
    ]
    rows = []
    for result in ("ok", "errors"):
        [report] = reports.make(1, result=result)

        def render_all(report: Any = report) -> None:
            base = build_context(report, handler="")
            for handler in builtin:
                message = handler.render(report, context={**base, **handler.extra_context(report)})
                if message.problems:
                    raise SystemExit(f"{handler.name} fell back: {message.problems}")

        render_all()  # compiles the templates
        times = [timed(render_all) for _ in range(sizes.render)]
        value = median(times)
        # The fastest tenth shows what the code costs when nothing else runs on the CPU.
        fastest = statistics.quantiles(times, n=10)[0]
        label = f"render 4 handlers, 6 parts (level {result})"
        rows.append(Row("2", label, ms(value), f"p10 {ms(fastest)}", "<= 1 ms", value <= 0.001))
    return rows


# -- 3. log size -----------------------------------------------------------------------------------


def log_size(sizes: Sizes, fake: Any, reports: Reports) -> list[Row]:
    config = {"slack": slack_handler(fake), "mail": mail_handler()}
    small = reports.make(sizes.log_size, log_size=2_000)
    big = reports.make(sizes.log_size, log_size=20_000_000)
    with handlers(config):
        emit(reports.make(1)[0], 2)
        times = interleaved(
            sizes.log_size,
            {"small": lambda run: emit(small[run], 2), "big": lambda run: emit(big[run], 2)},
        )
    ratio = median(times["big"]) / median(times["small"])
    return [
        Row("3", "emit, 2 kB log file", ms(median(times["small"]))),
        Row("3", "emit, 20 MB log file", ms(median(times["big"])), f"{ratio:.2f}x", "<= 1.1x", ratio <= 1.1),
    ]


# -- 4. fan-out ------------------------------------------------------------------------------------


def fan_out(sizes: Sizes, fake: Any, reports: Reports) -> list[Row]:
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
            "<= 0.65 s",
            measured[3] <= 0.65,
        ),
        Row(
            "4",
            f"50 handlers, {LATENCY} s latency each",
            f"{measured[50]:.3f} s",
            f"{ratio:.2f}x",
            "<= 2x",
            ratio <= 2,
        ),
    ]


# -- 5. capture ------------------------------------------------------------------------------------


def capture(sizes: Sizes) -> list[Row]:
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "capture.py"),
        "--json",
        "--lines",
        str(sizes.capture_lines),
        "--repeat",
        str(sizes.capture_repeat),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TASKMANAGER_"))}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if not done.stdout.strip():
        raise SystemExit(f"benchmarks/capture.py failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    devnull, runtask = figures["devnull"], figures["runtask"]
    ratio = runtask["wall"] / devnull["wall"]
    label = f"{figures['megabytes']:g} MB, best of {figures['repeat']}"
    return [
        Row("5", f"command > /dev/null ({label})", f"{devnull['wall']:.2f} s"),
        Row(
            "5",
            "runtask, output captured: wall",
            f"{runtask['wall']:.2f} s",
            f"{ratio:.2f}x",
            "<= 1.5x",
            ratio <= 1.5,
        ),
        Row(
            "5", "runtask: peak RSS", f"{runtask['rss_mb']:.1f} MB", "", "<= 100 MB", runtask["rss_mb"] <= 100
        ),
    ]


# -- 6. start-up -----------------------------------------------------------------------------------


def ten_handlers(fake: Any) -> dict[str, dict[str, Any]]:
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


def startup(sizes: Sizes, fake: Any, smtp: Any, folder: str) -> list[Row]:
    from taskmanager.notifications.checks import check_notification_settings

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

    def manage(command: list[str], env: dict[str, str], run: int) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "django", *command], env=env, cwd=ROOT, capture_output=True, text=True
        )
        if done.returncode != 0 or (command[0] == "check" and "no issues" not in done.stdout):
            raise SystemExit(f"manage.py {' '.join(command)} failed:\n{done.stdout}{done.stderr}")

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


# -- the table -------------------------------------------------------------------------------------


def print_table(rows: list[Row], title: str) -> None:
    header = Row("#", "measure", "median", "ratio", "target", None)
    cells = [
        [
            row.target,
            row.what,
            row.measured,
            row.ratio,
            row.limit,
            "" if row.ok is None else ("PASS" if row.ok else "FAIL"),
        ]
        for row in rows
    ]
    head = [header.target, header.what, header.measured, header.ratio, header.limit, "result"]
    widths = [max(len(line[i]) for line in [head, *cells]) for i in range(len(head))]
    right = {2, 3}

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if i in right else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    print(title)
    print(line(head))
    print(line(["-" * w for w in widths]))
    previous = None
    for row, values in zip(rows, cells, strict=True):
        if previous is not None and row.target != previous:
            print()
        print(line(values))
        previous = row.target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--quick", action="store_true", help="a few iterations of each step (figures not meaningful)"
    )
    parser.add_argument(
        "--journal",
        choices=("wal", "delete"),
        default="wal",
        help="SQLite journal: wal (synchronous=NORMAL, the default) or delete (SQLite's default: "
        "the disk is flushed at every commit)",
    )
    parser.add_argument(
        "--only",
        type=int,
        action="append",
        choices=range(1, 7),
        metavar="N",
        help="run target N only (repeatable)",
    )
    options = parser.parse_args()
    sizes = QUICK if options.quick else FULL
    wanted = set(options.only or range(1, 7))

    from benchmarks.servers import Servers

    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="taskmanager-notify-bench-") as folder:
        setup_django(folder, options.journal)
        from django.test import override_settings

        with Servers() as fake:
            smtp = fake
            mail_settings = override_settings(
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST=fake.host,
                EMAIL_PORT=fake.smtp_port,
                EMAIL_TIMEOUT=10,
            )
            with mail_settings:
                reports = Reports(Path(folder))
                started = time.perf_counter()
                steps: dict[int, Callable[[], list[Row]]] = {
                    1: lambda: overhead(sizes, fake, smtp, reports),
                    2: lambda: render_alone(sizes, reports),
                    3: lambda: log_size(sizes, fake, reports),
                    4: lambda: fan_out(sizes, fake, reports),
                    5: lambda: capture(sizes),
                    6: lambda: startup(sizes, fake, smtp, folder),
                }
                rows = [row for number, step in steps.items() if number in wanted for row in step()]
                elapsed = time.perf_counter() - started
    title = (
        f"Notifications benchmark{' (--quick: figures not meaningful)' if options.quick else ''}: "
        f"{os.cpu_count()} CPUs, load average {load:.2f} before it started, {elapsed:.0f} s, "
        f"SQLite journal {options.journal}"
    )
    print_table(rows, title)
    missed = [row for row in rows if row.ok is False]
    print()
    print(f"{len(missed)} target(s) missed" if missed else "every target met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
