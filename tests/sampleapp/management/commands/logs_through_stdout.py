"""Logs through its own handler on self.stdout, with a format that drops the level (2.x style).

Its one record is a WARNING whose text says "ERROR": 1 warning, 0 errors.
"""

import logging
from typing import Any

from django.core.management import BaseCommand

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Log a warning through a handler writing to self.stdout."

    def handle(self, *args: Any, **options: Any) -> None:
        handler = logging.StreamHandler(self.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        try:
            logger.warning("row 3 has an ERROR code\nsecond line of the record")
            self.stdout.write("after the record")
        finally:
            logger.removeHandler(handler)
