"""What ``manage.py check`` says of the Tasks backend (``UWSGI_TASKMANAGER_BACKEND = "tasks"``).

Ids: E015 the ``TASKS`` alias is unknown; E016 our queue is not in that backend's
``QUEUES``; W004 the backend cannot defer a job (scheduled and repeating tasks will not
launch); W005 the backend keeps jobs and never runs them (Django's ``DummyBackend``).
The choice of backend and ``UWSGI_TASKMANAGER_TASKS`` itself are checked by
:mod:`taskmanager.execution.checks` (E012-E014).
"""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from taskmanager.conf import TASKS_SETTING, TasksOptions, tasks_options
from taskmanager.execution.tasks.compat import FRAMEWORK, InvalidTaskBackend, task_backends


def check_tasks_backend() -> list[checks.CheckMessage]:
    try:
        options = tasks_options()
    except ImproperlyConfigured:
        options = TasksOptions()  # E014 says what is wrong; the rest is checked with the defaults
    try:
        backend = task_backends[options.backend]
    except InvalidTaskBackend as exc:
        return [
            checks.Error(
                f"The Tasks backend {options.backend!r} ({TASKS_SETTING}['backend']) is not in the TASKS "
                f"setting: {exc}",
                hint=f"Add it to TASKS, or name one of {', '.join(map(repr, task_backends.settings))} "
                f"in {TASKS_SETTING}.",
                id="taskmanager.E015",
            )
        ]
    messages: list[checks.CheckMessage] = []
    where = f'The Tasks backend "{options.backend}" ({type(backend).__name__})'
    if backend.queues and options.queue not in backend.queues:
        messages.append(
            checks.Error(
                f"{where} does not allow the queue {options.queue!r}, where our jobs go "
                f"(its QUEUES: {', '.join(map(repr, sorted(backend.queues)))}).",
                hint=f'Add {options.queue!r} to TASKS["{options.backend}"]["QUEUES"], or name one of them '
                f'as {TASKS_SETTING}["queue"].',
                id="taskmanager.E016",
            )
        )
    if not backend.supports_defer:
        messages.append(
            checks.Warning(
                f"{where} cannot run a job later (it does not support deferred runs): scheduled and "
                "repeating tasks will not launch, and no watchdog closes the runs of dead workers.",
                hint="Use a backend that supports deferred runs, such as django-tasks-db's "
                f"DatabaseBackend (see the docs' page on backends). Tasks framework: {FRAMEWORK}.",
                id="taskmanager.W004",
            )
        )
    if type(backend).__name__ == "DummyBackend":
        messages.append(
            checks.Warning(
                f"{where} keeps the jobs it is given and never runs them: no task will run.",
                hint="DummyBackend is for tests; use a backend with workers, such as django-tasks-db's.",
                id="taskmanager.W005",
            )
        )
    return messages
