"""The uWSGI backend: tasks ride on uWSGI's spooler when this process has one, else run here."""

from __future__ import annotations

from taskmanager.execution.backend import Backend
from taskmanager.execution.uwsgi import recovery, rides
from taskmanager.models import Report, Task


class UwsgiBackend(Backend):
    """3.0's behaviour: spooled under uWSGI with a spooler, in the calling process otherwise."""

    def launch(self, task: Task) -> Report | None:
        return rides.launch(task)

    def stop(self, task: Task) -> None:
        rides.stop(task)

    def recover(self, *, dry_run: bool = False) -> list[str]:
        return [str(action) for action in recovery.recover_tasks(dry_run=dry_run)]
