"""The execution backend in use: ``UWSGI_TASKMANAGER_BACKEND``.

A short name of a built-in backend (:data:`BACKENDS`) or the dotted path of a
:class:`~taskmanager.execution.backend.Backend` subclass, imported on first use and
cached (a process imports only the backend it uses: the Tasks backend needs a Tasks
framework, which Django 5.2 has only with ``django-tasks``).
"""

from __future__ import annotations

import functools

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from taskmanager.conf import PREFIX, settings
from taskmanager.execution.backend import Backend

SETTING = PREFIX + "BACKEND"
BACKENDS = {
    "uwsgi": "taskmanager.execution.uwsgi.backend.UwsgiBackend",
    "tasks": "taskmanager.execution.tasks.backend.TasksBackend",
    "inline": "taskmanager.execution.inline.InlineBackend",
}


def backend_path(name: object) -> str:
    """The dotted path of the backend ``name`` names; ImproperlyConfigured naming the choices."""
    if not isinstance(name, str) or not name:
        raise ImproperlyConfigured(f"{SETTING} must be a string, not {name!r}.")
    if name in BACKENDS:
        return BACKENDS[name]
    if "." not in name:
        raise ImproperlyConfigured(
            f"{SETTING} = {name!r} is not a backend: use one of {', '.join(map(repr, BACKENDS))}, or "
            "the dotted path of a taskmanager.execution.backend.Backend subclass."
        )
    return name


@functools.cache
def backend_class(path: str) -> type[Backend]:
    """The backend class at ``path``; ImproperlyConfigured saying why it cannot be used."""
    try:
        found = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{SETTING}: cannot import {path!r}: {exc}") from exc
    if not (isinstance(found, type) and issubclass(found, Backend)):
        raise ImproperlyConfigured(
            f"{SETTING}: {path!r} is not a subclass of taskmanager.execution.backend.Backend."
        )
    return found


def get_backend() -> Backend:
    """The backend tasks are launched on (by default uWSGI's spooler, this process without one)."""
    return backend_class(backend_path(settings.BACKEND))()
