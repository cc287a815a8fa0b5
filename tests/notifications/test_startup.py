"""Start-up stays cheap: the optional packages load on first use, handlers never reach the network."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
import django
django.setup()
import taskmanager.notifications
from django.test import override_settings
from taskmanager.notifications.checks import check_notification_settings
from taskmanager.notifications.config import load_handlers

handlers = json.loads(sys.argv[1])
with override_settings(UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS=handlers):
    loaded = load_handlers()
    assert sorted(loaded.handlers) == sorted(handlers), loaded.errors
    assert not [m for m in check_notification_settings() if m.level >= 40], "check errors"
print(json.dumps(sorted(m for m in ("slack_sdk", "css_inline", "markdown") if m in sys.modules)))
"""


def test_loading_and_checking_handlers_imports_no_optional_package():
    handlers = {
        "slack": {
            "class": "taskmanager.notifications.SlackNotificationHandler",
            "token": "xoxb-test-token",
            "channel": "#general",
            # A closed port: any request at start-up would fail the check above.
            "base_url": "http://127.0.0.1:9/api/",
        },
        "mail": {
            "class": "taskmanager.notifications.MailNotificationHandler",
            "recipients": "ops@example.com",
        },
        "webhook": {
            "class": "taskmanager.notifications.WebhookNotificationHandler",
            "url": "http://127.0.0.1:9/",
        },
    }
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(handlers)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_starting_django_with_the_admin_does_not_load_jinja():
    # Every manage.py command, web worker and spooler pays for what start-up imports;
    # Jinja is needed only by a process that renders.
    script = "import sys, django; django.setup(); import taskmanager.admin; print('jinja2' in sys.modules)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
