"""Re-attempt failed notification deliveries (each once per run; never a delivered one)."""

from __future__ import annotations

import datetime
import os
import re
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from taskmanager.execution.backend import Backend, LaunchError
from taskmanager.execution.current import get_backend
from taskmanager.execution.uwsgi.backend import UwsgiBackend
from taskmanager.notifications.resend import resend, resendable

_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str) -> datetime.datetime:
    """``2026-11-27``, ``2026-11-27T03:00``, or a look-back like ``12h`` / ``2d``."""
    value = value.strip()
    match = _DURATION.match(value)
    if match:
        amount, unit = match.groups()
        return timezone.now() - datetime.timedelta(**{_UNITS[unit]: int(amount)})
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is not None:
            moment = datetime.datetime.combine(day, datetime.time.min)
    if moment is None:
        raise CommandError(
            f"--since: cannot read {value!r}; give a date, a date and time, or 30m, 12h, 2d, 1w."
        )
    if timezone.is_naive(moment) and timezone.is_aware(timezone.now()):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = (
        "Re-attempt failed notification deliveries, each once per run. A delivery whose report has "
        "since been delivered through the same handler is never sent again, and one that another resend "
        "is sending is left to it. Exits 1 if any still fails."
    )
    # Resending must work while another handler is misconfigured.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--report", type=int, help="Only deliveries of this report id.")
        parser.add_argument("--handler", help="Only deliveries of this handler.")
        parser.add_argument("--since", type=parse_since, help="Only deliveries created since then.")
        parser.add_argument("--dry-run", action="store_true", help="List what would be resent; send nothing.")
        parser.add_argument(
            "--spool",
            metavar="SPOOLER_DIR",
            nargs="?",
            const="",
            help="Leave the resend to where tasks run, and return at once: with SPOOLER_DIR, the uWSGI "
            "spooler serving that spool directory; without, the backend in use (UWSGI_TASKMANAGER_BACKEND: "
            "the Tasks backend's queue, the uWSGI spooler of this process; the inline backend resends now).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["spool"] is not None:
            self._spool(options)
            return
        deliveries = list(
            resendable(report=options["report"], handler=options["handler"], since=options["since"])
        )
        if not deliveries:
            self.stdout.write("No failed deliveries to resend.")
            return
        if options["dry_run"]:
            for delivery in deliveries:
                self.stdout.write(
                    f"would resend: delivery {delivery.pk} ({delivery.handler}, report {delivery.report.pk}, "
                    f"{delivery.report.task.name}): {delivery.last_error or delivery.status}"
                )
            return
        failed = 0
        for result in resend(deliveries):
            delivery = result.delivery
            where = f"delivery {delivery.pk} ({delivery.handler}, report {delivery.report.pk})"
            if result.busy:
                # Not a failure: another resend (a cron run overlapping, the admin's) has it.
                self.stdout.write(f"skipped {where}: another resend has it, or it has since been sent")
            elif result.outcome is None:
                failed += 1
                self.stderr.write(f"skipped {where}: {result.error}")
            elif result.outcome.sent:
                self.stdout.write(self.style.SUCCESS(f"sent {where}"))
            else:
                failed += 1
                kind = "permanent" if result.outcome.permanent else "transient"
                self.stderr.write(f"failed {where} ({kind}): {result.outcome.error}")
        if failed:
            raise CommandError(f"{failed} deliver{'y' if failed == 1 else 'ies'} still failed.", returncode=1)

    def _spool(self, options: dict[str, Any]) -> None:
        directory = options["spool"]
        if directory and not os.path.isdir(directory):
            raise CommandError(f"--spool: {directory} is not a directory here.")
        # A spool directory names the uWSGI backend serving it.
        try:
            backend: Backend = UwsgiBackend(spool_directory=directory) if directory else get_backend()
            line = backend.resend_later(
                report=options["report"], handler=options["handler"], since=options["since"]
            )
        except LaunchError as exc:
            raise CommandError(f"--spool: {exc}") from exc
        except ImproperlyConfigured as exc:
            # This command skips the system checks (it must run when they fail): say where to look.
            raise CommandError(f"--spool: {exc} (manage.py check says more)") from exc
        self.stdout.write(line)
