"""uWSGI's entry point: ``spooler-import = taskmanager.spooler`` in the project's uWSGI config.

Under uWSGI with a spooler (``spooler = DIR`` or ``spooler-external = DIR``),
launching a task writes a spool file and returns at once; the spooler process
runs it when the file is due (its ``at``), then spools the next ride of a
repeating task (:mod:`taskmanager.execution.uwsgi`).

uWSGI calls :func:`spooler_job` for our spool files once this module is imported
in its spooler processes: ``spooler-import = taskmanager.spooler`` (or
``import = taskmanager.spooler``). Importing it there also recovers, each time
a spooler process starts, the tasks that a killed spooler or a lost spool
directory left behind (:mod:`taskmanager.execution.uwsgi.recovery`).

This module loads before Django is set up (a spooler of a lazy-apps instance):
it imports nothing that needs the models until a job arrives.
"""

from __future__ import annotations

import logging
from typing import Any

from taskmanager.execution.uwsgi.spoolfiles import (
    JOB_RESEND,
    JOB_TASK,
    SPOOL_FUNCTION,
    SPOOL_OK,
    has_spooler,
    in_spooler,
    spool_resend,
    uwsgi_module,
)

__all__ = ["spool_resend", "spooler_job"]

logger = logging.getLogger("taskmanager.spooler")


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
        # Here, not at the top: the jobs need the models, which need Django set up.
        from taskmanager.execution.uwsgi import jobs

        close_old_connections()
        kind = args.get("job")
        if kind == JOB_TASK:
            jobs.run_task_job(args)
        elif kind == JOB_RESEND:
            jobs.run_resend_job(args)
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
        # Here, not at the top: recovery needs the models, which need Django set up.
        from taskmanager.execution.uwsgi import recovery

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
