"""The uWSGI backend: tasks ride on uWSGI's spooler when this process has one, else run here."""

from __future__ import annotations

import datetime

from taskmanager.execution.backend import Backend, LaunchError
from taskmanager.execution.uwsgi import recovery, rides, spoolfiles
from taskmanager.models import Report, Task


class UwsgiBackend(Backend):
    """3.0's behaviour: spooled under uWSGI with a spooler, run in the calling process otherwise.

    ``spool_directory`` is a spool directory as seen from this process (a
    management command's ``--spooler-dir``): launches write their spool files
    there, also outside uWSGI, and recovery looks only at the tasks spooled
    into it, spooling there those that have no spool file at all. By default
    launches spool through uWSGI, and recovery looks at each task's own spool
    directory (:func:`~taskmanager.execution.uwsgi.recovery.recover_tasks`).
    """

    def __init__(self, spool_directory: str | None = None) -> None:
        self.spool_directory = spool_directory

    def launch(self, task: Task) -> Report | None:
        return rides.launch(task, directory=self.spool_directory)

    def stop(self, task: Task) -> None:
        rides.stop(task)

    def recover(self, *, dry_run: bool = False, foreground: bool = False) -> list[str]:
        actions = recovery.recover_tasks(
            directory=self.spool_directory, dry_run=dry_run, foreground=foreground
        )
        return [str(action) for action in actions]

    def resend_later(
        self, *, report: int | None, handler: str | None, since: datetime.datetime | None
    ) -> str:
        if self.spool_directory is None and not spoolfiles.has_spooler():
            raise LaunchError("this process has no uWSGI spooler: name its spool directory (--spool DIR).")
        path = spoolfiles.spool_resend(
            report=report, handler=handler, since=since, directory=self.spool_directory
        )
        return f"Resend spooled: {path}"
