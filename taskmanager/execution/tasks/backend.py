"""The Tasks backend: each ride a job on a queue of Django's Tasks framework (``"tasks"``)."""

from __future__ import annotations

import datetime

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from taskmanager import scheduling
from taskmanager.conf import TASKS_SETTING, TasksOptions, tasks_options
from taskmanager.execution.backend import Backend, LaunchError, refuse_if_running
from taskmanager.execution.tasks import jobs, recovery, rides
from taskmanager.execution.tasks.checks import check_tasks_backend
from taskmanager.execution.tasks.compat import InvalidTask, InvalidTaskBackend, task_backends
from taskmanager.models import Report, Task


def _usable_options() -> TasksOptions:
    """``UWSGI_TASKMANAGER_TASKS``, its backend alias in ``TASKS``; else a :class:`LaunchError` saying why."""
    try:
        options = tasks_options()
        task_backends[options.backend]
    except InvalidTaskBackend as exc:
        raise LaunchError(
            f"The Tasks backend {options.backend!r} of {TASKS_SETTING} is not in the TASKS setting ({exc}) "
            "(manage.py check says more)"
        ) from exc
    except ImproperlyConfigured as exc:
        raise LaunchError(f"{exc} (manage.py check says more)") from exc
    return options


class TasksBackend(Backend):
    """Rides enqueued on the ``TASKS`` backend and queue of ``UWSGI_TASKMANAGER_TASKS``.

    A launch never runs the task in the calling process (unless the Tasks backend itself
    runs jobs as they are enqueued: Django's ``ImmediateBackend``); workers run the rides
    (:mod:`.jobs`), each once (:mod:`.rides`), and close the runs of the workers that died
    (:mod:`.recovery`).
    """

    def launch(self, task: Task) -> Report | None:
        refuse_if_running(task)
        options = _usable_options()
        deferring = jobs.can_defer(options)
        now = timezone.now()
        at = scheduling.first_ride(task.scheduling, now)
        if (at > now or task.repetition_period) and not deferring:
            what = f"scheduled for {scheduling.shown(at)}" if at > now else "repeating"
            raise LaunchError(
                f'Task "{task.name}" is {what}, and the Tasks backend "{options.backend}" cannot run a job '
                "later (it does not support deferred runs): use a backend that does, such as "
                "django-tasks-db's DatabaseBackend, or clear the task's scheduling and repetition."
            )
        ride = rides.wait_for(task, at, anchor=task.scheduling or at)
        if ride is None:  # pragma: no cover - without "replacing" the update always applies
            return None
        try:
            jobs.enqueue_ride(ride, options)
        except InvalidTask as exc:
            raise LaunchError(f'Task "{task.name}" could not be enqueued: {exc}') from exc
        return None

    def stop(self, task: Task) -> None:
        rides.stop(task)

    def recover(self, *, dry_run: bool = False, foreground: bool = False) -> list[str]:
        """Close the runs whose heartbeat stopped, settle tasks left between two rides, and enqueue
        again the rides whose job looks lost; ``foreground`` changes nothing (those runs beat too)."""
        options = tasks_options()
        done = recovery.recover(options, dry_run=dry_run)
        if not dry_run:
            try:
                for ride in done.rides:
                    jobs.enqueue_ride(ride, options)
                jobs.ensure_watchdog(options)
            except InvalidTask as exc:  # a queue the backend refuses: a configuration error (E016)
                raise ImproperlyConfigured(f"{TASKS_SETTING}: {exc}") from exc
        return done.lines

    def resend_later(
        self, *, report: int | None, handler: str | None, since: datetime.datetime | None
    ) -> str:
        options = _usable_options()
        try:
            job = jobs.enqueue_resend(report=report, handler=handler, since=since, options=options)
        except InvalidTask as exc:
            raise LaunchError(f"The resend could not be enqueued: {exc} (manage.py check says more)") from exc
        where = f'the queue "{options.queue}" of the Tasks backend "{options.backend}"'
        return f"Resend enqueued on {where} (job {job})."

    @classmethod
    def check(cls) -> list[checks.CheckMessage]:
        return check_tasks_backend()
