"""Many handlers on one report, and two tasks finishing at the same moment."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from taskmanager.models import Delivery

ROOT = Path(__file__).resolve().parents[2]


def test_fifty_handlers_on_one_report_all_deliver_side_by_side(settings, fake_slack, make_report):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        f"slack-{n}": {
            "class": "taskmanager.notifications.SlackNotificationHandler",
            "level": "ok",
            "token": "xoxb-test-token",
            "channel": "#general",
            "base_url": fake_slack.base_url,
        }
        for n in range(50)
    }
    fake_slack.hang_next(50, seconds=0.3)  # every request takes 0.3 s
    report = make_report("errors")
    started = time.monotonic()
    outcomes = report.emit_notifications()
    elapsed = time.monotonic() - started
    assert [o.sent for o in outcomes] == [True] * 50
    assert len(fake_slack.messages) == 50
    assert Delivery.objects.filter(report=report, status="sent").count() == 50
    # In sequence this would take 15 s; side by side it takes about one request.
    assert elapsed < 7.5


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
