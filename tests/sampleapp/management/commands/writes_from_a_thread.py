"""Writes from a worker thread: 1 print() line and 1 logged warning."""

import logging
import threading
from typing import Any

from django.core.management import BaseCommand

logger = logging.getLogger(__name__)


def work() -> None:
    print("from the worker")
    logger.warning("worker warning")


class Command(BaseCommand):
    help = "Print and log from another thread."

    def handle(self, *args: Any, **options: Any) -> None:
        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
