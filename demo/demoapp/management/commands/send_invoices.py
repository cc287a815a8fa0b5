"""A run that fails: the mail relay goes away halfway and the command raises."""

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Send this month's invoices (a demo: the third one fails and the command stops)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("sending 12 invoices")
        for number in (1, 2):
            self.stdout.write(f"sent invoice 2026-{number:04d}")
        raise ConnectionRefusedError("the mail relay at smtp.invalid:25 refused the connection")
