"""Target 7: what the first emission costs a fresh process, and runtask with handlers.

``benchmarks/fresh_emit.py`` in fresh processes: Django set up and a report saved, then its
first ``emit_notifications()`` timed, to the default Slack and mail handlers against the
loopback servers (imports, the handlers' construction, the templates, the first URL
reversal, the delivery threads: everything a ``runtask`` or a worker's first task pays).
Target: median at most 40 ms, wall-clock and CPU (every thread of the process).

Then ``manage.py runtask`` of a task ending with errors, with those two handlers (level
errors) and with none, in fresh processes taking turns. Target: the CPU time with handlers at
most 1.1x the CPU time with none (the wall-clock ratio is shown beside it).

The children run with their bytecode, as an installed package does (``harness.child_env``).
"""

from __future__ import annotations

import functools
import json
import resource
import subprocess
import sys

from benchmarks.harness import ROOT, Row, Sizes, child_env, interleaved, median, ms
from benchmarks.servers import Servers
from benchmarks.workload import mail_handler, slack_handler
from taskmanager.models import AppCommand, Task

LIMIT = 0.040
RUNTASK_LIMIT = 1.1
TASK_NAME = "bench: ends with errors"


def _run(argv: list[str], env: dict[str, str]) -> tuple[str, float]:
    """Run ``argv``; its stdout and CPU time (user + system). Stop the benchmark if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def first_emission(env: dict[str, str]) -> dict[str, float]:
    out, _cpu = _run([sys.executable, "-m", "benchmarks.fresh_emit"], env)
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    if figures["sent"] != 2:
        raise SystemExit(f"the first emission sent {figures['sent']} of 2 messages")
    return figures


def measure(sizes: Sizes, fake: Servers, folder: str) -> list[Row]:
    config = {"slack": slack_handler(fake, level="errors"), "mail": mail_handler(level="errors")}
    smtp = f"{fake.host}:{fake.smtp_port}"
    with_handlers = child_env(
        folder, TASKMANAGER_BENCH_HANDLERS=json.dumps(config), TASKMANAGER_BENCH_SMTP=smtp
    )
    first_emission(with_handlers)  # writes the bytecode
    emissions = [first_emission(with_handlers) for _ in range(sizes.first_emit)]
    wall, cpu = median([e["wall"] for e in emissions]), median([e["cpu"] for e in emissions])

    command, _ = AppCommand.objects.get_or_create(app_name="tests.sampleapp", name="ends_with_errors")
    Task.objects.get_or_create(name=TASK_NAME, defaults={"command": command})
    envs = {"none": child_env(folder, TASKMANAGER_BENCH_SMTP=smtp), "slack + mail": with_handlers}
    argv = [sys.executable, "-m", "django", "runtask", TASK_NAME]
    cpu_times: dict[str, list[float]] = {name: [] for name in envs}

    def runtask(name: str, run: int) -> None:
        cpu_times[name].append(_run(argv, envs[name])[1])

    for name in envs:
        runtask(name, -1)
        cpu_times[name].clear()
    runs = max(2, sizes.first_emit)
    walls = interleaved(runs, {name: functools.partial(runtask, name) for name in envs})
    cpu_ratio = median(cpu_times["slack + mail"]) / median(cpu_times["none"])
    wall_ratio = median(walls["slack + mail"]) / median(walls["none"])
    return [
        Row("7", "first emission in a fresh process: wall", ms(wall), "", "<= 40 ms", wall <= LIMIT),
        Row("7", "first emission in a fresh process: CPU", ms(cpu), "", "<= 40 ms", cpu <= LIMIT),
        Row("7", "runtask (errors), no handlers: CPU", ms(median(cpu_times["none"]))),
        Row(
            "7",
            "runtask (errors), Slack + mail: CPU",
            ms(median(cpu_times["slack + mail"])),
            f"{cpu_ratio:.2f}x",
            f"<= {RUNTASK_LIMIT}x",
            cpu_ratio <= RUNTASK_LIMIT,
        ),
        Row(
            "7",
            "runtask (errors), Slack + mail: wall (reference)",
            ms(median(walls["slack + mail"])),
            f"{wall_ratio:.2f}x",
        ),
    ]
