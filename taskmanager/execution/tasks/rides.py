"""A task's rides on a Tasks queue, as the database sees them: tokens, claims, the next ride.

A ride is one run of a task at a given moment, waiting as a job in the queue of
Django's Tasks framework. What keeps each ride to one run, however many workers
on however many machines pick up jobs:

* a ride carries a token, ``Task.spooler_id = "tasks:<uuid hex>"``, set on the task
  when the ride is enqueued; its job runs only while that token is still the task's,
  and takes the task with one conditional ``UPDATE`` (:func:`claim`: waiting with
  this token -> ``started``): of two workers running the same job, one wins;
* Stop sets ``spooler_id`` to "" and a new Launch sets a new token, so a job already
  in the queue finds its token stale and exits without running;
* the next ride of a repeating task is decided only by whoever holds the token of
  the ride before (:func:`next_ride`: a conditional update on that token), on the
  anchored grid of :mod:`taskmanager.scheduling`; a ride whose time passed while no
  worker was up runs once, late, and the next one is the next to come (missed
  rides are not replayed).

Nothing here enqueues: the functions return the :class:`Ride` to enqueue, and
:mod:`.jobs` enqueues it (it holds the task functions the jobs name).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.utils import timezone

from taskmanager import scheduling
from taskmanager.execution.backend import next_ride_after
from taskmanager.models import Task

TOKEN_PREFIX = "tasks:"
WAITING = (Task.STATUS_SPOOLED, Task.STATUS_SCHEDULED)


@dataclass(frozen=True)
class Ride:
    """A ride to enqueue: the job's arguments."""

    task_id: int
    token: str
    at: datetime.datetime
    #: The first ride of the task's grid (its scheduling, else its first ride).
    anchor: datetime.datetime

    def job_args(self) -> tuple[int, str, str, str]:
        """``run_ride``'s arguments: JSON only (task id, token, ride and anchor in ISO 8601)."""
        return (self.task_id, self.token, self.at.isoformat(), self.anchor.isoformat())


def new_token() -> str:
    return f"{TOKEN_PREFIX}{uuid.uuid4().hex}"


def is_token(value: str) -> bool:
    """Whether ``spooler_id`` is a Tasks ride's token (not a uWSGI spool file, not "")."""
    return value.startswith(TOKEN_PREFIX)


def wait_for(
    task: Task,
    at: datetime.datetime | None,
    *,
    anchor: datetime.datetime | None = None,
    replacing: str | None = None,
) -> Ride | None:
    """Make ``task`` wait for a new ride at ``at`` (now when None or past); the ride to enqueue.

    The task becomes ``scheduled`` (or ``spooled`` when due now) with a new token and
    ``cached_next_ride``. With ``replacing``, only while the task still has that token
    (None when someone else changed it meanwhile); without, whatever it waited for.
    """
    now = timezone.now()
    ride = scheduling.first_ride(at, now)
    status = Task.STATUS_SCHEDULED if ride > now else Task.STATUS_SPOOLED
    token = new_token()
    current = Task.objects.filter(pk=task.pk)
    if replacing is not None:
        current = current.filter(spooler_id=replacing)
    if not current.update(status=status, spooler_id=token, cached_next_ride=ride):
        return None
    task.status, task.spooler_id, task.cached_next_ride = status, token, ride
    return Ride(task.pk, token, ride, anchor or task.scheduling or ride)


def give_up(ride: Ride) -> None:
    """The ride could not be enqueued: the task waits for nothing (unless changed meanwhile)."""
    Task.objects.filter(pk=ride.task_id, spooler_id=ride.token, status__in=WAITING).update(
        status=Task.STATUS_IDLE, spooler_id="", cached_next_ride=None
    )


def claim(task_id: int, token: str) -> bool:
    """Take the task for the ride of ``token``: True at most once per token, in one ``UPDATE``.

    Only from waiting (``spooled`` or ``scheduled``) with this very token: a task
    stopped, launched again, already started by this ride (a worker ran its job
    twice) or moved on by a recovery is not taken.
    """
    return bool(
        Task.objects.filter(pk=task_id, spooler_id=token, status__in=WAITING).update(
            status=Task.STATUS_STARTED
        )
    )


def why_not_claimed(task_id: int, token: str) -> str:
    """Why :func:`claim` did not take the task, for the log."""
    task = Task.objects.filter(pk=task_id).only("status", "spooler_id").first()
    if task is None:
        return "the task is gone"
    if task.spooler_id == "":
        return "the task waits for no ride (it was stopped, or this ride ran already)"
    if task.spooler_id != token:
        return "another ride replaced this one (the task was launched again, or this ride ran already)"
    if task.status == Task.STATUS_STARTED:
        return "the task is started: another worker took this ride, or a run by hand (runtask) goes on"
    return f"the task is {task.status}: another worker took this ride"


def held_by_a_run(task_id: int, token: str) -> bool:
    """Whether the task still waits for the ride of ``token`` but a run of it goes on.

    Either another worker took this very ride (then its run moves the token on when it
    ends) or a run by hand (``runtask``) began while the ride waited (then the task
    waits for the ride again when that run ends): the ride is tried again later, and
    the claim keeps it to one run either way.
    """
    return Task.objects.filter(pk=task_id, spooler_id=token, status=Task.STATUS_STARTED).exists()


def next_ride(
    task: Task, *, replacing: str, after: datetime.datetime, anchor: datetime.datetime | None
) -> Ride | None:
    """After a ride: the next ride of a repeating task to enqueue, else the task made idle.

    Only while the task still has the token ``replacing`` (not stopped, not launched
    again meanwhile); None otherwise, and for a task that does not repeat.
    """
    following = next_ride_after(task, replacing=replacing, after=after, anchor=anchor)
    if following is None:
        return None
    return wait_for(task, following.at, anchor=following.anchor, replacing=replacing)


def stop(task: Task) -> None:
    """The task waits for nothing: any job in the queue finds its token stale.

    A run going on keeps ``started`` and ends with its report; no ride follows it.
    """
    # Two conditional updates, not a read then a write: a worker may claim it meanwhile.
    waiting = Task.objects.filter(pk=task.pk).exclude(status=Task.STATUS_STARTED)
    if waiting.update(status=Task.STATUS_IDLE, spooler_id="", cached_next_ride=None):
        status = Task.STATUS_IDLE
    else:
        Task.objects.filter(pk=task.pk).update(spooler_id="", cached_next_ride=None)
        status = Task.STATUS_STARTED
    task.status, task.spooler_id, task.cached_next_ride = status, "", None
