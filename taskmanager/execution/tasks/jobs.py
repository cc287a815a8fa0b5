"""The task functions our jobs run on the workers, and enqueueing them.

Two task functions of Django's Tasks framework, on the backend and queue of
``UWSGI_TASKMANAGER_TASKS``:

* :func:`run_ride` (arguments: the task's id, the ride's token, the ride's and the
  grid anchor's times in ISO 8601): claims the task for the ride
  (:func:`~taskmanager.execution.tasks.rides.claim`), runs it through
  :mod:`taskmanager.execution.running` (report saved, notifications sent) and
  enqueues the next ride of a repeating task. A stale token (stopped, launched
  again) or a lost race is logged at INFO on ``taskmanager.tasks`` and nothing runs;
  a ride whose task is running (another worker's run of it, or a ``runtask``) is
  enqueued again ``watchdog`` seconds later, until it runs or its token is stale;
* :func:`watchdog` (argument: its token): closes the runs whose heartbeat stopped
  and enqueues itself again every ``watchdog`` seconds, while its token is the live one.

Enqueueing waits for the transaction of the caller to commit (a worker on another
engine than the database must not find the task before its token is there).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from taskmanager.conf import TasksOptions, tasks_options
from taskmanager.execution.running import resend_failed_deliveries, run_and_notify
from taskmanager.execution.tasks import recovery, rides
from taskmanager.execution.tasks.compat import (
    DEFAULT_TASK_BACKEND_ALIAS,
    WORKER_LOGGERS,
    InvalidTask,
    InvalidTaskBackend,
    task,
    task_backends,
)
from taskmanager.execution.tasks.compat import Task as TasksTask
from taskmanager.models import Task
from taskmanager.runs.runner import start_run

logger = logging.getLogger("taskmanager.tasks")
P = ParamSpec("P")
T = TypeVar("T")


def _options() -> TasksOptions:
    try:
        return tasks_options()
    except ImproperlyConfigured:
        # manage.py check says what is wrong; a worker goes on with the defaults meanwhile.
        return TasksOptions()


def can_defer(options: TasksOptions) -> bool:
    """Whether the Tasks backend can run a job later (``supports_defer``)."""
    return bool(task_backends[options.backend].supports_defer)


def _enqueue(job: TasksTask, args: tuple[object, ...], at: datetime.datetime, options: TasksOptions) -> None:
    run_after = at if at > timezone.now() else None
    job.using(backend=options.backend, queue_name=options.queue, run_after=run_after).enqueue(*args)


def enqueue_ride(ride: rides.Ride, options: TasksOptions) -> None:
    """Enqueue ``ride`` once the caller's transaction commits (at once outside one).

    When that fails the task waits for nothing (:func:`~.rides.give_up`) and the error
    goes on up. The watchdog is revived if it looks dead.
    """

    def enqueue() -> None:
        try:
            _enqueue(run_ride, ride.job_args(), ride.at, options)
        except Exception:
            rides.give_up(ride)
            raise
        ensure_watchdog(options)

    transaction.on_commit(enqueue)


def ensure_watchdog(options: TasksOptions) -> None:
    """Enqueue a new watchdog when none has ridden for three intervals (and the backend can defer)."""
    if not can_defer(options):
        return
    token = recovery.revive_watchdog(options)
    if token is not None:
        logger.info("Watchdog %s enqueued (none was alive).", token)
        _enqueue(watchdog, (token,), timezone.now(), options)


def enqueue_recovered(done: recovery.Recovered, options: TasksOptions) -> None:
    for line in done.lines:
        logger.warning("Recovered %s", line)
    for ride in done.rides:
        enqueue_ride(ride, options)


def _moment(value: str | None) -> datetime.datetime | None:
    return parse_datetime(value) if value else None


def _job(function: Callable[P, T]) -> TasksTask[P, T]:
    """``function`` as a task function of the Tasks framework.

    Made for the configured backend and queue; every enqueue names them again (the
    settings may change after this import, in tests), and that is where a wrong backend
    or queue is refused (``manage.py check`` says so first). So that this module imports
    whatever the settings, the task is made for the first of those that the framework
    accepts (it checks a task when it is made). A job names its function by its dotted
    path: these names are part of the queue's data, keep them.
    """
    options = _options()
    aliases = dict.fromkeys([options.backend, DEFAULT_TASK_BACKEND_ALIAS])
    for alias in aliases:
        try:
            allowed = sorted(task_backends[alias].queues)
        except InvalidTaskBackend:
            continue
        for queue in dict.fromkeys([options.queue, *allowed]):
            try:
                return task(backend=alias, queue_name=queue)(function)
            except InvalidTask:
                continue
    return task(function)


@_job
def run_ride(task_id: int, token: str, at: str, anchor: str | None = None) -> int | None:
    """A ride of a task (see the module's docstring); returns its report's id, None when not run."""
    options = _options()
    # The cheap check at every claim: one indexed query when no run is stale.
    enqueue_recovered(recovery.close_stale_runs(options, by=recovery.BY_WORKER), options)
    with transaction.atomic():
        # Taken and started together: a worker dying in between leaves neither done.
        if not rides.claim(task_id, token):
            why = rides.why_not_claimed(task_id, token)
            if rides.held_by_a_run(task_id, token) and can_defer(options):
                # Dropped here, a ride due during a runtask would be lost, and the task with it.
                later = timezone.now() + datetime.timedelta(seconds=options.watchdog)
                logger.info(
                    "Ride %s of task %s waits: %s; tried again in %gs.", token, task_id, why, options.watchdog
                )
                args = (task_id, token, at, anchor)
                transaction.on_commit(lambda: _enqueue(run_ride, args, later, options))
                return None
            logger.info("Ride %s of task %s not run: %s.", token, task_id, why)
            return None
        taken = Task.objects.select_related("command").get(pk=task_id)
        started = start_run(taken)
    when = _moment(at) or timezone.now()
    try:
        report = run_and_notify(taken, report=started, foreign_loggers=WORKER_LOGGERS)
    finally:
        # Also when the worker is told to stop in the run: the report is saved, the task goes on.
        following = rides.next_ride(
            taken, replacing=token, after=max(timezone.now(), when), anchor=_moment(anchor)
        )
        if following is not None:
            enqueue_ride(following, options)
    return report.pk


@_job
def watchdog(token: str) -> int:
    """The watchdog's ride: recover, then ride again in ``watchdog`` seconds; returns the runs closed."""
    options = _options()
    if not recovery.watchdog_rides(token):
        logger.info("Watchdog %s stops: another one is alive.", token)
        return 0
    done = recovery.close_stale_runs(options, by=recovery.BY_WATCHDOG)
    done.extend(recovery.settle_between_rides(options))
    enqueue_recovered(done, options)
    _enqueue(watchdog, (token,), timezone.now() + datetime.timedelta(seconds=options.watchdog), options)
    return len(done.lines)


@_job
def resend_failed(report: int | None, handler: str | None, since: str | None) -> int:
    """``resend_notifications --spool`` on the Tasks backend: resend now; returns how many were sent."""
    sent, tried = resend_failed_deliveries(report=report, handler=handler, since=_moment(since))
    logger.info("Resent %d of %d failed deliveries.", sent, tried)
    return sent


def enqueue_resend(
    *, report: int | None, handler: str | None, since: datetime.datetime | None, options: TasksOptions
) -> str:
    """Enqueue :func:`resend_failed` now (no transaction need commit first); its job's id."""
    job = resend_failed.using(backend=options.backend, queue_name=options.queue)
    return str(job.enqueue(report, handler, since.isoformat() if since else None).id)
