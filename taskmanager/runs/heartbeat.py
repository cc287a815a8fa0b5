"""A running report's heartbeat: moved on every few seconds while its command runs.

A run sets ``Report.heartbeat`` when it starts (:func:`taskmanager.runs.runner.start_run`)
and, while the command runs, a daemon thread moves it on every ``heartbeat`` seconds of
``UWSGI_TASKMANAGER_TASKS`` (5 by default). A report that stays open with a heartbeat
older than ``stale_after`` belongs to a process that died (killed, its machine lost): the
Tasks backend's recovery closes it (:mod:`taskmanager.execution.tasks.recovery`).

The thread sleeps on an event between two beats, writes one ``UPDATE`` of one row, and
writes nothing else: no logging from it, which the run's capture would count in the
command's log. A beat that fails (a database locked for a moment) is counted and the next
one tried; the runner logs the failures once the run is over (:meth:`Heartbeat.failures`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections
from django.utils import timezone

from taskmanager.conf import TasksOptions, tasks_options
from taskmanager.models import Report


def heartbeat_every() -> float:
    """Seconds between two beats; the default when the setting is wrong (``check`` says so)."""
    try:
        return tasks_options().heartbeat
    except ImproperlyConfigured:
        return TasksOptions.heartbeat


@dataclass
class Heartbeat:
    """What the beating thread did: how many beats failed, and the last error."""

    beats: int = 0
    failures: int = 0
    last_error: str = ""


def beat(report_pk: int) -> None:
    """Move the report's heartbeat to now (only while it is open: a closed run stays as it was)."""
    Report.objects.filter(pk=report_pk, end_datetime=None).update(heartbeat=timezone.now())


@contextlib.contextmanager
def beating(report_pk: int, seconds: float) -> Iterator[Heartbeat]:
    """Move the report's heartbeat on every ``seconds`` while the block runs, from a daemon thread."""
    state = Heartbeat()
    stop = threading.Event()

    def beat_until_stopped() -> None:
        try:
            while not stop.wait(seconds):
                try:
                    beat(report_pk)
                    state.beats += 1
                except DatabaseError as exc:
                    state.failures += 1
                    state.last_error = str(exc)
        finally:
            # The thread's own connections: nobody else would ever close them.
            connections.close_all()

    thread = threading.Thread(target=beat_until_stopped, name="taskmanager-heartbeat", daemon=True)
    try:
        thread.start()
    except RuntimeError:
        # No thread to be had: the run goes on; recovery sees only its start.
        state.failures, state.last_error = 1, "no thread could be started"
        yield state
        return
    try:
        yield state
    finally:
        stop.set()
        thread.join()
