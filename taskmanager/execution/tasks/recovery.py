"""Recovery without a spool directory: runs whose heartbeat stopped, and the watchdog's state.

A worker killed in a run (``kill -9``, its machine lost, an out-of-memory kill)
leaves the task ``started`` and its report open; nothing in the queue will come
back for it (django-tasks-db leaves its own record of the job ``RUNNING``). Every
run moves its report's heartbeat on while it goes on (:mod:`taskmanager.runs.heartbeat`),
so a report still open whose heartbeat (or start, without one) is older than
``stale_after`` is a dead run: :func:`close_stale_runs` closes it as failed, with a
note, notifies it once (the close is one conditional update: several workers
recovering at once close it once), and the task goes on to its next ride.

Who does it, while the surviving workers keep running:

* the watchdog, a ride of its own on the queue every ``watchdog`` seconds
  (:func:`taskmanager.execution.tasks.jobs.watchdog`); one alive at a time: the
  :class:`~taskmanager.models.Watchdog` row holds the token of the live one
  (:func:`watchdog_rides`), and any enqueue of a ride revives it when it has not
  ridden for three intervals (:func:`revive_watchdog`);
* every worker when it claims a ride (one indexed query when nothing is stale);
* ``manage.py restart_despooled_tasks``, once (:func:`recover`), which also
  enqueues again the rides whose job looks lost.

Nothing here enqueues: the functions return the rides to enqueue (:mod:`.jobs` does).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from taskmanager import scheduling
from taskmanager.conf import TasksOptions
from taskmanager.execution.running import close_and_notify
from taskmanager.execution.tasks import rides
from taskmanager.models import Report, Task, Watchdog
from taskmanager.runs.interrupted import OPEN, open_reports

NOTE_STALE = (
    "[taskmanager] This run was interrupted: its report had no heartbeat since {since} (the worker "
    "running it was killed, or its machine lost) before the command ended. Marked failed {by}."
)
BY_WATCHDOG = "by the watchdog"
BY_WORKER = "by a worker taking a ride"
BY_COMMAND = "by restart_despooled_tasks"
#: A watchdog that has not ridden for this many intervals is taken as dead.
WATCHDOG_LIVES_FOR = 3
_WATCHDOG_ROW = 1


@dataclass
class Recovered:
    """What a recovery did (or would do), a line per task, and the rides to enqueue."""

    lines: list[str] = field(default_factory=list)
    rides: list[rides.Ride] = field(default_factory=list)

    def extend(self, other: Recovered) -> None:
        self.lines += other.lines
        self.rides += other.rides


def _named(task: Task) -> str:
    return f'task {task.pk} "{task.name}"'


def stale_reports(stale_after: float, now: datetime.datetime) -> QuerySet[Report]:
    """The open reports whose heartbeat (or start, without one) is older than ``stale_after`` seconds."""
    cutoff = now - datetime.timedelta(seconds=stale_after)
    stale = Q(heartbeat__lt=cutoff) | Q(heartbeat=None, invocation_datetime__lt=cutoff)
    return Report.objects.filter(OPEN).filter(stale).select_related("task").order_by("pk")


def close_stale_runs(options: TasksOptions, *, by: str, dry_run: bool = False) -> Recovered:
    """Close the runs whose heartbeat stopped as failed (notified once); their tasks go on."""
    done = Recovered()
    for report in stale_reports(options.stale_after, timezone.now()):
        task = report.task
        since = scheduling.shown(report.heartbeat or report.invocation_datetime)
        if dry_run:
            done.lines.append(f"{_named(task)}: its run (report {report.pk}) would be marked failed")
            continue
        if not close_and_notify(report, NOTE_STALE.format(since=since, by=by)):
            continue  # closed meanwhile by another worker, or its run ended
        what, ride = _go_on(task, report)
        done.lines.append(f"{_named(task)}: run of report {report.pk} marked failed (no heartbeat); {what}")
        if ride is not None:
            done.rides.append(ride)
    return done


def _go_on(task: Task, closed: Report) -> tuple[str, rides.Ride | None]:
    """After its dead run was closed: the task's next ride, or idle."""
    task.refresh_from_db()
    if task.status != Task.STATUS_STARTED:
        return "the task waits as it did", None
    if open_reports(task).exclude(pk=closed.pk).exists():
        return "another run of it goes on", None
    token = task.spooler_id
    if rides.is_token(token):
        ride = rides.next_ride(task, replacing=token, after=timezone.now(), anchor=task.cached_next_ride)
        return ("next ride enqueued" if ride else "task idle"), ride
    if token == "":
        # A run in the foreground (runtask), or one stopped while it ran.
        Task.objects.filter(pk=task.pk, spooler_id="", status=Task.STATUS_STARTED).update(
            status=Task.STATUS_IDLE
        )
        return "task idle", None
    return "its uWSGI spool file is left to the uWSGI backend", None


