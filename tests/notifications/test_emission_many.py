"""Emission with many handlers on one report, and two tasks finishing at the same moment.

How long fifty handlers take is a benchmark target (``benchmarks/fan_out.py``), not an
assertion here: these tests count what was delivered and how many requests were in flight.
"""

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from taskmanager.models import Delivery

ROOT = Path(__file__).resolve().parents[2]


class InFlight:
    """Wraps the fake's answering: counts the requests in flight at once, and holds each one
    until ``wanted`` are (or ``patience`` runs out once), so side-by-side requests all meet."""

    def __init__(self, answer: Callable[..., Any], wanted: int, patience: float) -> None:
        self._answer = answer
        self.wanted = wanted
        self.patience = patience
        self.now = 0
        self.most = 0
        self.gave_up = False
        self._changed = threading.Condition()

    def __call__(self, *args: Any) -> Any:
        with self._changed:
            self.now += 1
            self.most = max(self.most, self.now)
            self._changed.notify_all()
            # One after the other, the first request would wait for ever: give up once, for all.
            met = self._changed.wait_for(lambda: self.most >= self.wanted or self.gave_up, self.patience)
            self.gave_up = self.gave_up or not met
        try:
            return self._answer(*args)
        finally:
            with self._changed:
                self.now -= 1


def test_fifty_handlers_on_one_report_all_deliver_side_by_side(
    settings, fake_slack, make_report, monkeypatch
):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        f"slack-{n}": {
            "class": "taskmanager.notifications.SlackNotificationHandler",
            "level": "ok",
            "token": "xoxb-test-token",
            "channel": "#general",
            "base_url": fake_slack.base_url,
            # The first request waits for the fiftieth: on a busy machine that can take a while.
            "timeout": 60,
        }
        for n in range(50)
    }
    # _answer is the fake's one choke point: every request passes through it.
    in_flight = InFlight(fake_slack._answer, wanted=50, patience=50)
    monkeypatch.setattr(fake_slack, "_answer", in_flight)
    report = make_report("errors")
    outcomes = report.emit_notifications()
    assert [o.sent for o in outcomes] == [True] * 50
    assert len(fake_slack.messages) == 50
    assert Delivery.objects.filter(report=report, status="sent").count() == 50
    # One after the other, the fake would never see more than one request at a time.
    assert in_flight.most == 50
    assert not in_flight.gave_up


@pytest.fixture
def two_task_project(tmp_path, fake_slack):
    handlers = {
        "slack": {
            "class": "taskmanager.notifications.SlackNotificationHandler",
            "level": "ok",
            "token": "xoxb-test-token",
            "channel": "#general",
            "base_url": fake_slack.base_url,
        }
    }
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings_filedb",
        "PYTHONPATH": str(ROOT),
        "TASKMANAGER_TEST_DB": str(tmp_path / "db.sqlite3"),
        "TASKMANAGER_TEST_MEDIA_ROOT": str(tmp_path / "media"),
        "TASKMANAGER_TEST_HANDLERS": json.dumps(handlers),
    }
    manage = [sys.executable, "-m", "django"]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=120)
    subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from taskmanager.models import AppCommand, Task\n"
            "c, _ = AppCommand.objects.get_or_create(app_name='tests.sampleapp', name='ends_with_errors')\n"
            "Task.objects.create(name='first', command=c)\n"
            "Task.objects.create(name='second', command=c)\n",
        ],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    return env, manage


@pytest.mark.slow
def test_two_tasks_finishing_at_the_same_moment_both_notify(two_task_project, fake_slack):
    env, manage = two_task_project
    runs = [
        subprocess.Popen([*manage, "runtask", name], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for name in ("first", "second")
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert all("errors (2 errors, 1 warning)" in output for output in outputs)
    texts = sorted(m["text"] for m in fake_slack.wait_for_messages(2))
    assert len(texts) == 2
    assert "first" in texts[0]
    assert "second" in texts[1]
    check = subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from taskmanager.models import Delivery\n"
            "print(sorted((d.report.task.name, d.status) for d in Delivery.objects.all()))",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert check.stdout.strip().splitlines()[-1] == "[('first', 'sent'), ('second', 'sent')]"
