"""The task entry points: what the admin, ``runtask`` and the spooler call."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taskmanager.models import Report, Task


def exec_command_task(task: Task) -> Report:
    """Run ``task``'s command now, in this process, and return its report.

    See :mod:`taskmanager.runner` for what is captured and how the run is classified.
    """
    # Imported here so that this module loads before Django is set up (uWSGI's spooler).
    from taskmanager.runner import run_task

    return run_task(task)
