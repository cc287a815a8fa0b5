"""Writes bytes that are not UTF-8 and text holding lone surrogates."""

import sys
from typing import Any

from django.core.management import BaseCommand


class Command(BaseCommand):
    help = "Write undecodable output."

    def handle(self, *args: Any, **options: Any) -> None:
        sys.stdout.buffer.write(b"latin-1 caf\xe9\n")
        # A multi-byte character split across two writes is still decoded.
        sys.stdout.buffer.write(b"split \xe2\x82")
        sys.stdout.buffer.write(b"\xac\n")
        self.stdout.write("escaped caf\udce9")
        sys.stdout.buffer.write(b"cut short \xe2\x82")
