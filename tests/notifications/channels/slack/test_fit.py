"""fit_payload: a payload made to fit Block Kit's limits, visibly; parse_payload: the rendered JSON."""

import pytest

from taskmanager.notifications.channels.slack.check import check_payload
from taskmanager.notifications.channels.slack.errors import PayloadError
from taskmanager.notifications.channels.slack.fit import fit_payload, parse_payload
from taskmanager.notifications.channels.slack.limits import MAX_BLOCKS
from taskmanager.notifications.channels.slack.text import slack_length
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
        # A missing comma: every Python says where the same way (3.13 words a trailing comma anew).
        parse_payload('{"text": "a"\n"blocks": []}')


def test_a_json_list_is_not_a_payload():
    with pytest.raises(PayloadError, match="must be a JSON object, not list"):
        parse_payload("[]")
