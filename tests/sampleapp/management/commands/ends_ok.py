"""Ends ok: three lines on stdout, none of them a warning or an error."""

from typing import Any

from django.core.management import BaseCommand


class Command(BaseCommand):
    help = "Write three plain lines."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("importing rows")
        self.stdout.write("imported 3 rows")
        self.stdout.write("done")
