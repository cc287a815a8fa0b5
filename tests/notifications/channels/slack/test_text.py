"""Slack text: UTF-16 lengths, and cuts that keep a log's end, whole entities and closed code blocks."""

import pytest

from taskmanager.notifications.channels.slack.text import cut_mrkdwn, slack_length


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


def test_a_cut_log_counts_an_escaped_character_as_one_and_never_starts_inside_an_entity():
    text = "```\n" + "&amp;" * 1000 + "\n```"  # 1,000 characters of the report, 5,000 of mrkdwn
    cut = cut_mrkdwn(text, 3000)
    marker, shown = cut.removeprefix("```\n").removesuffix("\n```").split("\n")
    assert shown == "&amp;" * (len(shown) // 5)
    assert marker == f"… {1000 - len(shown) // 5:,} earlier characters"
