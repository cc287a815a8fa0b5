"""What ``manage.py check`` says of the execution settings.

Ids: E012 ``UWSGI_TASKMANAGER_BACKEND`` names no backend (the choices named), or one that
cannot be imported; E013 ``"tasks"`` without a Tasks framework (Django 5.2 without
``django-tasks``); E014 ``UWSGI_TASKMANAGER_TASKS`` is malformed (an unknown key, a number
that is not a positive number of seconds, ``stale_after`` not above ``heartbeat``). The
backend in use adds its own (``Backend.check()``: the Tasks backend's E015, E016, W004 and
W005, in :mod:`taskmanager.execution.tasks.checks`).
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

import django
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from taskmanager.conf import TASKS_SETTING, settings, tasks_options
from taskmanager.execution.current import BACKENDS, SETTING, backend_class, backend_path


def tasks_framework_installed() -> bool:
    """Whether ``django.tasks`` (Django 6.x) or its backport ``django_tasks`` can be imported."""
    return bool(find_spec("django.tasks") or find_spec("django_tasks"))


@checks.register("taskmanager")
def check_execution_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    try:
        tasks_options()
    except ImproperlyConfigured as exc:
        messages.append(
            checks.Error(
                str(exc),
                hint="Its keys: backend, queue (strings), heartbeat, stale_after, watchdog (seconds); "
                "see the docs' page on backends.",
                obj=TASKS_SETTING,
                id="taskmanager.E014",
            )
        )
    name = settings.BACKEND
    if name == "tasks" and not tasks_framework_installed():
        version = ".".join(map(str, django.VERSION[:2]))
        messages.append(
            checks.Error(
                f'{SETTING} = "tasks" needs Django\'s Tasks framework, which Django {version} does not have.',
                hint='Install the backport: pip install "django-uwsgi-taskmanager[tasks]" (django-tasks), '
                "or upgrade to Django 6.",
                obj=SETTING,
                id="taskmanager.E013",
            )
        )
        return messages
    try:
        backend = backend_class(backend_path(name))
    except ImproperlyConfigured as exc:
        messages.append(
            checks.Error(
                str(exc),
                hint=f"Choices: {', '.join(map(repr, BACKENDS))} or the dotted path of a "
                "taskmanager.execution.backend.Backend subclass; see the docs' page on backends.",
                obj=SETTING,
                id="taskmanager.E012",
            )
        )
        return messages
    return messages + backend.check()
