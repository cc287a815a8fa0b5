"""Fixtures of the Tasks backend's tests: the backend chosen, a worker run in this process."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult


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


def jobs(path: str = "taskmanager.execution.tasks.jobs.run_ride") -> list[DBTaskResult]:
    """The queue's jobs of one task function, the oldest first."""
    return list(DBTaskResult.objects.filter(task_path=path).order_by("enqueued_at"))
