"""The execution backend in use."""

from __future__ import annotations

from taskmanager.execution.backend import Backend
from taskmanager.execution.uwsgi.backend import UwsgiBackend


def get_backend() -> Backend:
    """The backend tasks are launched on: uWSGI's spooler when this process has one, else this process."""
    return UwsgiBackend()
