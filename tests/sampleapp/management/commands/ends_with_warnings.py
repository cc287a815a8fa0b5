"""Ends with exactly 2 warnings: one logging record, one "WARNING" line on stdout."""

import logging
from typing import Any

from django.core.management import BaseCommand

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Warn twice, once through logging and once through self.stdout."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("checking rows")
        logger.warning("row 4 has no date")
        self.stdout.write("WARNING: row 9 is a duplicate")
        self.stdout.write("done")
