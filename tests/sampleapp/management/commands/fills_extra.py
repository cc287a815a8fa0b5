"""Fills the report's extra dict, through the function and the mixin."""

import datetime
from typing import Any

from django.core.management import BaseCommand

from taskmanager.extra import ReportExtraMixin, report_extra


class Command(ReportExtraMixin, BaseCommand):
    help = "Say what was imported."

    def handle(self, *args: Any, **options: Any) -> None:
        report_extra()["imported"] = 1234
        self.report_extra["summary"] = "imported 1,234 rows, 3 skipped"
        self.report_extra["day"] = datetime.date(2024, 5, 1)
        self.report_extra["odd"] = object()
        self.stdout.write("imported")
