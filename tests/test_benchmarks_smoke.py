"""The benchmark scripts still run: a few iterations of each step, and their tables."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.postgres import SERVER_ENV, admin_sql, server_url

ROOT = Path(__file__).resolve().parents[1]


def run_benchmark(
    script: str, *args: str, timeout: float, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``benchmarks/<script> --quick`` (or ``args``) in a fresh process, with none of the tests' settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TASKMANAGER_"))}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, f"benchmarks/{script}", *(args or ("--quick",))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_notifications_benchmark_runs_and_prints_its_table():
    done = run_benchmark("notifications.py", timeout=280)

    # Missed targets exit with 1 (a few iterations on a busy machine prove nothing); a crash is a bug.
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("#"))
    assert header.split() == ["#", "measure", "median", "ratio", "target", "result"]
    rows = [line for line in lines[lines.index(header) + 2 :] if "target(s) missed" not in line]
    targets = {line.split()[0] for line in rows if line[:1].isdigit()}
    assert targets == {"1", "2", "3", "4", "5", "6", "7"}
    assert any("PASS" in line or "FAIL" in line for line in lines)
    assert lines[-1] in ("every target met", *(f"{n} target(s) missed" for n in range(1, 30)))


@pytest.fixture
def scratch_postgres() -> Iterator[str]:
    """The URL of an empty database on the test command's PostgreSQL, dropped afterwards."""
    url = server_url()
    name = f"taskmanager_bench_{os.getpid()}"
    admin_sql(url, f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(url)._replace(path=f"/{name}").geturl()
    finally:
        admin_sql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_the_notifications_benchmark_runs_on_postgresql(scratch_postgres: str) -> None:
    args = ("--quick", "--only", "1", "--only", "2", "--database-url", scratch_postgres)
    done = run_benchmark("notifications.py", *args, timeout=280)

    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith("postgresql")
    rows = [line for line in lines if line[:1].isdigit() and "target(s) missed" not in line]
    assert {row.split()[0] for row in rows} == {"1", "2"}


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_big_logs_benchmark_runs_and_meets_its_memory_targets():
    done = run_benchmark("logs.py", timeout=100)

    # Its targets are bytes read and peak memory, not times: a busy machine cannot miss them.
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["log", "step"]
    assert sum("PASS" in line for line in lines) == 8
    assert lines[-1] == "every target met"


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_admin_benchmark_runs_and_prints_its_table():
    done = run_benchmark("admin.py", timeout=100)

    # Times on a busy machine may miss (exit 1); a crash is a bug. Query counts are no timing.
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    pages = [line for line in lines if line.startswith(("task ", "report ")) and "without" not in line]
    assert len(pages) == 8
    assert any("without its index (reference)" in line for line in lines)
    queries = [int(line.split(" q")[0].split()[-1]) for line in pages]
    assert all(n <= 20 for n in queries)
    assert queries[0::2] == queries[1::2]
    assert lines[-1] in ("every target met", *(f"{n} target(s) missed" for n in range(1, 5)))


def test_the_capture_benchmark_runs_with_mixed_output_and_prints_its_targets():
    done = run_benchmark("capture.py", timeout=100)

    # Its exit status follows the memory limit only; the time ratios are the machine's.
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("runtask mixed (captured)") for line in lines)
    results = {line.split("  ", 1)[1]: line.split()[0] for line in lines if line[:4] in ("PASS", "FAIL")}
    assert results["issue 16: mixed peak RSS < 100 MB"] == "PASS"
    assert results["issue 16: mixed wall <= 1.3x /dev/null"] in ("PASS", "FAIL")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_start_up_rule_catches_an_injected_regression():
    # 100 ms of CPU at settings time, as a slow import would cost: the rule must say FAIL.
    done = run_benchmark("startup.py", "--runs", "8", "--inject-ms", "100", timeout=280)

    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    [rule] = [line for line in lines if "CPU shift" in line]
    assert rule.endswith("FAIL")
    assert lines[-1] == "1 target(s) missed"


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_policy_benchmark_runs_and_prints_its_medians():
    done = run_benchmark("policy.py", timeout=100)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["judge,", "previous"]
    assert all("median" in line and "(30 reports)" in line for line in lines)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_log_attachment_benchmark_runs_and_meets_its_memory_target():
    done = run_benchmark("log_attachment.py", timeout=100)

    # Its target is peak memory, not time: a busy machine cannot miss it.
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].split()[:2] == ["log", "time"]
    assert sum("PASS" in line for line in lines) == 4
    assert lines[-1] == "every target met"


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.uwsgi
@pytest.mark.timeout(240)
def test_the_tasks_backend_benchmark_runs_both_engines_and_prints_its_table():
    done = run_benchmark("tasks_backend.py", timeout=220, env_extra={SERVER_ENV: server_url()})

    # Figures, no targets: anything but 0 is a crash.
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("engine"))
    assert header.split() == ["engine", "workers", "run", "latency", "median", "latency", "p90", "rides/s"]
    rows = [line.split() for line in lines if line.startswith(("tasks ", "uwsgi "))]
    assert [(row[0], row[2]) for row in rows] == [
        ("tasks", "1"),
        ("tasks", "2"),
        ("uwsgi", "1"),
        ("uwsgi", "2"),
    ]
    assert all(float(row[-1]) > 0 for row in rows)
