"""check_payload: slack_sdk's Block Kit models plus the limits they miss, and the fast path around them."""

import json

import pytest

from taskmanager.notifications.channels.slack.check import check_payload, fits_as_rendered, within_sdk_checks
from taskmanager.notifications.channels.slack.fit import fit_payload


def section(text, kind="mrkdwn"):
    return {"type": "section", "text": {"type": kind, "text": text}}


def test_own_checks_catch_what_slack_sdk_misses():
    too_many = {"text": "t", "blocks": [section("s")] * 51}
    assert check_payload(too_many) == ["51 blocks, more than 50"]
    long_field = {
        "text": "t",
        "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
    }
    assert check_payload(long_field) == ["block 0 (section): field 0 is longer than 2,000 characters"]
    mrkdwn_header = {"text": "t", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]}
    assert check_payload(mrkdwn_header) == ["block 0 (header): a header's text must be plain_text"]
    assert check_payload({"text": "x" * 4001}) == ["'text' is longer than 4,000 characters"]


def _text(kind, text, **extra):
    return {"type": kind, "text": text, **extra}


# Blocks in the shapes the check's fast path knows, within slack_sdk's limits...
TRUSTED_BLOCKS = [
    {"type": "divider"},
    {"type": "divider", "block_id": "b" * 255},
    {"type": "header", "text": _text("plain_text", "h" * 150, emoji=True)},
    {"type": "section", "text": _text("mrkdwn", "s" * 3000, verbatim=True)},
    {"type": "section", "fields": [_text("mrkdwn", "f")] * 10},
    {"type": "context", "elements": [_text("mrkdwn", "c")] * 10},
    {"type": "markdown", "text": "m" * 12000},
]
# ...and just past them, or in shapes only slack_sdk's models can judge.
UNTRUSTED_BLOCKS = [
    {"type": "divider", "block_id": "b" * 256},
    {"type": "divider", "block_id": 7},
    {"type": "header", "text": _text("plain_text", "h" * 151)},
    {"type": "header", "text": _text("mrkdwn", "h")},
    {"type": "header"},
    {"type": "header", "text": _text("plain_text", "")},
    {"type": "section", "text": _text("mrkdwn", "s" * 3001)},
    {"type": "section", "text": _text("mrkdwn", "s", emoji=True)},
    {"type": "section", "text": _text("sparkles", "s")},
    {"type": "section", "text": "a raw string"},
    {"type": "section", "text": _text("mrkdwn", 5)},
    {"type": "section", "fields": [_text("mrkdwn", "f")] * 11},
    {"type": "section", "fields": []},
    {"type": "section", "fields": [_text("plain_text", "f" * 2001)]},
    {"type": "section"},
    {"type": "section", "text": _text("mrkdwn", "s"), "accessory": {"type": "button"}},
    {"type": "context", "elements": [_text("mrkdwn", "c")] * 11},
    {"type": "context", "elements": []},
    {
        "type": "context",
        "elements": [{"type": "image", "image_url": "https://x.test/i.png", "alt_text": "i"}],
    },
    {"type": "markdown", "text": "m" * 12001},
    {"type": "markdown", "text": ""},
    {"type": "image", "image_url": "https://x.test/i.png", "alt_text": "i"},
    {"type": "sparkles"},
]


def _sdk_problems(block):
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block

    try:
        parsed = Block.parse(block)
        if parsed is None:
            return ["unknown type"]
        parsed.to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as exc:
        return [str(exc)]
    return []


@pytest.mark.parametrize("block", TRUSTED_BLOCKS, ids=lambda b: json.dumps(b)[:60])
def test_a_block_the_check_trusts_without_slack_sdk_is_one_slack_sdk_accepts(block):
    assert within_sdk_checks(block) is True
    assert _sdk_problems(block) == []


@pytest.mark.parametrize("block", UNTRUSTED_BLOCKS, ids=lambda b: json.dumps(b)[:60])
def test_a_block_past_a_limit_or_of_another_shape_goes_through_slack_sdk(block):
    assert within_sdk_checks(block) is False


@pytest.mark.parametrize("block", TRUSTED_BLOCKS + UNTRUSTED_BLOCKS, ids=lambda b: json.dumps(b)[:60])
def test_the_fast_path_finds_the_same_problems_as_slack_sdk_would(block, monkeypatch):
    payload = {"text": "t", "blocks": [block]}
    fast = check_payload(payload)
    monkeypatch.setattr(
        "taskmanager.notifications.channels.slack.check.within_sdk_checks", lambda block: False
    )
    assert fast == check_payload(payload)


def test_the_default_template_needs_no_slack_sdk_models(make_report):
    from taskmanager.notifications import SlackNotificationHandler

    handler = SlackNotificationHandler("slack", options={"token": "xoxb-test-token", "channel": "#general"})
    for result in ("ok", "warnings", "errors", "failed"):
        payload = json.loads(handler.render(make_report(result, name=f"import {result}")).parts["json"])
        assert all(within_sdk_checks(block) for block in payload["blocks"]), result


PLAIN = {
    "text": "nightly: errors",
    "unfurl_links": False,
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "nightly: errors", "emoji": True}},
        section("*Errors*: 2"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Log*\n10 lines"}] * 4},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "handler slack"}]},
        {"type": "divider"},
    ],
}


def test_a_payload_of_plain_blocks_within_the_limits_fits_as_rendered():
    assert fits_as_rendered(PLAIN)
    assert fits_as_rendered({"text": "no blocks at all"})
    # What fitting and checking would say of it: nothing to change, nothing wrong.
    assert fit_payload(PLAIN).payload == PLAIN
    assert fit_payload(PLAIN).changes == []
    assert check_payload(PLAIN) == []


@pytest.mark.parametrize(
    "payload",
    [
        {**PLAIN, "attachments": []},  # a key Slack does not take here: fitting refuses it
        {**PLAIN, "text": " "},  # fitting fills it in from the blocks
        {**PLAIN, "text": "x" * 4001},
        {**PLAIN, "blocks": []},  # fitting drops the empty list
        {**PLAIN, "blocks": [section("s")] * 51},
        {**PLAIN, "blocks": [section("")]},
        {**PLAIN, "blocks": [section("x" * 3001)]},
        {**PLAIN, "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]},
        {**PLAIN, "blocks": [{"type": "image", "image_url": "https://x/y.png", "alt_text": "y"}]},
        {**PLAIN, "blocks": [{"type": "section"}]},
        {**PLAIN, "blocks": ["not an object"]},
    ],
)
def test_a_payload_that_breaks_a_limit_or_needs_slack_sdk_does_not_fit_as_rendered(payload):
    assert not fits_as_rendered(payload)
