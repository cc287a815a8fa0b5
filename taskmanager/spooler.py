"""Run tasks on uWSGI's spooler when this process has one, in this process otherwise.

Under uWSGI with a spooler (``spooler = DIR`` or ``spooler-external = DIR``),
launching a task writes a spool file and returns at once; the spooler process
runs :func:`taskmanager.tasks.exec_command_task` when the file is due (its
``at``), then spools the next ride of a repeating task. Anywhere else (``manage.py
runtask``, ``runserver``, the tests) a launch runs the task now, in the calling
process.

uWSGI calls :func:`spooler_job` for our spool files once this module is imported
in its spooler processes: ``spooler-import = taskmanager.spooler`` (or
``import = taskmanager.spooler``). Importing it there also recovers, each time
a spooler process starts, the tasks that a killed spooler or a lost spool
directory left behind (:mod:`taskmanager.recovery`).

Which spool file a task waits for is ``Task.spooler_id``; a job runs only when
its file is still the task's (or the task's launch is still being recorded), so
stopping a task, launching it again or a recovery makes older files harmless.
Every change of that state is a conditional update, safe with several web
workers and spooler processes at once.
"""

from __future__ import annotations

import datetime
import fcntl
import itertools
import logging
import os
import random
import socket
import struct
import time
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from taskmanager import scheduling

if TYPE_CHECKING:
    from taskmanager.models import Report, Task

logger = logging.getLogger("taskmanager.spooler")

#: The name uwsgidecorators dispatches our spool files to.
SPOOL_FUNCTION = "taskmanager_spooler_job"
SPOOL_FILE_PREFIX = "uwsgi_spoolfile_on_"
# uWSGI's SPOOL_OK: the spooler deletes the file once the function returns it.
SPOOL_OK = -2
JOB_TASK = "task"
JOB_RESEND = "resend"
# uWSGI's spool packet: modifier1 17, then uwsgi vars (16-bit little-endian sizes).
_MODIFIER1 = 17
_counter = itertools.count(1)


class SpoolerError(Exception):
    """A job could not be spooled (no spooler here, or uWSGI refused the request)."""


class LaunchError(Exception):
    """A task cannot be launched now; the message says why and what to do."""


# --- uWSGI -------------------------------------------------------------------


def uwsgi_module() -> Any | None:
    """uWSGI's embedded ``uwsgi`` module, or None outside uWSGI."""
    try:
        import uwsgi
    except ImportError:
        return None
    return uwsgi


def has_spooler() -> bool:
    """Whether this process runs under uWSGI with a spooler (local or external) to spool to."""
    uwsgi = uwsgi_module()
    return uwsgi is not None and bool(getattr(uwsgi, "spoolers", ()))


def spooler_directories() -> list[str]:
    """This uWSGI instance's spool directories (absolute), the first one being the default."""
    uwsgi = uwsgi_module()
    if uwsgi is None:
        return []
    return [os.fsdecode(path) for path in getattr(uwsgi, "spoolers", ())]


def in_spooler() -> bool:
    uwsgi = uwsgi_module()
    return uwsgi is not None and bool(uwsgi.i_am_the_spooler())


# --- spool files ---------------------------------------------------------------


def encode_spool_vars(args: dict[str, str]) -> bytes:
    """``args`` as the uwsgi vars of a spool packet (what ``uwsgi.spool`` writes)."""
    parts = []
    for key, value in args.items():
        for raw in (key.encode(), value.encode()):
            parts.append(struct.pack("<H", min(len(raw), 0xFFFF)) + raw)
    packet = b"".join(parts)
    if len(packet) > 0xFFFF:
        raise SpoolerError("A spool request is limited to 64 KiB of arguments.")
    return packet


