"""Appends a line to a file each time it starts, then waits: a test counts the command's runs."""

import time
from pathlib import Path
from typing import Any

from django.core.management import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Append a line to MARKER, then wait until RELEASE exists (at most --timeout seconds)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("marker")
        parser.add_argument("release")
        parser.add_argument("--timeout", type=float, default=60.0)

    def handle(self, *args: Any, **options: Any) -> None:
        with open(options["marker"], "a", encoding="utf-8") as marker:
            marker.write("started\n")
        self.stdout.write("started")
        deadline = time.monotonic() + options["timeout"]
        while not Path(options["release"]).exists():
            if time.monotonic() > deadline:
                self.stdout.write("gave up waiting")
                return
            time.sleep(0.05)
        self.stdout.write("done")
