"""What every execution backend offers: launch a task, stop it, recover what a crash left.

An execution backend decides where and when a launched task runs: on uWSGI's
spooler (:class:`taskmanager.execution.uwsgi.backend.UwsgiBackend`, the one in
use, see :func:`taskmanager.execution.current.get_backend`), in the calling
process, or on a queue such as Django's Tasks framework. The admin's launch and
stop actions (through ``Task.launch()`` and ``Task.stop()``) and
``manage.py restart_despooled_tasks`` go through it.

Writing a backend
-----------------

Subclass :class:`Backend` and define its three methods. What they share is the
task's state in the database, which the admin shows and every process reads:

* ``Task.status``: ``idle``; ``scheduled`` (waits for a ride ahead) or
  ``spooled`` (waits for a ride due now); ``started`` while a run goes on (the
  runner sets it, and ``idle`` again at the end);
* ``Task.spooler_id``: what the task waits for (uWSGI's spool file, a queued
  job's id), "" when it waits for nothing. A job runs only while it is still the
  task's: stopping a task or launching it again makes older jobs harmless;
* ``Task.cached_next_ride``: when the ride it waits for is due.

Change them with conditional updates (``Task.objects.filter(pk=..., spooler_id=seen).update(...)``),
never by saving a task you read earlier: web workers and job runners change
them at the same time. Run a task with
:func:`taskmanager.execution.running.exec_command_task` (it stores the report,
then notifies); close a run cut short with
:func:`taskmanager.execution.running.close_and_notify`; compute rides with
:mod:`taskmanager.scheduling`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taskmanager.models import Report, Task


class LaunchError(Exception):
    """A task cannot be launched now; the message says why and what to do (the admin shows it)."""


def refuse_if_running(task: Task) -> None:
    """Raise :class:`LaunchError` when ``task`` is running: a launch waits for its report."""
    task.refresh_from_db(fields=["status", "spooler_id"])
    if task.status == task.STATUS_STARTED:
        raise LaunchError(
            f'Task "{task.name}" is running. Wait for its report, or stop it first if its run was '
            "interrupted (restart_despooled_tasks closes such runs)."
        )


class Backend:
    """Where tasks run. Every method must be defined by a backend; none has a default."""

    def launch(self, task: Task) -> Report | None:
        """Run ``task``: at its scheduling when that is ahead, else now; then every repetition period.

        Returns the report when the task ran in the calling process, before
        returning; None when it was queued to run elsewhere or later. Any ride
        the task was waiting for is replaced. Raises :class:`LaunchError` when
        the task cannot be launched now (it is running, say).
        """
        raise NotImplementedError(f"{type(self).__name__} must define launch(task)")

    def stop(self, task: Task) -> None:
        """Cancel what ``task`` waits for; the task becomes idle.

        A run going on is not cut short (a command cannot be stopped halfway
        safely): it ends with its report, and the task is not run again after it.
        """
        raise NotImplementedError(f"{type(self).__name__} must define stop(task)")

    def recover(self, *, dry_run: bool = False, foreground: bool = False) -> list[str]:
        """Put right what a crash left behind; returns one line per task it changed.

        Tasks waiting for a job that is lost are given it again; runs left
        ``started`` by a process that died are closed as failed (with a note,
        notified) and their task goes on to its next ride, never starting the
        run over. Runs started in the foreground (``runtask``) are closed only
        with ``foreground``: nothing here can tell whether their process still
        runs. With ``dry_run`` nothing changes and the lines say what would be
        done. Safe to run while tasks run, and from several processes at once.
        """
        raise NotImplementedError(f"{type(self).__name__} must define recover(dry_run=, foreground=)")
