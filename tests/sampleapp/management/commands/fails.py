"""Fails in the way its --how option names."""

import sys
from typing import Any

from django.core.management import BaseCommand, CommandError
from django.core.management.base import CommandParser


class Command(BaseCommand):
    help = "Write a line, then raise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--how", choices=["exception", "commanderror", "exit", "exit0", "interrupt"], default="exception"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("starting")
        how = options["how"]
        if how == "commanderror":
            raise CommandError("the source file is missing")
        if how == "exit":
            sys.exit(3)
        if how == "exit0":
            sys.exit(0)
        if how == "interrupt":
            raise KeyboardInterrupt
        raise ValueError("unexpected row format")
