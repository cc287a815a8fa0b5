"""Sleeps, saying so as it goes, and names the process it runs in: which process ran a task."""

import os
import time
from pathlib import Path
from typing import Any

from django.core.management import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Write 'pid N', then sleep SECONDS, writing a line every --every seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("seconds", type=float)
        parser.add_argument("--every", type=float, default=0.5)
        parser.add_argument("--pid-file", help="Also write the pid there (a test kills that process).")

    def handle(self, *args: Any, **options: Any) -> None:
        pid = os.getpid()
        if options["pid_file"]:
            Path(options["pid_file"]).write_text(f"{pid}\n", encoding="utf-8")
        self.stdout.write(f"pid {pid}")
        deadline = time.monotonic() + options["seconds"]
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(options["every"], left))
            self.stdout.write(f"slept, {max(left - options['every'], 0):.1f} s to go")
        self.stdout.write("awake")
