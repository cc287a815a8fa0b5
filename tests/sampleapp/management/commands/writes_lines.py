"""Writes COUNT lines of about 200 characters through self.stdout (200,000 make 40 MB)."""

from typing import Any

from django.core.management import BaseCommand
from django.core.management.base import CommandParser


class Command(BaseCommand):
    help = "Write many lines, or one very long one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int)
        parser.add_argument("--long-line", type=int, default=0, help="Then one line of this many characters.")
        parser.add_argument(
            "--chunk", type=int, default=0, help="Write the long line in pieces of this size."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        filler = "x" * 190
        for n in range(options["count"]):
            self.stdout.write(f"{n:08d} {filler}")
        length = options["long_line"]
        if length:
            chunk = options["chunk"] or length
            for start in range(0, length, chunk):
                self.stdout.write("y" * min(chunk, length - start), ending="")
            self.stdout.write("")
