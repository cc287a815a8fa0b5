import json

import pytest

from taskmanager.notifications.channels.slack.payload import (
    MAX_BLOCKS,
    PayloadError,
    check_payload,
    cut_mrkdwn,
    fit_payload,
    parse_payload,
    prepare_payload,
    slack_length,
)
from tests.fakes.slack import validate_blocks


def section(text, kind="mrkdwn"):
    return {"type": "section", "text": {"type": kind, "text": text}}


def context(*texts):
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts]}


def fit(payload):
    """Fit, then make sure both slack_sdk's models and the fake's Slack rules accept the result."""
    fitted = fit_payload(payload)
    assert check_payload(fitted.payload) == []
    assert validate_blocks(fitted.payload.get("blocks", [])) == (None, [])
    return fitted


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("", 0),
        ("plain ascii", 11),
        ("caffè · naïve", 13),  # beyond ASCII, within the BMP: one unit each
        ("ok 🎉", 5),  # beyond the BMP: two units
        ("🎉" * 3 + "x", 7),
        ("a\ud800b", 3),  # a lone surrogate counts as one unit
    ],
)
def test_slack_length_counts_utf16_code_units(text, units):
    assert slack_length(text) == units


def test_a_payload_within_the_limits_is_left_as_it_is():
    payload = {"text": "hello", "blocks": [section("*hi* there"), context("<https://x.test/|link>")]}
    fitted = fit(payload)
    assert fitted.payload == payload
    assert fitted.changes == []


def test_sixty_blocks_are_cut_to_fifty_keeping_the_last_context_block_and_a_note():
    blocks = [section(f"block {i}") for i in range(59)] + [context("<https://x.test/r/1|Open the report>")]
    fitted = fit({"text": "t", "blocks": blocks})
    kept = fitted.payload["blocks"]
    assert len(kept) == MAX_BLOCKS
    assert kept[:48] == blocks[:48]
    assert kept[-1] == blocks[-1]
    assert kept[-2]["type"] == "context"
    assert "11 more blocks left out" in kept[-2]["elements"][0]["text"]


def test_too_many_blocks_without_a_context_block_keep_forty_nine_and_the_note():
    fitted = fit({"text": "t", "blocks": [section(f"block {i}") for i in range(55)]})
    kept = fitted.payload["blocks"]
    assert len(kept) == MAX_BLOCKS
    assert kept[48]["text"]["text"] == "block 48"
    assert "6 more blocks left out" in kept[49]["elements"][0]["text"]


def test_a_five_thousand_character_text_is_cut_to_four_thousand_with_a_marker():
    fitted = fit({"text": "a" * 5000})
    text = fitted.payload["text"]
    assert len(text) <= 4000
    assert text.endswith("more characters")
    kept, marker = text.split("… ")
    assert marker == f"{5000 - len(kept):,} more characters"


def test_a_long_section_keeps_its_start_and_says_how_much_was_cut():
    text = "".join(f"word{i} " for i in range(1000))
    fitted = fit({"text": "t", "blocks": [section(text)]})
    cut = fitted.payload["blocks"][0]["text"]["text"]
    assert len(cut) <= 3000
    assert cut.startswith("word0 word1 ")
    assert cut.endswith(f"… {len(text) - len(cut.split('…')[0]):,} more characters")


def test_a_log_tail_keeps_its_last_lines_and_its_closing_fence():
    lines = [f"{i:02d} " + "x" * 896 for i in range(10)]
    text = "*Last 10 log lines*\n```\n" + "\n".join(lines) + "\n```"
    fitted = fit({"text": "t", "blocks": [section(text)]})
    cut = fitted.payload["blocks"][0]["text"]["text"]
    assert len(cut) <= 3000
    assert cut.startswith("*Last 10 log lines*\n```\n… ")
    assert "earlier characters\n" in cut
    assert cut.endswith(lines[-1] + "\n```")
    # Whole lines only: the first kept line starts at a line's beginning.
    kept = cut.split("earlier characters\n", 1)[1].removesuffix("\n```").split("\n")
    assert kept == lines[-len(kept) :]
    assert len(kept) >= 2


def test_one_huge_log_line_keeps_its_end():
    text = "```\n" + "start" + "y" * 5000 + "END```"
    cut = cut_mrkdwn(text, 3000)
    assert slack_length(cut) <= 3000
    assert cut.endswith("yEND```")
    assert cut.startswith("```\n… ")


