"""A run with warnings: some products are synced without a price."""

import logging
from typing import Any

from django.core.management.base import BaseCommand

from taskmanager.extra import report_extra

logger = logging.getLogger(__name__)

PRODUCTS = [("A-100", 12.5), ("A-101", None), ("B-200", 7.0), ("B-201", None), ("C-300", 3.2)]


class Command(BaseCommand):
    help = "Sync the product catalogue from the supplier (a demo: five products, two without a price)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"syncing {len(PRODUCTS)} products")
        missing = 0
        for code, price in PRODUCTS:
            if price is None:
                missing += 1
                logger.warning("product %s has no price: synced as not for sale", code)
            else:
                self.stdout.write(f"synced {code} at {price:.2f}")
        report_extra()["summary"] = f"synced {len(PRODUCTS)} products, {missing} without a price"
