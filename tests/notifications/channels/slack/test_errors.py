"""Slack's errors said without secrets: the configured ones, and anything shaped like a Slack secret."""

from __future__ import annotations

import logging

import pytest

from taskmanager.notifications.channels.slack.errors import (
    _SecretScrubber,
    delivery_error,
    scrubber,
    summarise,
)
from taskmanager.notifications.exceptions import DeliveryError


class Owner:
    """Stands for a SlackTransport: the scrubber holds its secrets as long as it lives."""


def test_a_registered_secret_is_hidden_the_longest_first() -> None:
    scrub = _SecretScrubber()
    owner = Owner()
    scrub.register(owner, ("T1/B1/part", "T1/B1/part-and-more", None))
    text = "posted to T1/B1/part-and-more, then T1/B1/part"
    assert scrub.scrub(text) == "posted to [secret], then [secret]"


@pytest.mark.parametrize(
    "secret",
    [
        "xoxb-1234-5678-abcdef",
        "xoxp-1-2-3",
        "xapp-1-A0-12345",
        "https://hooks.slack.com/services/T0/B0/XXXX",
        "https://hooks.slack-gov.com/services/T0/B0/XXXX",
    ],
)
def test_anything_shaped_like_a_slack_secret_is_hidden_even_when_not_ours(secret: str) -> None:
    assert _SecretScrubber().scrub(f"failed with {secret} (retrying)") == "failed with [secret] (retrying)"


def test_a_secret_is_forgotten_with_its_transport() -> None:
    scrub = _SecretScrubber()
    owner = Owner()
    scrub.register(owner, ("not-a-token-shape",))
    del owner
    assert scrub.scrub("not-a-token-shape") == "not-a-token-shape"


def test_slack_sdk_log_records_are_scrubbed() -> None:
    record = logging.LogRecord("slack", logging.INFO, __file__, 1, "retrying %s", ("xoxb-1-2-3",), None)
    assert scrubber.filter(record)
    assert record.getMessage() == "retrying [secret]"


def test_a_delivery_error_never_quotes_a_token() -> None:
    error = delivery_error(None, 500, detail=": invalid xoxb-1-2-3")
    assert error.message == "Slack: unexpected answer (HTTP 500): invalid [secret]"


def test_a_429_says_how_long_slack_asked_to_wait() -> None:
    error = delivery_error("ratelimited", 429, "3600")
    assert (error.retry_after, error.permanent) == (3600, False)
    assert error.message == "Slack: ratelimited (HTTP 429), Retry-After 3600 s"


def test_the_summary_of_one_channel_keeps_its_retry_after() -> None:
    error = summarise([("#general", delivery_error("ratelimited", 429, "3600"))], total=1)
    assert error.retry_after == 3600


def test_the_summary_of_several_channels_keeps_the_longest_retry_after() -> None:
    failures = [
        ("#general", delivery_error("ratelimited", 429, "40")),
        ("#ops", DeliveryError("Slack: timed out")),
        ("#alerts", delivery_error("ratelimited", 429, "90")),
    ]
    assert summarise(failures, total=3).retry_after == 90


def test_a_summary_without_any_retry_after_has_none() -> None:
    assert summarise([("#ops", DeliveryError("Slack: timed out"))], total=2).retry_after is None
