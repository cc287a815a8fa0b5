"""A task's rides on uWSGI's spooler: spool one, launch, stop, and the next ride after a run.

A ride is one run of a task at a given moment, waiting in a spool file until
it is due. The rules every function here keeps:

* ``Task.spooler_id`` is the spool file the task waits for. A job runs only
  while its file is still the task's and the task waits for it, and takes it
  (``started``) in the same update (:func:`claim`), so stopping a task,
  launching it again or a recovery makes older files harmless, and a file's
  ride starts the command at most once;
* several web workers and spooler processes change a task's ``status``,
  ``spooler_id`` and ``cached_next_ride`` at once: what the spooler and a
  recovery change is a conditional update on the state it was decided from
  (``filter(spooler_id=seen).update(...)``); a launch or a stop, asked for by
  someone, wins over it;
* while :func:`spool` writes a file the task's ``spooler_id`` is "": a job that
  starts before the path is recorded records it itself (:func:`claim`);
* a ride is due once: a run that started at or after it covered it
  (:func:`ride_ran`); missed rides are not replayed (:mod:`taskmanager.scheduling`);
* a repeating task's next ride is spooled by :func:`spool_next_ride` only,
  after a run, a run cut short, or a ride found already run.
"""

from __future__ import annotations

import datetime
import logging
import os

from django.utils import timezone

from taskmanager import scheduling
from taskmanager.execution.backend import LaunchError, next_ride_after, refuse_if_running
from taskmanager.execution.running import exec_command_task
from taskmanager.execution.uwsgi.spoolfiles import (
    JOB_TASK,
    discard_spool_file,
    has_spooler,
    is_running,
    spool_job,
    spooler_directories,
)
from taskmanager.models import Report, Task

logger = logging.getLogger("taskmanager.spooler")


def spool(
    task: Task,
    at: datetime.datetime | None = None,
    *,
    anchor: datetime.datetime | None = None,
    directory: str | None = None,
    replacing: str | None = None,
) -> str | None:
    """Spool a run of ``task`` at ``at`` (now when None or past); returns the spool file's path.

    The task becomes ``scheduled`` (or ``spooled`` when due now) with
    ``cached_next_ride`` set. ``anchor`` is the start of a repeating task's
    grid (default: its scheduling, else this ride). With ``replacing``, only a
    task still waiting for that spool file is spooled (None is returned when
    someone else changed it meanwhile).
    """
    now = timezone.now()
    ride = scheduling.first_ride(at, now)
    status = Task.STATUS_SCHEDULED if ride > now else Task.STATUS_SPOOLED
    current = Task.objects.filter(pk=task.pk)
    if replacing is not None:
        current = current.filter(spooler_id=replacing)
    # spooler_id "" while the file is written: a job that starts before the
    # path is recorded claims the task itself (see claim).
    if not current.update(status=status, spooler_id="", cached_next_ride=ride):
        return None
    args = {
        "job": JOB_TASK,
        "task": str(task.pk),
        "ride": ride.isoformat(),
        "anchor": (anchor or task.scheduling or ride).isoformat(),
    }
    try:
        path = spool_job(args, at=scheduling.spool_at(ride, now), directory=directory)
    except Exception:
        Task.objects.filter(pk=task.pk, spooler_id="", status=status).update(
            status=Task.STATUS_IDLE, cached_next_ride=None
        )
        raise
    # Unless stopped meanwhile, or the job already claimed it.
    Task.objects.filter(pk=task.pk, spooler_id="", status=status).update(spooler_id=path)
    task.status, task.spooler_id, task.cached_next_ride = status, path, ride
    return path


