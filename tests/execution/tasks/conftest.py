"""Fixtures of the Tasks backend's tests: the backend chosen, a worker run in this process.

The tests run on SQLite with django-tasks-db (tests/settings.py's ``TASKS``), in
transactions that commit: a launch enqueues once its transaction commits.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from taskmanager.execution.tasks.compat import FRAMEWORK
from taskmanager.notifications.channels import locmem

RIDE = "taskmanager.execution.tasks.jobs.run_ride"
WATCHDOG = "taskmanager.execution.tasks.jobs.watchdog"
#: The framework's own backends (django.tasks on Django 6.x, django_tasks on 5.2).
IMMEDIATE = f"{FRAMEWORK}.backends.immediate.ImmediateBackend"
DUMMY = f"{FRAMEWORK}.backends.dummy.DummyBackend"


@pytest.fixture
def tasks_backend(settings: Any) -> None:
    """``UWSGI_TASKMANAGER_BACKEND = "tasks"`` on django-tasks-db (tests/settings.py's TASKS)."""
    settings.UWSGI_TASKMANAGER_BACKEND = "tasks"


@pytest.fixture
def run_worker() -> Callable[[], None]:
    """Run ``db_worker`` here until no job is ready (``--batch``): what a worker process does."""

    def run() -> None:
        call_command(
            "db_worker", "--batch", "--queue-name", "taskmanager", "--no-startup-delay", "--no-reload",
            verbosity=0,
        )  # fmt: skip

    return run


@pytest.fixture
def outbox(settings: Any) -> Iterator[list[Any]]:
    """Every report notified through an in-memory handler."""
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mem": {
            "transport": "taskmanager.notifications.channels.locmem.LocmemTransport",
            "templates": "log",
            "level": "ok",
        }
    }
    locmem.outbox.clear()
    yield locmem.outbox
    locmem.outbox.clear()


def jobs(path: str = RIDE, status: str | None = None) -> list[DBTaskResult]:
    """The queue's jobs of one task function, the oldest first."""
    found = DBTaskResult.objects.filter(task_path=path).order_by("enqueued_at")
    return list(found if status is None else found.filter(status=status))
