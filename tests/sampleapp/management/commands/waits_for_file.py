"""Waits until a file exists (or a timeout), so a test can hold a run open and then let it end."""

import time
from pathlib import Path
from typing import Any

from django.core.management import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Write a line, then wait until PATH exists (at most --timeout seconds)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--timeout", type=float, default=60.0)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("waiting")
        deadline = time.monotonic() + options["timeout"]
        while not Path(options["path"]).exists():
            if time.monotonic() > deadline:
                self.stdout.write("gave up waiting")
                return
            time.sleep(0.05)
        self.stdout.write("done")