def test_a_cut_never_leaves_half_an_entity_or_half_a_link():
    text = "a" * 2970 + "&amp;&lt;!channel&gt;" + "b" * 100
    cut = cut_mrkdwn(text, 3000)
    assert "&am…" not in cut
    assert "&a…" not in cut
    assert cut.split("…")[0].endswith(("a", ";"))
    linked = "c" * 2960 + "<https://x.test/very/long/path|label>" + "d" * 100
    cut = cut_mrkdwn(linked, 3000)
    assert "<" not in cut


def test_a_cut_inside_a_code_block_closes_it_before_the_marker():
    text = "*Output*\n```\n" + "z" * 4000 + "\n```\nafter"
    cut = cut_mrkdwn(text, 3000)
    assert slack_length(cut) <= 3000
    assert cut.count("```") == 2
    assert cut.endswith("more characters")


def test_emoji_count_double_so_an_astral_heavy_header_still_fits():
    fitted = fit(
        {"text": "t", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "🎉" * 140}}]}
    )
    header = fitted.payload["blocks"][0]["text"]["text"]
    assert slack_length(header) <= 150
    assert header.startswith("🎉")


def test_a_mrkdwn_header_becomes_plain_text_and_is_unescaped():
    block = {"type": "header", "text": {"type": "mrkdwn", "text": "a &amp; b &lt;c&gt;"}}
    fitted = fit({"text": "t", "blocks": [block]})
    assert fitted.payload["blocks"][0]["text"] == {"type": "plain_text", "text": "a & b <c>", "emoji": True}


def test_fields_are_cut_to_two_thousand_and_split_by_ten():
    fields = [{"type": "mrkdwn", "text": f"field {i} " + "f" * (2500 if i == 0 else 10)} for i in range(23)]
    fitted = fit({"text": "t", "blocks": [{"type": "section", "fields": fields}]})
    blocks = fitted.payload["blocks"]
    assert [len(b["fields"]) for b in blocks] == [10, 10, 3]
    assert len(blocks[0]["fields"][0]["text"]) <= 2000
    assert blocks[2]["fields"][2]["text"].startswith("field 22 ")


def test_surplus_context_elements_are_merged_and_plain_text_is_escaped_on_the_way():
    elements = [{"type": "mrkdwn", "text": f"e{i}"} for i in range(11)] + [
        {"type": "plain_text", "text": "<!channel>"}
    ]
    fitted = fit({"text": "t", "blocks": [{"type": "context", "elements": elements}]})
    kept = fitted.payload["blocks"][0]["elements"]
    assert len(kept) == 10
    assert kept[-1] == {"type": "mrkdwn", "text": "e9  ·  e10  ·  &lt;!channel&gt;"}


def test_empty_texts_are_dropped_instead_of_rejected():
    payload = {
        "text": "t",
        "blocks": [
            section("   "),
            {"type": "section", "fields": [{"type": "mrkdwn", "text": ""}, {"type": "mrkdwn", "text": "x"}]},
            context(""),
            {"type": "header", "text": {"type": "plain_text", "text": ""}},
        ],
    }
    fitted = fit(payload)
    assert fitted.payload["blocks"] == [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}]}]


def test_a_missing_text_is_filled_in_from_the_header():
    header = {"type": "header", "text": {"type": "plain_text", "text": "Deploy <done> & dusted"}}
    fitted = fit({"blocks": [header]})
    assert fitted.payload["text"] == "Deploy &lt;done&gt; &amp; dusted"


def test_fitting_is_idempotent():
    blocks = [section("q" * 4000)] * 55 + [context("<https://x.test/|l>")]
    once = fit({"text": "x" * 4500, "blocks": blocks}).payload
    twice = fit_payload(once)
    assert twice.payload == once
    assert twice.changes == []


def test_invalid_json_says_where():
    with pytest.raises(PayloadError, match=r"not valid JSON: .* line 2, column 1"):
        parse_payload('{"text": "a",\n}')


