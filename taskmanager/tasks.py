"""``exec_command_task``: run a task now, in this process, as ``runtask`` and the spooler do."""

from __future__ import annotations

from taskmanager.execution.running import exec_command_task

__all__ = ["exec_command_task"]
