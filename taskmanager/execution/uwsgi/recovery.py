"""Put right the tasks that a dead spooler or a lost spool directory left behind.

Two things go wrong when uWSGI goes away without warning (a deploy, a killed
container, an out-of-memory kill):

* the spool files are lost (a spool directory that was not on a volume): the
  tasks still say ``spooled`` or ``scheduled`` but nothing will run them. They
  are spooled again: at their ride when it is still ahead, else at once (the
  ride was missed), then on their grid as before;
* a run is cut short: the task says ``started`` and its report never ends. The
  report is closed as ``failed`` with a note at the end of its log (and its
  notifications are sent), and the task goes on: spooled for its next ride if
  it repeats, else idle. An interrupted run is never started again by itself:
  a command that was halfway through sending invoices should not start over
  unasked.

:func:`recover_tasks` does both; ``manage.py restart_despooled_tasks`` (through
:meth:`UwsgiBackend.recover <taskmanager.execution.uwsgi.backend.UwsgiBackend.recover>`)
and each spooler process at its start (see :mod:`taskmanager.spooler`) call it.
A job whose file comes back after its spooler died in the run closes that run
the same way (:func:`interrupted_report`, :func:`close_cut_short`). Every
change is conditional on the state it was decided from, so several spoolers
starting together, or a command run meanwhile, do each thing once; the next
ride is always spooled by :func:`taskmanager.execution.uwsgi.rides.spool_next_ride`.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from taskmanager import scheduling
from taskmanager.execution.running import close_and_notify
from taskmanager.execution.uwsgi import rides, spoolfiles
from taskmanager.models import Report, Task
from taskmanager.runs.interrupted import NOTE_FOREGROUND, NOTE_INTERRUPTED, open_reports

BY_COMMAND = "by restart_despooled_tasks"
BY_SPOOLER = "by the spooler when it started again"
# A run that started this long before its ride was not started by the spooler for it.
_CLOCK_SLACK = datetime.timedelta(seconds=1)


@dataclass(frozen=True)
class Action:
    """What recovery did (or, in a dry run, would do) to one task."""

    task: Task
    what: str
    detail: str = ""

    def __str__(self) -> str:
        return f'task {self.task.pk} "{self.task.name}": {self.what}' + (
            f" ({self.detail})" if self.detail else ""
        )


def _last_open_report(task: Task) -> Report | None:
    return open_reports(task).first()


def run_of_ride(task: Task, ride: datetime.datetime) -> Report | None:
    """The report of the run that ``ride`` started, open or closed: the newest one begun at or after it.

    A ride is due once (:func:`~taskmanager.execution.uwsgi.rides.ride_ran`): once this
    exists, the ride's spool file never starts the command again, even while the run
    it began is being closed as interrupted by another process.
    """
    return (
        task.report_set.filter(invocation_datetime__gte=ride - _CLOCK_SLACK)
        .order_by("-invocation_datetime", "-id")
        .first()
    )


def interrupted_report(task: Task) -> Report | None:
    """The task's report left open by a spooled run that died, if there is one.

    Only a run not ended (:data:`taskmanager.runs.interrupted.OPEN`): a finished report,
    also one of 2.x without an end, is never touched. A report that began before the
    ride the task waits for belongs to a run started by hand (runtask) while the ride
    waited; that run may well be going on.
    """
    report = _last_open_report(task)
    if report is None:
        return None
    ride = task.cached_next_ride
    if ride is not None and report.invocation_datetime < ride - _CLOCK_SLACK:
        return None
    return report


def close_cut_short(report: Report, by: str) -> bool:
    """Close a run its spooler died in: failed, notified, its note saying ``by`` whom.

    False when someone else closed it first (then they go on with the task).
    """
    return close_and_notify(report, NOTE_INTERRUPTED.format(by=by))


def _respool(task: Task, where: str | None, dry_run: bool, why: str) -> Action:
    """Spool again the ride a task waits for, into ``where`` (None: through uWSGI)."""
    now = timezone.now()
    # The ride it waited for when still ahead, else now: that ride was missed.
    ride = scheduling.first_ride(task.cached_next_ride, now)
    when = "now" if ride == now else f"at {scheduling.shown(ride)}"
    if dry_run:
        return Action(task, f"would be spooled again, {when}", why)
    path = rides.spool(
        task,
        ride,
        anchor=task.scheduling or task.cached_next_ride,
        directory=where,
        replacing=task.spooler_id,
    )
    if path is None:
        return Action(task, "left as it is", "changed meanwhile")
    return Action(task, f"spooled again, {when}", why)


def _anchor_from(path: str) -> datetime.datetime | None:
    """The grid's anchor a spool file carries, if the file is still there and readable."""
    try:
        anchor = spoolfiles.read_spool_file(path).get("anchor")
    except (OSError, ValueError):
        return None
    return parse_datetime(anchor) if anchor else None


