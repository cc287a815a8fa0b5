"""Describing rendered parts: HTML summarised, JSON indented, Block Kit opened in the builder."""

import json
from urllib.parse import unquote

from taskmanager.notifications.preview.parts import (
    BLOCK_KIT_BUILDER,
    block_kit_builder_url,
    is_html,
    pretty_json,
    summarise_html,
)


def test_an_html_summary_gives_the_size_the_title_and_the_first_visible_text():
    html = (
        "<html><head><title> Daily  report </title><style>p { color: red }</style></head><body>"
        '<div style="display: none">a preheader</div><p>Hello <b>there</b></p><br><p>again</p></body></html>'
    )
    summary = summarise_html(html)
    assert (summary.title, summary.first_text) == ("Daily report", "Hello there again")
    assert summary.size == len(html)
    assert str(summary) == (
        f'HTML document, {len(html):,} bytes; title "Daily report"; begins "Hello there again"'
    )


def test_a_long_first_text_is_cut_with_an_ellipsis():
    summary = summarise_html("<p>" + "x" * 200 + "</p>", length=10)
    assert summary.first_text == "x" * 9 + "…"
    assert "title" not in str(summary)


def test_a_part_is_html_by_its_last_suffix():
    assert is_html("html")
    assert is_html("body.htm")
    assert not is_html("txt")
    assert not is_html("html.txt")


def test_json_is_indented_and_anything_else_left_as_it_is():
    assert pretty_json('{"a":[1]}') == json.dumps({"a": [1]}, indent=2)
    assert pretty_json("not json") == "not json"


def test_the_block_kit_builder_link_holds_only_the_blocks():
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "café & *co*"}}]
    url = block_kit_builder_url(json.dumps({"text": "fallback", "blocks": blocks}))
    assert url is not None
    assert url.startswith(BLOCK_KIT_BUILDER)
    assert json.loads(unquote(url.removeprefix(BLOCK_KIT_BUILDER))) == {"blocks": blocks}


def test_a_part_without_blocks_has_no_builder_link():
    assert block_kit_builder_url('{"text": "no blocks"}') is None
    assert block_kit_builder_url("not json") is None


def test_a_cut_first_text_ends_with_a_word_not_a_blank():
    summary = summarise_html("<p>" + "word " * 40 + "</p>", length=11)
    assert summary.first_text == "word word…"


def test_a_part_is_html_by_the_same_rule_as_everywhere():
    # part_kind's rule: a subject is a subject, whatever its suffix.
    assert not is_html("subject.html")
