"""Settings for the benchmarks: the test settings on a database file in ``TASKMANAGER_BENCH_DIR``.

``TASKMANAGER_BENCH_HANDLERS``, when set, is the JSON of
``UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS`` (the start-up benchmark runs
``manage.py check`` with and without handlers).
"""

import json
import os

from tests.settings import *  # noqa: F403

# The Tasks backend's engine is the tests' business: the benchmarks measure a project on the
# default backend (benchmarks/tasks_backend.py has its own settings).
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "django_tasks_db"]  # noqa: F405
del TASKS  # noqa: F821  (Django's default backend again)

BENCH_DIR = os.environ["TASKMANAGER_BENCH_DIR"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(BENCH_DIR, "db.sqlite3"),
    }
}
MEDIA_ROOT = os.path.join(BENCH_DIR, "media")

if os.environ.get("TASKMANAGER_BENCH_HANDLERS"):
    UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = json.loads(os.environ["TASKMANAGER_BENCH_HANDLERS"])
