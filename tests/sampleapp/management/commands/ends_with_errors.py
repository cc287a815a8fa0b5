"""Ends with exactly 2 errors and 1 warning, from logging and from stdout lines."""

import logging
from typing import Any

from django.core.management import BaseCommand

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Report two errors and one warning."

    def handle(self, *args: Any, **options: Any) -> None:
        logger.error("cannot reach the registry")
        self.stdout.write("ERROR row 12: bad zip code")
        logger.warning("row 13 is empty")
        self.stdout.write("done")
