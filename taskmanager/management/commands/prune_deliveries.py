"""Delete notification delivery records older than the retention period."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from taskmanager.conf import settings
from taskmanager.notifications.emission import prune_deliveries


class Command(BaseCommand):
    help = "Delete delivery records older than UWSGI_TASKMANAGER_DELIVERY_RETENTION_DAYS (default 90)."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DELIVERY_RETENTION_DAYS is None:
            self.stdout.write("UWSGI_TASKMANAGER_DELIVERY_RETENTION_DAYS is None: keeping every record.")
            return
        deleted = prune_deliveries()
        self.stdout.write(
            f"Deleted {deleted} delivery record(s) older than {settings.DELIVERY_RETENTION_DAYS} days."
        )
