"""Settings of the processes the PostgreSQL tests start: ``db_worker``s and a web server.

The server comes from ``TASKMANAGER_TEST_POSTGRES`` (a ``postgresql://`` URL, as
``scripts/postgres.sh`` exports it), the database on it from ``TASKMANAGER_TEST_POSTGRES_DB``,
the media folder from ``TASKMANAGER_TEST_MEDIA_ROOT`` and the notification handlers from
``TASKMANAGER_TEST_HANDLERS`` (JSON). Tasks run on the Tasks backend (``django_tasks_db``, as
tests/settings.py's ``TASKS`` says) with small recovery limits, so that a killed worker is
recovered within seconds (``TASKMANAGER_TEST_BACKEND=uwsgi``: on uWSGI's spooler instead, for
the benchmarks).
"""

import json
import os
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.settings import *  # noqa: F403


def database_settings(url: str, name: str) -> dict[str, Any]:
    """Django's settings of database ``name`` on the server of a ``postgresql://`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"Not a postgresql:// URL: {parts.scheme}://...")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


DATABASES: dict[str, dict[str, Any]] = {  # type: ignore[no-redef]
    "default": database_settings(
        os.environ.get("TASKMANAGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1/postgres"),
        os.environ.get("TASKMANAGER_TEST_POSTGRES_DB", "taskmanager"),
    )
}
if "TASKMANAGER_TEST_MEDIA_ROOT" in os.environ:
    MEDIA_ROOT = os.environ["TASKMANAGER_TEST_MEDIA_ROOT"]

# The benchmarks also run uWSGI's spooler on PostgreSQL: TASKMANAGER_TEST_BACKEND=uwsgi.
UWSGI_TASKMANAGER_BACKEND = os.environ.get("TASKMANAGER_TEST_BACKEND", "tasks")
#: Seconds: a heartbeat a second, a run silent for 5 s is lost, the watchdog rides every 2 s.
UWSGI_TASKMANAGER_TASKS = {"heartbeat": 1, "stale_after": 5, "watchdog": 2}
UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = json.loads(os.environ.get("TASKMANAGER_TEST_HANDLERS") or "{}")
UWSGI_TASKMANAGER_BASE_URL = "http://127.0.0.1"

# What the workers say goes to their output, which a failing test prints.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "taskmanager": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "django_tasks_db": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
