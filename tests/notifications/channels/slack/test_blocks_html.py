"""A picture of a Slack Block Kit message: mrkdwn read into styled spans, blocks into plain dicts."""

import json

from taskmanager.notifications.channels.slack.blocks_html import (
    Chunk,
    Span,
    fallback_text,
    mrkdwn_chunks,
    slack_blocks,
)


def test_mrkdwn_becomes_paragraphs_code_blocks_and_styled_spans():
    chunks = mrkdwn_chunks(
        ":x: *Failed* at <!date^1772413200^{date_short_pretty}|2026-03-02 02:00>, see "
        "<https://example.com/r/1|the report> or <@U123>\n```\nERROR &lt;!here&gt; &amp; more\n```\n_done_"
    )
    assert chunks == [
        Chunk(
            spans=[
                Span("\u2716", "emoji", emoji="x"),
                Span(" "),
                Span("Failed", "bold"),
                Span(" at "),
                Span("2026-03-02 02:00"),
                Span(", see "),
                Span("the report", "link", href="https://example.com/r/1"),
                Span(" or "),
                Span("@U123", "mention"),
            ]
        ),
        Chunk(code="ERROR <!here> & more"),
        Chunk(spans=[Span("done", "italic")]),
    ]


def test_mrkdwn_links_to_anything_but_http_and_mail_stay_text():
    [chunk] = mrkdwn_chunks("<javascript:alert(1)|click> <data:text/html,x> <mailto:a@b.c|mail>")
    assert [span.href for span in chunk.spans if span.href] == ["mailto:a@b.c"]
    assert chunk.spans[0] == Span("click")


def test_blocks_the_picture_does_not_draw_are_shown_as_json():
    blocks = slack_blocks(json.dumps({"text": "x", "blocks": [{"type": "actions", "elements": []}]}))
    assert blocks == [
        {
            "type": "other",
            "kind": "actions",
            "json": json.dumps({"type": "actions", "elements": []}, indent=2),
        }
    ]
    assert slack_blocks('{"text": "no blocks"}') is None


def test_bold_italic_strike_and_code_are_styled_spans():
    [chunk] = mrkdwn_chunks("*bold* _italic_ ~gone~ `a_b*c`")
    assert chunk.spans == [
        Span("bold", "bold"),
        Span(" "),
        Span("italic", "italic"),
        Span(" "),
        Span("gone", "strike"),
        Span(" "),
        Span("a_b*c", "code"),
    ]


def test_markers_inside_words_are_text():
    [chunk] = mrkdwn_chunks("snake_case_name and a*b*c")
    assert chunk.spans == [Span("snake_case_name and a*b*c")]


def test_slack_escapes_are_undone_once_for_the_page_to_escape_again():
    [chunk] = mrkdwn_chunks("a &lt;b&gt; &amp;amp; <https://x.example/?a=1&amp;b=2|R &amp; D>")
    assert chunk.spans == [
        Span("a <b> &amp; "),
        Span("R & D", "link", href="https://x.example/?a=1&b=2"),
    ]


def test_a_link_without_a_label_shows_its_address():
    [chunk] = mrkdwn_chunks("<https://example.com/r/1>")
    assert chunk.spans == [Span("https://example.com/r/1", "link", href="https://example.com/r/1")]


def test_mentions_and_known_emoji_are_drawn_and_unknown_emoji_stay_as_written():
    [chunk] = mrkdwn_chunks("<!here> <#C1|ops> <@U123> :no_such_emoji: :warning:")
    assert chunk.spans == [
        Span("@here", "mention"),
        Span(" "),
        Span("#ops", "mention"),
        Span(" "),
        Span("@U123", "mention"),
        Span(" "),
        Span(":no_such_emoji:"),
        Span(" "),
        Span("\u26a0", "emoji", emoji="warning"),
    ]


def test_the_blocks_the_picture_draws():
    payload = {
        "text": "fallback",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Import: errors"}},
            {
                "type": "section",
                "text": {"type": "plain_text", "text": "*not bold*"},
                "fields": [{"type": "mrkdwn", "text": "_italic_"}],
            },
            {
                "type": "context",
                "elements": [
                    {"type": "image", "image_url": "https://example.com/logo.png", "alt_text": "logo"},
                    {"type": "mrkdwn", "text": "*bold*"},
                ],
            },
            {"type": "divider"},
            {"type": "image", "image_url": "https://example.com/chart.png", "alt_text": "chart"},
        ],
    }
    assert slack_blocks(json.dumps(payload)) == [
        {"type": "header", "text": "Import: errors"},
        {
            "type": "section",
            "text": [Chunk(spans=[Span("*not bold*")])],
            "fields": [[Chunk(spans=[Span("italic", "italic")])]],
        },
        {
            "type": "context",
            "elements": [[Chunk(spans=[Span("[logo]")])], [Chunk(spans=[Span("bold", "bold")])]],
        },
        {"type": "divider"},
        {"type": "image", "alt": "chart", "url": "https://example.com/chart.png"},
    ]


def test_a_part_that_is_not_a_block_kit_payload_has_no_picture():
    assert slack_blocks("not json") is None
    assert slack_blocks("[1, 2]") is None


def test_the_fallback_text_is_unescaped():
    assert fallback_text(json.dumps({"text": "Import &lt;daily&gt; &amp; co", "blocks": []})) == (
        "Import <daily> & co"
    )
    assert fallback_text("not json") == ""
    assert fallback_text('["a list"]') == ""
