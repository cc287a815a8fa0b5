"""``manage.py resend_notifications`` as real processes: two at once never send a delivery twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from tests.fakes.webhook import WebhookReceiver

ROOT = Path(__file__).resolve().parents[2]
REPORTS = 3

# Three reports whose webhook delivery failed once, each with the payload it had rendered.
SETUP = f"""
from taskmanager.models import AppCommand, Delivery, Report, Task
command, _ = AppCommand.objects.get_or_create(app_name="tests.sampleapp", name="ends_with_errors")
task = Task.objects.create(name="nightly import", command=command)
for n in range({REPORTS}):
    report = Report.objects.create(task=task, invocation_result="errors")
    Delivery.objects.create(
        report=report, handler="hook", level="errors", status="failed", attempts=1,
        last_error="webhook answered HTTP 503", parts={{"json": '{{"report": %d}}' % n}},
    )
"""
SHOW = """
from taskmanager.models import Delivery
print(sorted(Delivery.objects.values_list("status", "attempts")))
"""


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def project(tmp_path: Path, hook: WebhookReceiver) -> dict[str, str]:
    handlers = {
        "hook": {
            "class": "taskmanager.notifications.WebhookNotificationHandler",
            "level": "ok",
            "url": hook.url,
            "timeout": 90,
            "max_attempts": 1,
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
    manage(env, "migrate", "-v", "0")
    manage(env, "shell", "-c", SETUP)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


@pytest.mark.slow
def test_two_resends_at_once_send_each_failed_delivery_exactly_once(
    project: dict[str, str], hook: WebhookReceiver
) -> None:
    # Each request waits until the other process has one in flight too: without claims both
    # would have listed the first delivery as failed, and both would send it.
    hook.hold_until(2)
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "django", "resend_notifications"],
            env=project,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=180) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sorted(json.loads(received.body)["report"] for received in hook.requests) == list(range(REPORTS))
    sent_lines = [line for out, _err in outputs for line in out.splitlines() if line.startswith("sent ")]
    assert len(sent_lines) == REPORTS
    # Every attempt counted: the first one, and the resend's.
    assert manage(project, "shell", "-c", SHOW).splitlines()[-1] == str([("sent", 2)] * REPORTS)


@pytest.mark.django_db
def test_spool_without_a_directory_leaves_the_resend_to_the_tasks_queue(settings: Any) -> None:
    settings.UWSGI_TASKMANAGER_BACKEND = "tasks"
    out = StringIO()
    call_command("resend_notifications", "--spool", "--handler", "hook", stdout=out)
    [job] = DBTaskResult.objects.filter(task_path="taskmanager.execution.tasks.jobs.resend_failed")
    assert job.args_kwargs["args"] == [None, "hook", None]
    assert (
        out.getvalue()
        == f'Resend enqueued on the queue "taskmanager" of the Tasks backend "default" (job {job.id}).\n'
    )


@pytest.mark.django_db
def test_spool_without_a_directory_outside_uwsgi_asks_for_one() -> None:
    with pytest.raises(
        CommandError, match=r"--spool: this process has no uWSGI spooler: name its spool directory"
    ):
        call_command("resend_notifications", "--spool")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tasks", "says"),
    [
        ({"heartbeat": 0}, r'UWSGI_TASKMANAGER_TASKS\["heartbeat"\]'),
        ({"queue": "elsewhere"}, "The resend could not be enqueued: Queue 'elsewhere'"),
        ({"backend": "elsewhere"}, "The Tasks backend 'elsewhere' of UWSGI_TASKMANAGER_TASKS is not in"),
    ],
)
def test_spool_on_a_misconfigured_tasks_backend_is_a_command_error(
    settings: Any, tasks: dict[str, object], says: str
) -> None:
    settings.UWSGI_TASKMANAGER_BACKEND = "tasks"
    settings.UWSGI_TASKMANAGER_TASKS = tasks
    with pytest.raises(CommandError, match=f"--spool: {says}.*manage.py check says more"):
        call_command("resend_notifications", "--spool")
