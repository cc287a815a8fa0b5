"""Storing an outcome on its delivery record."""

from __future__ import annotations

import logging

import pytest

from taskmanager.models import Delivery
from taskmanager.notifications.records import Outcome, create_deliveries, record
from taskmanager.results import Result

pytestmark = pytest.mark.django_db


def test_an_outcome_is_stored_on_its_record(make_report):
    report = make_report("errors")
    delivery = create_deliveries(report, ["mail"], Result.ERRORS)["mail"]

    record(delivery, Outcome("mail", sent=False, error="refused", permanent=True, attempts=2))

    stored = Delivery.objects.get(pk=delivery.pk)
    assert (stored.status, stored.attempts, stored.permanent, stored.last_error) == (
        "failed",
        2,
        True,
        "refused",
    )


def test_an_outcome_whose_record_is_gone_is_logged_not_raised(make_report, caplog):
    report = make_report("errors")
    delivery = create_deliveries(report, ["mail"], Result.ERRORS)["mail"]
    report.delete()  # the records go with their report

    with caplog.at_level(logging.WARNING, logger="taskmanager.notifications"):
        record(delivery, Outcome("mail", sent=True, attempts=1))

    assert f"Delivery record {delivery.pk} of handler 'mail' is gone" in caplog.text
    assert not Delivery.objects.filter(pk=delivery.pk).exists()
