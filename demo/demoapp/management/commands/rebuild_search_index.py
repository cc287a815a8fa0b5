"""A run with errors: the index is rebuilt but some documents cannot be indexed."""

import logging
from typing import Any

from django.core.management.base import BaseCommand

from taskmanager.extra import report_extra

logger = logging.getLogger(__name__)

BROKEN = {17: "body is not valid UTF-8", 42: "title is empty", 73: "body is not valid UTF-8"}


class Command(BaseCommand):
    help = "Rebuild the search index (a demo: 100 documents, three of them broken)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("rebuilding the search index: 100 documents")
        for doc in range(1, 101):
            if doc in BROKEN:
                logger.error("document %d not indexed: %s", doc, BROKEN[doc])
            elif doc % 25 == 0:
                self.stdout.write(f"indexed {doc} documents")
        logger.warning("the index is incomplete: search results will miss %d documents", len(BROKEN))
        report_extra()["summary"] = f"indexed {100 - len(BROKEN)} of 100 documents"