def read_spool_file(path: str) -> dict[str, str]:
    """The arguments stored in a spool file (its ``at`` too), read as uWSGI reads them."""
    with open(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != _MODIFIER1:
        raise ValueError(f"{path} is not a uWSGI spool file.")
    (size,) = struct.unpack_from("<H", data, 1)
    packet, args, offset = data[4 : 4 + size], {}, 0
    while offset < len(packet):
        (key_size,) = struct.unpack_from("<H", packet, offset)
        key = packet[offset + 2 : offset + 2 + key_size]
        offset += 2 + key_size
        (value_size,) = struct.unpack_from("<H", packet, offset)
        value = packet[offset + 2 : offset + 2 + value_size]
        offset += 2 + value_size
        args[key.decode()] = value.decode()
    return args


def write_spool_file(directory: str, args: dict[str, str], at: int | None = None) -> str:
    """Write a spool file into ``directory`` as ``uwsgi.spool`` does, for use outside uWSGI.

    The spooler serving ``directory`` picks it up at its next scan (every
    ``spooler-frequency`` seconds). The file appears whole (written aside, then
    renamed: uWSGI only looks at names starting with ``uwsgi_spoolfile_on_``),
    and belongs to the directory's owner when written by root, so a spooler
    running as another user can run and delete it.
    """
    if at is not None:
        args = {**args, "at": str(at)}
    packet = encode_spool_vars(args)
    now = time.time()
    name = (
        f"{SPOOL_FILE_PREFIX}{socket.gethostname()}_{os.getpid()}_{next(_counter)}_"
        f"{random.randrange(2**31)}_{int(now)}_{int(now % 1 * 1_000_000)}"
    )
    path = os.path.join(os.path.abspath(directory), name)
    aside = os.path.join(os.path.dirname(path), f".{name}.writing")
    fd = os.open(aside, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        os.write(fd, struct.pack("<BHB", _MODIFIER1, len(packet), 0) + packet)
        os.fsync(fd)
        if os.geteuid() == 0:
            owner = os.stat(os.path.dirname(path))
            os.fchown(fd, owner.st_uid, owner.st_gid)
    finally:
        os.close(fd)
    if at is not None:
        # The spooler leaves a file alone while its modification time is ahead.
        os.utime(aside, (at, at))
    os.rename(aside, path)
    return path


def is_running(path: str) -> bool:
    """Whether a spooler is running ``path`` now: it holds a write lock on the file meanwhile."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # unreadable here: do not touch it
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def discard_spool_file(path: str) -> bool:
    """Delete a waiting spool file; never one being run (the spooler deletes it when done)."""
    if not path or is_running(path):
        return False
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def spool_job(args: dict[str, str], at: int | None = None, directory: str | None = None) -> str:
    """Spool a job for :func:`spooler_job`; returns the spool file's path.

    Under uWSGI through ``uwsgi.spool`` (which wakes an idle spooler at once);
    with ``directory``, by writing the file there (management commands).
    """
    args = {"ud_spool_func": SPOOL_FUNCTION, "ud_spool_ret": str(SPOOL_OK), **args}
    if directory is not None:
        return write_spool_file(directory, args, at)
    uwsgi = uwsgi_module()
    if uwsgi is None or not has_spooler():
        raise SpoolerError("This process has no uWSGI spooler to spool to.")
    if at is not None:
        args["at"] = str(at)
    path = uwsgi.spool({key.encode(): value.encode() for key, value in args.items()})
    if not path:
        raise SpoolerError("uWSGI refused the spool request (its log says why).")
    return os.fsdecode(path)


# --- tasks ---------------------------------------------------------------------


def _task_model() -> type[Task]:
    from taskmanager.models import Task

    return Task


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
    Task = _task_model()
    now = timezone.now()
    ride = scheduling.first_ride(at, now)
    status = Task.STATUS_SCHEDULED if ride > now else Task.STATUS_SPOOLED
    current = Task.objects.filter(pk=task.pk)
    if replacing is not None:
        current = current.filter(spooler_id=replacing)
    # spooler_id "" while the file is written: a job that starts before the
    # path is recorded claims the task itself (see _claim).
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


def launch(task: Task) -> Report | None:
    """Launch ``task``: on the spooler when there is one, else now in this process.

    On the spooler the task runs at its scheduling when that is ahead, else at
    once, then every repetition period; any ride it was waiting for is
    replaced. Returns the report when the task ran here, None when spooled.
    """
    from taskmanager.tasks import exec_command_task

    Task = _task_model()
    task.refresh_from_db(fields=["status", "spooler_id"])
    if task.status == Task.STATUS_STARTED:
        raise LaunchError(
            f'Task "{task.name}" is running. Wait for its report, or stop it first if its run was '
            "interrupted (restart_despooled_tasks closes such runs)."
        )
    now = timezone.now()
    ride = scheduling.first_ride(task.scheduling, now)
    if not has_spooler():
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
    spool(task, ride, anchor=task.scheduling or ride)
    return None


def stop(task: Task) -> None:
    """Cancel what ``task`` waits for: its spool file is deleted and the task is idle.

    A run in progress goes on to its report (a command cannot be stopped
    halfway safely) and the task is not spooled again after it.
    """
    Task = _task_model()
    task.refresh_from_db(fields=["status", "spooler_id"])
    path = task.spooler_id
    running = task.status == Task.STATUS_STARTED and bool(path) and is_running(path)
    status = Task.STATUS_STARTED if running else Task.STATUS_IDLE
    Task.objects.filter(pk=task.pk).update(status=status, spooler_id="", cached_next_ride=None)
    discard_spool_file(path)
    task.status, task.spooler_id, task.cached_next_ride = status, "", None


def waiting_status(task: Task) -> None:
    """After a run outside the spooler (runtask), show again the ride the task still waits for."""
    Task = _task_model()
    task.refresh_from_db(fields=["spooler_id", "cached_next_ride"])
    if not task.spooler_id:
        return
    ride = task.cached_next_ride
    status = Task.STATUS_SCHEDULED if ride and ride > timezone.now() else Task.STATUS_SPOOLED
    Task.objects.filter(pk=task.pk, spooler_id=task.spooler_id, status=Task.STATUS_IDLE).update(status=status)


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
    Task = _task_model()
    task.refresh_from_db()
    if task.spooler_id != replacing:
        return None
    if not task.repetition_period:
        Task.objects.filter(pk=task.pk, spooler_id=replacing).update(
            status=Task.STATUS_IDLE, spooler_id="", cached_next_ride=None
        )
        return None
    anchor = task.scheduling or anchor or after
    ride = task.get_next_ride(after=after, anchor=anchor)
    if directory is None and not has_spooler():
        directory = os.path.dirname(replacing)
    return spool(task, ride, anchor=anchor, directory=directory, replacing=replacing)


# --- the spooler side ------------------------------------------------------------


def _parse_moment(value: str | None) -> datetime.datetime | None:
    return parse_datetime(value) if value else None


def _own_path(name: str) -> str:
    for directory in spooler_directories():
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    return os.path.join(os.getcwd(), name)


def _claim(task_id: int, name: str) -> bool:
    """Whether the task still waits for this file (not stopped, not spooled anew meanwhile).

    A job can start before its launch recorded the file's path: it records it.
    Tried first: a launch only ever goes from "" to the path, so once the
    update finds no "" the path is there, unless the task was stopped.
    """
    Task = _task_model()
    being_recorded = Task.objects.filter(
        pk=task_id, spooler_id="", status__in=(Task.STATUS_SPOOLED, Task.STATUS_SCHEDULED)
    )
    if being_recorded.update(spooler_id=_own_path(name)):
        return True
    return Task.objects.filter(pk=task_id, spooler_id__endswith=f"/{name}").exists()


def run_task_job(args: dict[str, Any]) -> Report | None:
    """Run the task of a spool file, then spool its next ride; returns the report if it ran."""
    from taskmanager import recovery
    from taskmanager.tasks import exec_command_task

    Task = _task_model()
    name = os.path.basename(str(args["spooler_task_name"]))
    ride = _parse_moment(args.get("ride")) or timezone.now()
    anchor = _parse_moment(args.get("anchor"))
    task = Task.objects.select_related("command").filter(pk=int(args["task"])).first()
    if task is None:
        logger.info("Spool file %s: its task %s is gone.", name, args["task"])
        return None
    ours = task.spooler_id.endswith(f"/{name}")
    if ours and task.status != Task.STATUS_STARTED and ride_ran(task, ride):
        # Run already, by this very file: its spooler stopped after the run but
        # before letting go of the file (sending notifications, say).
        spool_next_ride(task, replacing=task.spooler_id, after=max(timezone.now(), ride), anchor=anchor)
        return None
    if ours and task.status == Task.STATUS_STARTED:
        report = recovery.interrupted_report(task)
        if report is not None:
            # This file's run began before and never ended: its spooler died.
            recovery.close_interrupted(report, recovery.NOTE_INTERRUPTED.format(by=recovery.BY_SPOOLER))
            spool_next_ride(task, replacing=task.spooler_id, after=timezone.now(), anchor=anchor)
            return None
    if not _claim(task.pk, name):
        logger.info("Spool file %s: task %s was stopped or launched again; not run.", name, task.pk)
        return None
    task.refresh_from_db(fields=["spooler_id"])
    path = task.spooler_id
    report = exec_command_task(task)
    spool_next_ride(task, replacing=path, after=max(timezone.now(), ride), anchor=anchor)
    return report


def run_resend_job(args: dict[str, Any]) -> None:
    from taskmanager.notifications.resend import resend, resendable

    report = int(args["report"]) if args.get("report") else None
    deliveries = resendable(
        report=report, handler=args.get("handler") or None, since=_parse_moment(args.get("since"))
    )
    results = resend(deliveries)
    sent = sum(1 for result in results if result.outcome is not None and result.outcome.sent)
    logger.info("Resent %d of %d failed deliveries.", sent, len(results))


def spool_resend(
    *,
    report: int | None = None,
    handler: str | None = None,
    since: datetime.datetime | None = None,
    directory: str | None = None,
) -> str:
    """Spool a resend of failed deliveries (``resend_notifications``' filters); returns the path."""
    args = {"job": JOB_RESEND, "report": str(report or ""), "handler": handler or ""}
    if since is not None:
        args["since"] = since.isoformat()
    return spool_job(args, directory=directory)


def _django_ready() -> None:
    from django.apps import apps

    if not apps.ready:
        # A spooler process of an instance loading its app lazily (lazy-apps).
        import django

        django.setup()


def spooler_job(args: dict[str, Any]) -> int:
    """What uWSGI's spooler calls for our spool files (through uwsgidecorators).

    Never raises: uWSGI would keep the file and retry it forever.
    """
    from django.db import close_old_connections, connections

    try:
        _django_ready()
        close_old_connections()
        kind = args.get("job")
        if kind == JOB_TASK:
            run_task_job(args)
        elif kind == JOB_RESEND:
            run_resend_job(args)
        else:
            logger.error("Spool file %s: unknown job %r.", args.get("spooler_task_name"), kind)
    except Exception:
        logger.exception("Spool file %s failed.", args.get("spooler_task_name"))
    finally:
        # The spooler waits, maybe for hours, until the next job.
        connections.close_all()
    return SPOOL_OK


def recover_at_spooler_start() -> None:
    """In a spooler process that just started: recover what a dead spooler or lost files left."""
    if not in_spooler():
        return
    from django.db import connections

    try:
        _django_ready()
        from taskmanager import recovery

        for action in recovery.recover_tasks(by=recovery.BY_SPOOLER):
            logger.warning("taskmanager recovery: %s", action)
    except Exception:
        # Most likely no settings: uWSGI's env must set DJANGO_SETTINGS_MODULE.
        logger.exception("Recovering tasks at the spooler's start failed.")
    finally:
        connections.close_all()


def _register() -> None:
    """Hand our spool files to :func:`spooler_job`, in a uWSGI instance with a spooler."""
    uwsgi = uwsgi_module()
    if uwsgi is None or not has_spooler():
        return
    try:
        # Its dispatcher serves the project's own @spool functions alongside ours.
        import uwsgidecorators
    except Exception as exc:
        logger.error("taskmanager cannot use uWSGI's spooler: %s (set master = true).", exc)
        return
    uwsgidecorators.spooler_functions[SPOOL_FUNCTION] = spooler_job
    if uwsgi.i_am_the_spooler():
        # Imported by spooler-import: this spooler has started.
        recover_at_spooler_start()
    else:
        # Imported before the fork (import =): run in each spooler as it starts.
        uwsgidecorators.postfork(recover_at_spooler_start)


_register()
