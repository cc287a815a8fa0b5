"""Django's Tasks framework: ``django.tasks`` on Django 6.x, the ``django_tasks`` backport on 5.2.

Importing this module raises ImportError when neither is there (Django 5.2 without
``django-tasks``); ``manage.py check`` says so first (:mod:`.checks`).
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING

#: Where the framework comes from, for messages.
FRAMEWORK = "django.tasks" if find_spec("django.tasks") else "django_tasks"

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
    "BaseTaskBackend",
    "InvalidTask",
    "InvalidTaskBackend",
    "Task",
    "TaskResult",
    "TaskResultStatus",
    "task",
    "task_backends",
]
