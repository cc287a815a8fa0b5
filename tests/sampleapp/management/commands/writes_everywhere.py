"""Writes through print(), sys.stdout, sys.stderr, self.stderr and logging.

Counts: 2 errors (one stderr line, one two-line logging record), 2 warnings
(one print() line, one logging record), 8 lines.
"""

import logging
import sys
from typing import Any

from django.core.management import BaseCommand

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Write to every stream there is."

    def handle(self, *args: Any, **options: Any) -> None:
        print("printed line")
        print("WARNING printed")
        sys.stdout.write("partial ")
        sys.stdout.write("line\n")
        sys.stderr.write("ERROR on stderr\n")
        self.stderr.write("plain stderr line")
        logger.warning("logged warning")
        logger.error("logged error\nsecond line of the ERROR record")
