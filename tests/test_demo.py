"""The README's first command: the demo runs its four tasks and says where notifications went."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_demo_runs_the_four_tasks_and_notifies(tmp_path):
    # The demo's own database (demo/db.sqlite3) and logs stay as the person running it left them.
    env = {**os.environ, "TASKMANAGER_VENV": sys.prefix, "TASKMANAGER_DEMO_DATA": str(tmp_path)}
    for key in ("SLACK_TOKEN", "SLACK_CHANNEL", "SLACK_WEBHOOK_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(key, None)
    run = subprocess.run(
        ["bash", "scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    for line in (
        "Nightly import: ok (0 errors, 0 warnings)",
        "Sync catalogue: warnings (0 errors, 2 warnings)",
        "Rebuild search index: errors (3 errors, 1 warning)",
        "Send invoices: failed",
    ):
        assert line in out
    assert "Where the notifications went:" in out
    assert "mail -> a mail file in" in out
    assert "log -> demo/out/notifications.log: sent" in out
    # It ends by saying where the previews of every handler at every level went.
    assert out.rstrip().endswith(
        "written to demo/out/previews/ (open the .html files in a browser; .json are Slack payloads)"
    )
    assert (ROOT / "demo" / "out" / "previews" / "mail-failed.html").is_file()
    assert (ROOT / "demo" / "out" / "previews" / "log-ok.txt").is_file()


@pytest.mark.slow
def test_the_demo_on_the_tasks_backend_launches_the_tasks_and_a_worker_runs_them(tmp_path):
    env = {**os.environ, "TASKMANAGER_VENV": sys.prefix, "TASKMANAGER_DEMO_DATA": str(tmp_path)}
    for key in ("SLACK_TOKEN", "SLACK_CHANNEL", "SLACK_WEBHOOK_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(key, None)
    run = subprocess.run(
        ["bash", "scripts/demo.sh", "--backend", "tasks"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "launched 'Nightly import': spooled, for a worker" in out
    reports = out.split("==> reports", 1)[1]
    for task, result in (
        ("Send invoices", "FAILED"),
        ("Rebuild search index", "ERRORS"),
        ("Sync catalogue", "WARNINGS"),
        ("Nightly import", "OK"),
    ):
        assert re.search(rf"\d+\s+{task}\s+{result}\s", reports), reports
    assert "demo/manage.py db_worker --queue-name taskmanager" in out


def test_the_demo_refuses_an_unknown_backend():
    run = subprocess.run(
        ["bash", "scripts/demo.sh", "--backend", "celery"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 2
    assert "--backend: celery is not one of uwsgi, tasks" in run.stderr
