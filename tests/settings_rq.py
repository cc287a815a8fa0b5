"""Settings of the RQ tests' processes: ``rqworker``s and shells on PostgreSQL, the queue on Redis.

What ``tests.settings_postgres`` says (the database, media, handlers, small recovery limits),
with the Tasks backend on RQ: ``django_tasks_rq.RQBackend``, whose queues are django-rq's
``RQ_QUEUES`` on the Redis of ``TASKMANAGER_TEST_REDIS`` (a ``redis://`` URL, as
``scripts/redis.sh`` exports it).
"""

import os

from tests.settings_postgres import *  # noqa: F403
from tests.settings_postgres import INSTALLED_APPS, LOGGING

REDIS_URL = os.environ.get("TASKMANAGER_TEST_REDIS", "redis://127.0.0.1:6379/0")

INSTALLED_APPS = [*INSTALLED_APPS, "django_rq", "django_tasks_rq"]
TASKS = {
    "default": {
        "BACKEND": "django_tasks_rq.RQBackend",
        "QUEUES": ["taskmanager", "default"],
    }
}
RQ_QUEUES = {name: {"URL": REDIS_URL} for name in ("taskmanager", "default")}
# RQ's worker says what it takes and how it ended (the tests count its lines).
LOGGING = {
    **LOGGING,
    "loggers": {
        **LOGGING["loggers"],  # type: ignore[dict-item]
        "rq.worker": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
