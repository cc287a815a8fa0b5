"""What every execution backend offers: launch a task, stop it, recover what a crash left.

An execution backend decides where and when a launched task runs.
``UWSGI_TASKMANAGER_BACKEND`` chooses it (:func:`taskmanager.execution.current.get_backend`):

* ``"uwsgi"``: uWSGI's spooler (:class:`taskmanager.execution.uwsgi.backend.UwsgiBackend`,
  the default; the calling process without a spooler);
* ``"tasks"``: Django's Tasks framework, any of its backends, many workers
  (:class:`taskmanager.execution.tasks.backend.TasksBackend`);
* ``"inline"``: the calling process, now (:class:`taskmanager.execution.inline.InlineBackend`);
* the dotted path of a subclass of :class:`Backend`.

The admin's launch and stop actions (through ``Task.launch()`` and ``Task.stop()``),
the admin's resend of deliveries, ``manage.py restart_despooled_tasks`` and
``resend_notifications --spool`` go through it.

Writing a backend
-----------------

Subclass :class:`Backend` and define its four methods (``check`` is optional).
What they share is the task's state in the database, which the admin shows and
every process reads:

* ``Task.status``: ``idle``; ``scheduled`` (waits for a ride ahead) or
  ``spooled`` (waits for a ride due now); ``started`` while a run goes on (the
  runner sets it, and ``idle`` again at the end);
* ``Task.spooler_id``: what the task waits for (uWSGI's spool file, the Tasks
  backend's token ``tasks:<uuid hex>`` carried by its queued job), "" when it waits
  for nothing. A job runs only while it is still the task's, and takes the task
  with one conditional update (waiting with it -> ``started``): stopping a task or
  launching it again makes older jobs harmless, and two workers running one job
  run it once;
* ``Task.cached_next_ride``: when the ride it waits for is due.

Change them with conditional updates (``Task.objects.filter(pk=..., spooler_id=seen).update(...)``),
never by saving a task you read earlier: web workers and job runners change
them at the same time. Run a task with
:func:`taskmanager.execution.running.exec_command_task` (it stores the report,
then notifies); close a run cut short with
:func:`taskmanager.execution.running.close_and_notify`; compute rides with
:mod:`taskmanager.scheduling`. Every run moves its report's ``heartbeat`` on
(:mod:`taskmanager.runs.heartbeat`): a report left open with an old heartbeat
belongs to a process that died, which is how the Tasks backend's recovery
(:mod:`taskmanager.execution.tasks.recovery`) finds the runs to close. The Tasks
backend (``taskmanager/execution/tasks/``) is the shortest complete example.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, NamedTuple

from taskmanager.models import Task

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

    from taskmanager.models import Report


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


class NextRide(NamedTuple):
    """The next ride of a repeating task: when, and the first ride of its grid."""

    at: datetime.datetime | None
    anchor: datetime.datetime


def next_ride_after(
    task: Task, *, replacing: str, after: datetime.datetime, anchor: datetime.datetime | None
) -> NextRide | None:
    """After a ride that waited for ``replacing`` (a spool file, a token): the task's next ride
    on its grid (:mod:`taskmanager.scheduling`), for the backend to queue.

    None when the task no longer waits for ``replacing`` (stopped, launched again meanwhile:
    that launch decides), and for a task that does not repeat, which is made idle here (only
    while it still waits for ``replacing``).
    """
    task.refresh_from_db()
    if task.spooler_id != replacing:
        return None
    if not task.repetition_period:
        Task.objects.filter(pk=task.pk, spooler_id=replacing).update(
            status=Task.STATUS_IDLE, spooler_id="", cached_next_ride=None
        )
        return None
    anchor = task.scheduling or anchor or after
    return NextRide(task.get_next_ride(after=after, anchor=anchor), anchor)


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

    def resend_later(
        self, *, report: int | None, handler: str | None, since: datetime.datetime | None
    ) -> str:
        """Leave a resend of the failed deliveries matching the filters to where tasks run.

        ``resend_notifications --spool`` calls it and returns at once; the resend itself is
        :func:`taskmanager.notifications.resend.resend` of
        :func:`~taskmanager.notifications.resend.resendable` with these filters. Returns a
        line saying where it went. A backend that cannot leave work for later raises
        :class:`LaunchError` saying so.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must define resend_later(report=, handler=, since=)"
        )

    @classmethod
    def check(cls) -> list[CheckMessage]:
        """What ``manage.py check`` says of this backend's settings (the one method with a default: none)."""
        return []
