"""Does nothing: the cheapest run, for counting rides and timing what is around a run."""

from typing import Any

from django.core.management import BaseCommand


class Command(BaseCommand):
    help = "Do nothing, write nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        pass