def settle_between_rides(options: TasksOptions, *, dry_run: bool = False) -> Recovered:
    """Tasks left idle with a token: their worker died after the run, before enqueueing the next ride."""
    done = Recovered()
    cutoff = timezone.now() - datetime.timedelta(seconds=options.stale_after)
    left = Task.objects.filter(status=Task.STATUS_IDLE, spooler_id__startswith=rides.TOKEN_PREFIX)
    for task in left.order_by("pk"):
        last = task.last_report
        if last is not None and (last.end_datetime is None or last.end_datetime > cutoff):
            continue  # its worker may be enqueueing the next ride right now
        if dry_run:
            done.lines.append(f"{_named(task)}: its next ride would be enqueued (its last run ended)")
            continue
        ride = rides.next_ride(
            task, replacing=task.spooler_id, after=timezone.now(), anchor=task.cached_next_ride
        )
        done.lines.append(
            f"{_named(task)}: " + ("next ride enqueued" if ride else "task idle") + " (its last run ended)"
        )
        if ride is not None:
            done.rides.append(ride)
    return done


def requeue_lost_rides(options: TasksOptions, *, dry_run: bool = False) -> Recovered:
    """Tasks waiting for a ride more than ``stale_after`` overdue: its job is taken as lost.

    The Tasks framework cannot list a queue, so a lost job is told by its ride's time
    alone: the ride is enqueued again with a new token. A job that was only late
    (every worker busy) then finds its token stale: the ride still runs once.
    """
    done = Recovered()
    cutoff = timezone.now() - datetime.timedelta(seconds=options.stale_after)
    waiting = Task.objects.filter(
        status__in=rides.WAITING, spooler_id__startswith=rides.TOKEN_PREFIX, cached_next_ride__lt=cutoff
    )
    for task in waiting.order_by("pk"):
        overdue = scheduling.shown(task.cached_next_ride) if task.cached_next_ride else "?"
        if dry_run:
            done.lines.append(f"{_named(task)}: its ride of {overdue} would be enqueued again, now")
            continue
        anchor = task.scheduling or task.cached_next_ride
        ride = rides.wait_for(task, None, anchor=anchor, replacing=task.spooler_id)
        if ride is None:
            done.lines.append(f"{_named(task)}: left as it is (changed meanwhile)")
            continue
        done.lines.append(f"{_named(task)}: its ride of {overdue} enqueued again, now (its job looked lost)")
        done.rides.append(ride)
    return done


def move_from_spool_files(*, dry_run: bool = False) -> Recovered:
    """Tasks still waiting for a uWSGI spool file (a project that switched from uWSGI): their
    ride moves onto the queue, at the same time (now when it is past).

    The spool file is left where it is, harmless: a uWSGI job runs only while its file is
    the task's (:func:`taskmanager.execution.uwsgi.rides.claim`), so the ride runs once
    even if a spooler still looks at it.
    """
    done = Recovered()
    waiting = Task.objects.filter(status__in=rides.WAITING).exclude(spooler_id="")
    for task in waiting.exclude(spooler_id__startswith=rides.TOKEN_PREFIX).order_by("pk"):
        when = scheduling.shown(task.cached_next_ride) if task.cached_next_ride else "now"
        if dry_run:
            done.lines.append(
                f"{_named(task)}: its ride of {when} would move from its spool file to the queue"
            )
            continue
        anchor = task.scheduling or task.cached_next_ride
        ride = rides.wait_for(task, task.cached_next_ride, anchor=anchor, replacing=task.spooler_id)
        if ride is None:
            done.lines.append(f"{_named(task)}: left as it is (changed meanwhile)")
            continue
        done.lines.append(f"{_named(task)}: its ride of {when} moved from its uWSGI spool file to the queue")
        done.rides.append(ride)
    return done


def recover(options: TasksOptions, *, dry_run: bool = False) -> Recovered:
    """``restart_despooled_tasks``: dead runs, tasks left between two rides, lost jobs, rides
    still in uWSGI spool files; once."""
    done = close_stale_runs(options, by=BY_COMMAND, dry_run=dry_run)
    done.extend(settle_between_rides(options, dry_run=dry_run))
    done.extend(requeue_lost_rides(options, dry_run=dry_run))
    done.extend(move_from_spool_files(dry_run=dry_run))
    return done


# -- the watchdog's state -------------------------------------------------------------------


def watchdog_rides(token: str) -> bool:
    """Whether the watchdog job of ``token`` is the live one; its ride is recorded if so."""
    return bool(Watchdog.objects.filter(pk=_WATCHDOG_ROW, token=token).update(beat=timezone.now()))


def revive_watchdog(options: TasksOptions) -> str | None:
    """A new watchdog token to enqueue when none has ridden for three intervals; None while one lives.

    One conditional update on the row as it was read: of several processes reviving it
    at once, one wins. The new watchdog has three intervals to ride before it is taken
    as dead in turn; an old one that rides after all finds its token replaced and stops.
    """
    now = timezone.now()
    row, _created = Watchdog.objects.get_or_create(pk=_WATCHDOG_ROW)
    alive_since = now - datetime.timedelta(seconds=WATCHDOG_LIVES_FOR * options.watchdog)
    if row.token and row.beat is not None and row.beat > alive_since:
        return None
    token = f"watchdog:{uuid.uuid4().hex}"
    won = Watchdog.objects.filter(pk=_WATCHDOG_ROW, token=row.token, beat=row.beat).update(
        token=token, beat=now
    )
    return token if won else None
