"""Django's Tasks framework: ``django.tasks`` on Django 6.x, the ``django_tasks`` backport on 5.2.

Importing this module raises ImportError when neither is there (Django 5.2 without
``django-tasks``); ``manage.py check`` says so first (:mod:`.checks`).
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING

#: Where the framework comes from, for messages.
FRAMEWORK = "django.tasks" if find_spec("django.tasks") else "django_tasks"

#: The loggers of the framework and of its workers (django-tasks-db's ``db_worker``): what
#: they log while a ride runs (a worker told to stop says so at once, from its signal
#: handler) is the worker's, not the command's, and must not count in the run's report.
WORKER_LOGGERS = ("django.tasks", "django_tasks", "django_tasks_db")

if TYPE_CHECKING or FRAMEWORK == "django.tasks":
    from django.tasks import (
        DEFAULT_TASK_BACKEND_ALIAS,
        Task,
        TaskResult,
        TaskResultStatus,
        task,
        task_backends,
    )
    from django.tasks.backends.base import BaseTaskBackend
    from django.tasks.exceptions import InvalidTask, InvalidTaskBackend
else:
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResult, TaskResultStatus, task, task_backends
    from django_tasks.backends.base import BaseTaskBackend
    from django_tasks.base import Task
    from django_tasks.exceptions import InvalidTaskBackendError as InvalidTaskBackend
    from django_tasks.exceptions import InvalidTaskError as InvalidTask


__all__ = [
    "DEFAULT_TASK_BACKEND_ALIAS",
    "FRAMEWORK",
    "WORKER_LOGGERS",
    "BaseTaskBackend",
    "InvalidTask",
    "InvalidTaskBackend",
    "Task",
    "TaskResult",
    "TaskResultStatus",
    "task",
    "task_backends",
]
