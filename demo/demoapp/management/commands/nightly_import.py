"""A run that goes well: imports rows in batches, prints its progress, fills the summary."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from taskmanager.extra import report_extra


class Command(BaseCommand):
    help = "Import the partners' nightly CSV (a demo: nothing is read, rows are counted)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=1000, help="how many rows to import")
        parser.add_argument("--batch", type=int, default=250, help="rows per batch")

    def handle(self, *args: Any, **options: Any) -> None:
        rows: int = options["rows"]
        batch: int = options["batch"]
        self.stdout.write(f"importing {rows} rows from partners.csv")
        done = 0
        while done < rows:
            done = min(done + batch, rows)
            time.sleep(0.05)
            self.stdout.write(f"imported {done}/{rows} rows")
        report_extra()["imported"] = done
        report_extra()["summary"] = f"imported {done:,} rows from partners.csv, 0 skipped"
        self.stdout.write("import finished")