def launch(task: Task, *, directory: str | None = None) -> Report | None:
    """Launch ``task``: on the spooler when there is one, else now in this process.

    On the spooler the task runs at its scheduling when that is ahead, else at
    once, then every repetition period; any ride it was waiting for is
    replaced. With ``directory`` (a spool directory as seen from here) the
    spool file is written there, also outside uWSGI. Returns the report when
    the task ran here, None when spooled.
    """
    refuse_if_running(task)
    now = timezone.now()
    ride = scheduling.first_ride(task.scheduling, now)
    if directory is None and not has_spooler():
        if ride > now:
            raise LaunchError(
                f'Task "{task.name}" is scheduled for {scheduling.shown(ride)}: '
                "scheduled and repeating tasks run on uWSGI's spooler, and this process has none "
                "(see the docs' page on uWSGI). Clear its scheduling to run it now, here."
            )
        if task.repetition_period:
            logger.warning("Task %s repeats, but without a uWSGI spooler it runs once, now.", task.pk)
        return exec_command_task(task)
    discard_spool_file(task.spooler_id)
    spool(task, ride, anchor=task.scheduling or ride, directory=directory)
    return None


def stop(task: Task) -> None:
    """Cancel what ``task`` waits for: its spool file is deleted and the task is idle.

    A run in progress goes on to its report (a command cannot be stopped
    halfway safely) and the task is not spooled again after it.
    """
    task.refresh_from_db(fields=["status", "spooler_id"])
    path = task.spooler_id
    running = task.status == Task.STATUS_STARTED and bool(path) and is_running(path)
    status = Task.STATUS_STARTED if running else Task.STATUS_IDLE
    Task.objects.filter(pk=task.pk).update(status=status, spooler_id="", cached_next_ride=None)
    discard_spool_file(path)
    task.status, task.spooler_id, task.cached_next_ride = status, "", None


def ride_ran(task: Task, ride: datetime.datetime | None) -> bool:
    """Whether a run started at or after ``ride``: a ride is due once, and that run covered it."""
    last = task.cached_last_invocation_datetime
    return last is not None and ride is not None and last >= ride


def spool_next_ride(
    task: Task,
    *,
    replacing: str,
    after: datetime.datetime,
    anchor: datetime.datetime | None,
    directory: str | None = None,
) -> str | None:
    """After a ride: spool the next one of a repeating task, else make it idle.

    Only while the task still waits for ``replacing`` (not stopped, not
    launched again meanwhile). Returns the new spool file's path, if any.
    Outside uWSGI the file goes to ``directory``, by default that of ``replacing``.
    """
    following = next_ride_after(task, replacing=replacing, after=after, anchor=anchor)
    if following is None:
        return None
    if directory is None and not has_spooler():
        directory = os.path.dirname(replacing)
    return spool(task, following.at, anchor=following.anchor, directory=directory, replacing=replacing)


def _own_path(name: str) -> str:
    """Spool file ``name``'s path: in one of this instance's spool directories, else where the job runs."""
    for directory in spooler_directories():
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    return os.path.join(os.getcwd(), name)


def claim(task_id: int, name: str, ride: datetime.datetime) -> bool:
    """Take the task for the ride of spool file ``name``: True at most once per ride.

    One conditional update, from waiting (``spooled`` or ``scheduled``) for this
    file to ``started``: a task stopped, launched again, already started by this
    file (its spooler died in the run) or moved on by a recovery is not taken, so
    a file is never run twice, however many spooler processes look at it.

    A job can start before its launch recorded the file's path (``spooler_id``
    is "" meanwhile): it records it, if the task waits for this very ride. Tried
    second: a launch only ever goes from "" to the path, so once the first
    update finds no "" the path is there, unless the task was stopped.
    """
    waiting = (Task.STATUS_SPOOLED, Task.STATUS_SCHEDULED)
    if Task.objects.filter(pk=task_id, spooler_id__endswith=f"/{name}", status__in=waiting).update(
        status=Task.STATUS_STARTED
    ):
        return True
    being_recorded = Task.objects.filter(pk=task_id, spooler_id="", status__in=waiting, cached_next_ride=ride)
    return bool(being_recorded.update(spooler_id=_own_path(name), status=Task.STATUS_STARTED))
