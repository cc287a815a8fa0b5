"""Settings for the benchmarks: the test settings on a database file in ``TASKMANAGER_BENCH_DIR``.

``TASKMANAGER_BENCH_HANDLERS``, when set, is the JSON of
``UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS`` (the start-up benchmark runs
``manage.py check`` with and without handlers). ``TASKMANAGER_BENCH_DATABASE_URL``, when
set, is the database instead of the SQLite file: ``postgresql://user:password@host:5432/name``
(the admin benchmark on PostgreSQL; it fills that database, so give it a scratch one).
``TASKMANAGER_BENCH_WAL`` gives each connection ``synchronous=NORMAL`` (fresh processes of a
benchmark in WAL mode). ``TASKMANAGER_BENCH_SMTP`` (``host:port``) sends mail to that SMTP server.
``TASKMANAGER_BENCH_SLOW_START_MS`` makes loading these settings cost that much more CPU: the
start-up benchmark injects a regression with it, to show that its rule catches one.
"""

import json
import os
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.settings import *  # noqa: F403

# The Tasks backend's engine is the tests' business: the benchmarks measure a project on the
# default backend (benchmarks/tasks_backend.py has its own settings).
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "django_tasks_db"]  # noqa: F405
del TASKS  # noqa: F821  (Django's default backend again)

BENCH_DIR = os.environ["TASKMANAGER_BENCH_DIR"]
_DATABASE: dict[str, Any] = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.path.join(BENCH_DIR, "db.sqlite3"),
}
DATABASES = {"default": _DATABASE}


def database_from_url(url: str) -> dict[str, str]:
    """``postgresql://user:password@host:port/name`` (or ``sqlite:///path``) as a DATABASES entry."""
    parts = urlsplit(url)
    engines = {"postgres": "postgresql", "postgresql": "postgresql", "sqlite": "sqlite3"}
    if parts.scheme not in engines:
        raise ValueError(f"TASKMANAGER_BENCH_DATABASE_URL: unknown scheme {parts.scheme!r} in {url!r}")
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path)}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


if os.environ.get("TASKMANAGER_BENCH_WAL"):
    # Fresh processes of a benchmark run as its own process does (harness.setup_django): the file
    # is in WAL mode already; this is the per-connection half, no disk flush at every commit.
    _DATABASE["OPTIONS"] = {"init_command": "PRAGMA synchronous=NORMAL"}

if os.environ.get("TASKMANAGER_BENCH_DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["TASKMANAGER_BENCH_DATABASE_URL"])}
MEDIA_ROOT = os.path.join(BENCH_DIR, "media")

if os.environ.get("TASKMANAGER_BENCH_HANDLERS"):
    UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = json.loads(os.environ["TASKMANAGER_BENCH_HANDLERS"])

if os.environ.get("TASKMANAGER_BENCH_SMTP"):
    # host:port of the loopback SMTP server: fresh processes deliver mail to it.
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, _port = os.environ["TASKMANAGER_BENCH_SMTP"].rsplit(":", 1)
    EMAIL_PORT = int(_port)
    EMAIL_TIMEOUT = 10

if os.environ.get("TASKMANAGER_BENCH_SLOW_START_MS"):
    # An injected regression: CPU work, as a slow import is (benchmarks/startup.py --inject-ms).
    _until = time.process_time() + float(os.environ["TASKMANAGER_BENCH_SLOW_START_MS"]) / 1000
    while time.process_time() < _until:
        pass
