"""What every execution backend offers: launch a task, stop it, recover what a crash left."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taskmanager.models import Report, Task


class LaunchError(Exception):
    """A task cannot be launched now; the message says why and what to do."""


class Backend:
    """Where tasks run. A backend decides when and in which process a launched task runs.

    ``launch`` runs the task (now or later, here or elsewhere) and returns its
    report when it ran in the calling process, else None; ``stop`` cancels what
    the task waits for; ``recover`` puts right what a crash left behind and
    returns a line per thing it did.
    """

    def launch(self, task: Task) -> Report | None:
        raise NotImplementedError(f"{type(self).__name__} must define launch(task)")

    def stop(self, task: Task) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define stop(task)")

    def recover(self, *, dry_run: bool = False) -> list[str]:
        return []