def test_a_json_list_is_not_a_payload():
    with pytest.raises(PayloadError, match="must be a JSON object, not list"):
        parse_payload("[]")


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"text": "t", "blocks": [{"type": "sparkles"}]}, "unknown block type 'sparkles'"),
        ({"text": "t", "blocks": [{"type": "header"}]}, "text attribute must be specified"),
        ({"text": "t", "blocks": "nope"}, "'blocks' must be a list of objects"),
        ({"text": "t", "channel": "C1"}, "unknown top-level key(s) 'channel'"),
        ({"text": 5}, "'text' must be a string"),
        ({"text": "t", "blocks": [{"type": "section", "text": "raw string"}]}, "text has no text"),
    ],
)
def test_what_cannot_be_made_to_fit_is_refused_with_the_reason(payload, problem):
    with pytest.raises(PayloadError) as caught:
        prepare_payload(json.dumps(payload))
    assert problem in str(caught.value)


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


def test_a_cut_log_counts_an_escaped_character_as_one_and_never_starts_inside_an_entity():
    text = "```\n" + "&amp;" * 1000 + "\n```"  # 1,000 characters of the report, 5,000 of mrkdwn
    cut = cut_mrkdwn(text, 3000)
    marker, shown = cut.removeprefix("```\n").removesuffix("\n```").split("\n")
    assert shown == "&amp;" * (len(shown) // 5)
    assert marker == f"… {1000 - len(shown) // 5:,} earlier characters"


def _text(kind, text, **extra):
    return {"type": kind, "text": text, **extra}


# Blocks in the shapes the check's fast path knows, within slack_sdk's limits and just past them.
BLOCKS_NEAR_THE_LIMITS = [
    {"type": "divider"},
    {"type": "divider", "block_id": "b" * 255},
    {"type": "divider", "block_id": "b" * 256},
    {"type": "divider", "block_id": 7},
    {"type": "header", "text": _text("plain_text", "h" * 150, emoji=True)},
    {"type": "header", "text": _text("plain_text", "h" * 151)},
    {"type": "header", "text": _text("mrkdwn", "h")},
    {"type": "header"},
    {"type": "header", "text": _text("plain_text", "")},
    {"type": "section", "text": _text("mrkdwn", "s" * 3000, verbatim=True)},
    {"type": "section", "text": _text("mrkdwn", "s" * 3001)},
    {"type": "section", "text": _text("mrkdwn", "s", emoji=True)},
    {"type": "section", "text": _text("sparkles", "s")},
    {"type": "section", "text": "a raw string"},
    {"type": "section", "text": _text("mrkdwn", 5)},
    {"type": "section", "fields": [_text("mrkdwn", "f")] * 10},
    {"type": "section", "fields": [_text("mrkdwn", "f")] * 11},
    {"type": "section", "fields": []},
    {"type": "section", "fields": [_text("plain_text", "f" * 2001)]},
    {"type": "section"},
    {"type": "section", "text": _text("mrkdwn", "s"), "accessory": {"type": "button"}},
    {"type": "context", "elements": [_text("mrkdwn", "c")] * 10},
    {"type": "context", "elements": [_text("mrkdwn", "c")] * 11},
    {"type": "context", "elements": []},
    {
        "type": "context",
        "elements": [{"type": "image", "image_url": "https://x.test/i.png", "alt_text": "i"}],
    },
    {"type": "markdown", "text": "m" * 12000},
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


@pytest.mark.parametrize("block", BLOCKS_NEAR_THE_LIMITS, ids=lambda b: json.dumps(b)[:60])
def test_a_block_the_check_trusts_without_slack_sdk_is_one_slack_sdk_accepts(block):
    from taskmanager.notifications.channels.slack.payload import within_sdk_checks

    if within_sdk_checks(block):
        assert _sdk_problems(block) == []


@pytest.mark.parametrize("block", BLOCKS_NEAR_THE_LIMITS, ids=lambda b: json.dumps(b)[:60])
def test_the_fast_path_finds_the_same_problems_as_slack_sdk_would(block, monkeypatch):
    payload = {"text": "t", "blocks": [block]}
    fast = check_payload(payload)
    monkeypatch.setattr(
        "taskmanager.notifications.channels.slack.payload.within_sdk_checks", lambda block: False
    )
    assert fast == check_payload(payload)


def test_the_default_template_needs_no_slack_sdk_models(make_report):
    from taskmanager.notifications import SlackNotificationHandler
    from taskmanager.notifications.channels.slack.payload import within_sdk_checks

    handler = SlackNotificationHandler("slack", options={"token": "xoxb-test-token", "channel": "#general"})
    for result in ("ok", "warnings", "errors", "failed"):
        payload = json.loads(handler.render(make_report(result, name=f"import {result}")).parts["json"])
        assert all(within_sdk_checks(block) for block in payload["blocks"]), result
