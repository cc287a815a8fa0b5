"""Recover what a crash left behind, with the backend in use (``UWSGI_TASKMANAGER_BACKEND``)."""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from taskmanager.execution.backend import Backend
from taskmanager.execution.current import get_backend
from taskmanager.execution.uwsgi.backend import UwsgiBackend


class Command(BaseCommand):
    help = (
        "Recover what a crash left behind, with the backend in use. uWSGI: spooled or scheduled tasks "
        "whose spool file is lost are spooled again (at their ride, or now if it was missed), and runs "
        "left 'started' by a killed spooler are marked failed (the task then waits for its next ride, or "
        "is idle); run it where the spool directory is mounted, as the user uWSGI runs as. Tasks: runs "
        "whose heartbeat stopped are marked failed and their next ride enqueued, and rides whose job "
        "looks lost are enqueued again (the workers' watchdog does the first on its own)."
    )
    # Recovering must work while the notification settings have problems.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--spooler-dir",
            metavar="DIR",
            help=(
                "The spool directory (uWSGI's 'spooler' option) as seen from here. Only tasks spooled "
                "into it are looked at; tasks with no spool file are spooled into it. Default: each "
                "task's own spool directory."
            ),
        )
        parser.add_argument(
            "--foreground",
            action="store_true",
            help="Also mark failed the runs started in the foreground (runtask) that are still 'started'. "
            "Only when no such run is going on.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what would be done; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["spooler_dir"]
        if directory is not None and not os.path.isdir(directory):
            raise CommandError(f"--spooler-dir: {directory} is not a directory here.")
        # A spool directory names the uWSGI backend serving it.
        try:
            backend: Backend = get_backend() if directory is None else UwsgiBackend(spool_directory=directory)
            lines = backend.recover(dry_run=options["dry_run"], foreground=options["foreground"])
        except ImproperlyConfigured as exc:
            # This command skips the system checks (it must run when they fail): say where to look.
            raise CommandError(f"{exc} (manage.py check says more)") from exc
        if not lines:
            self.stdout.write("No task needs recovering.")
        for line in lines:
            self.stdout.write(line)
