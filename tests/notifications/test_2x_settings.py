"""The 2.x docs' settings, with their environment variables unset, boot and run tasks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks

ROOT = Path(__file__).resolve().parents[2]

# As the 2.x how-to writes them, with env(..., default="") giving "".
TWO_X_HANDLERS = {
    "slack": {
        "class": "taskmanager.notifications.SlackNotificationHandler",
        "level": "errors",
        "token": "",
        "channel": "",
    },
    "mail": {
        "class": "taskmanager.notifications.MailNotificationHandler",
        "level": "errors",
        "from_email": "",
        "recipients": "",
    },
}


def test_unset_environment_variables_give_warnings_not_errors(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = TWO_X_HANDLERS
    # databases=[]: the static checks only (Django 6.1 would also query every database).
    messages = [m for m in checks.run_checks(databases=[]) if m.id and m.id.startswith("taskmanager.")]
    assert sorted((m.id, m.msg.split("'")[1]) for m in messages) == [
        ("taskmanager.W001", "mail"),
        ("taskmanager.W001", "slack"),
    ]
    assert all(m.level == checks.WARNING for m in messages)


@pytest.mark.slow
def test_a_project_with_them_migrates_checks_and_runs_a_task(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings_filedb",
        "PYTHONPATH": str(ROOT),
        "TASKMANAGER_TEST_DB": str(tmp_path / "db.sqlite3"),
        "TASKMANAGER_TEST_MEDIA_ROOT": str(tmp_path / "media"),
        "TASKMANAGER_TEST_HANDLERS": json.dumps(TWO_X_HANDLERS),
    }

    def manage(*args):
        return subprocess.run(
            [sys.executable, "-m", "django", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    migrate = manage("migrate", "-v", "0")
    assert migrate.returncode == 0, migrate.stderr
    assert "taskmanager.W001" in migrate.stderr + migrate.stdout
    check = manage("check")
    assert check.returncode == 0
    setup = manage(
        "shell",
        "-c",
        "from taskmanager.models import AppCommand, Task\n"
        "c = AppCommand.objects.create(app_name='tests.sampleapp', name='ends_with_errors')\n"
        "Task.objects.create(name='nightly import', command=c)\n",
    )
    assert setup.returncode == 0, setup.stderr
    run = manage("runtask", "nightly import")
    assert run.returncode == 0, run.stderr
    assert "nightly import: errors (2 errors, 1 warning)" in run.stdout