def _recover_started(task: Task, where: str | None, dry_run: bool, by: str) -> Action:
    """A task still ``started`` whose spool file no spooler runs: its run died with its spooler."""
    path = task.spooler_id
    report = interrupted_report(task)
    if report is None and _last_open_report(task) is not None:
        # Started by hand (runtask) while its ride waited; that run may well go on.
        if os.path.exists(path):
            return Action(task, "left as it is", "a run started by hand is going on")
        return _respool(task, where, dry_run, "its spool file is lost; a run started by hand is going on")
    detail = "was lost" if not os.path.exists(path) else "was left behind"
    # No run left open: closed by another process meanwhile, or a task 2.x left started
    # (its finished reports are never touched).
    what = "interrupted run marked failed" if report is not None else "no run left open"
    if dry_run:
        would = "its interrupted run would be marked failed" if report is not None else "would go on"
        return Action(task, would, f"its spool file {detail}")
    if report is not None and not close_cut_short(report, by):
        return Action(task, "left as it is", "closed meanwhile")
    repeats = bool(task.repetition_period)
    anchor = _anchor_from(path) or task.cached_next_ride
    new = rides.spool_next_ride(task, replacing=path, after=timezone.now(), anchor=anchor, directory=where)
    # Never run again: a command halfway through its work should not start over unasked.
    spoolfiles.discard_spool_file(path)
    if not repeats:
        return Action(task, f"{what}; task idle", f"its spool file {detail}")
    if new:
        return Action(task, f"{what}; next ride spooled", f"its spool file {detail}")
    return Action(task, what, "changed meanwhile")


def _settle(task: Task, where: str | None, dry_run: bool) -> Action:
    """A task whose ride ran, but whose spooler stopped before spooling the next one."""
    why = "its last ride ran; its spool file was lost"
    if dry_run:
        return Action(
            task, "its next ride would be spooled" if task.repetition_period else "would be idle", why
        )
    path = task.spooler_id
    new = rides.spool_next_ride(
        task, replacing=path, after=timezone.now(), anchor=task.cached_next_ride, directory=where
    )
    if new:
        return Action(task, "next ride spooled", why)
    return Action(task, "idle", why)


def _recover_foreground(task: Task, dry_run: bool) -> Action:
    """A task ``started`` by a run in the foreground (no spool file); only with ``--foreground``."""
    if dry_run:
        return Action(task, "its run would be marked failed", "started in the foreground")
    report = _last_open_report(task)
    if report is not None:
        close_and_notify(report, NOTE_FOREGROUND)
    Task.objects.filter(pk=task.pk, spooler_id="", status=Task.STATUS_STARTED).update(status=Task.STATUS_IDLE)
    return Action(task, "run marked failed; task idle", "started in the foreground")


def recover_tasks(
    *, directory: str | None = None, dry_run: bool = False, foreground: bool = False, by: str = BY_COMMAND
) -> list[Action]:
    """Re-spool the tasks whose spool file is lost; close the runs a dead spooler left open.

    Which tasks it looks at:

    * in a uWSGI spooler (at its start): those spooled into this instance's
      spool directories;
    * with ``directory``: those spooled into it, and those with no spool file
      at all (a launch that died halfway), spooled into it;
    * otherwise: every task whose spool directory exists here, each spooled
      again into its own directory.

    Runs started in the foreground (runtask, a launch without spooler) are
    left alone unless ``foreground``: nothing here can tell whether their
    process still runs.
    """
    inside = spoolfiles.has_spooler()
    if directory is not None:
        ours: list[str] | None = [os.path.realpath(directory)]
    elif inside:
        ours = [os.path.realpath(path) for path in spoolfiles.spooler_directories()]
    else:
        ours = None
    actions = []
    waiting = Q(status__in=(Task.STATUS_SPOOLED, Task.STATUS_SCHEDULED, Task.STATUS_STARTED))
    # Idle with a spool file: the spooler stopped between a run and spooling the next ride.
    left_between_rides = Q(status=Task.STATUS_IDLE) & ~Q(spooler_id="")
    tasks = Task.objects.filter(waiting | left_between_rides).order_by("pk")
    for task in tasks:
        path = task.spooler_id
        if not path:
            if task.status == Task.STATUS_STARTED:
                if foreground:
                    actions.append(_recover_foreground(task, dry_run))
                elif not inside:
                    actions.append(
                        Action(task, "left as it is", "started in the foreground (see --foreground)")
                    )
            elif directory is not None:
                actions.append(_respool(task, directory, dry_run, "it had no spool file"))
            elif not inside:
                actions.append(Action(task, "left as it is", "it has no spool file (see --spooler-dir)"))
            continue
        folder = os.path.realpath(os.path.dirname(path))
        if ours is not None and folder not in ours:
            continue  # another spooler's
        if ours is None and not os.path.isdir(folder):
            # Likely mounted elsewhere: spooling it again here would run it twice.
            actions.append(Action(task, "left as it is", f"{folder} does not exist here"))
            continue
        if spoolfiles.is_running(path):
            continue
        where = None if inside and directory is None else directory or folder
        if task.status == Task.STATUS_STARTED:
            actions.append(_recover_started(task, where, dry_run, by))
        elif os.path.exists(path):
            continue  # the spooler will run it, or see that its ride ran
        elif rides.ride_ran(task, task.cached_next_ride) or task.status == Task.STATUS_IDLE:
            actions.append(_settle(task, where, dry_run))
        else:
            actions.append(_respool(task, where, dry_run, "its spool file was lost"))
    return actions
