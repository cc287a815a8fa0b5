"""Fills the report's extra with what JSON cannot hold as it is: a cycle, NaN, infinities, odd keys."""

import math
from typing import Any

from django.core.management import BaseCommand

from taskmanager.extra import report_extra


class Command(BaseCommand):
    help = "Put a circular reference, NaN and infinities into the report's extra."

    def handle(self, *args: Any, **options: Any) -> None:
        extra = report_extra()
        rows: list[Any] = [1, 2]
        rows.append(rows)
        extra["rows"] = rows
        extra["itself"] = extra
        extra["ratio"] = math.nan
        extra["limits"] = (-math.inf, math.inf)
        extra["by_pair"] = {(1, 2): "a tuple as a key"}
        extra["tags"] = {"only"}
        extra["imported"] = 3
        self.stdout.write("imported 3 rows")
