"""Writes COUNT lines of mixed output: print, self.stdout and logging at every level, in turn.

Each line is about 200 characters (1,000,000 make 200 MB). The records go through a logger
that reaches the root; ``--log-to-stderr`` gives the root a handler writing to ``sys.stderr`` in
the capture's format, so the same command run outside the runner formats and writes them too.
"""

import logging
import sys
from typing import Any

from django.core.management import BaseCommand
from django.core.management.base import CommandParser

LEVELS = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL)


class BufferedHandler(logging.StreamHandler):
    """Flushes with its stream only: the baseline pays no system call per record (a harder one)."""

    def flush(self) -> None:
        pass


class Command(BaseCommand):
    help = "Write many lines of mixed output (print, self.stdout, logging at every level)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int)
        parser.add_argument("--log-to-stderr", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        logger = logging.getLogger("tests.sampleapp.mixed")
        logger.setLevel(logging.DEBUG)
        if options["log_to_stderr"]:
            handler = BufferedHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            logging.getLogger().addHandler(handler)
        filler = "x" * 180
        # Seven kinds of line in turn: print, self.stdout, then one record at each level.
        for n in range(options["count"]):
            kind = n % 7
            if kind == 0:
                print(f"{n:08d} print {filler}")
            elif kind == 1:
                self.stdout.write(f"{n:08d} stdout {filler}")
            else:
                logger.log(LEVELS[kind - 2], "%08d record %s", n, filler)
