"""Logs on a logger that does not propagate to the root: 1 warning, 1 error."""

import logging
from typing import Any

from django.core.management import BaseCommand

ISOLATED = "tests.isolated"


class Command(BaseCommand):
    help = "Log on a non-propagating logger."

    def handle(self, *args: Any, **options: Any) -> None:
        logger = logging.getLogger(ISOLATED)
        logger.warning("isolated warning")
        logger.error("isolated error")
