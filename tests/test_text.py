"""taskmanager.text: hiding secrets, cutting text short, and what a part holds."""

from __future__ import annotations

import pytest

from taskmanager.text import clip, cut, more_characters, part_kind, redact


def test_every_secret_is_hidden_the_longest_first() -> None:
    text = "token xoxb-123-456 and its prefix xoxb-123, again xoxb-123-456"
    assert redact(text, ["xoxb-123", "xoxb-123-456", ""]) == (
        "token [secret] and its prefix [secret], again [secret]"
    )
    assert redact("nothing to hide", []) == "nothing to hide"


def test_cut_keeps_the_limit_marker_included() -> None:
    assert cut("abcdef", 6) == "abcdef"
    assert cut("abcdefgh", 6) == "abcde…"
    assert cut("abcdefgh", 6, marker="[+]") == "abc[+]"
    assert cut("abcdefgh", 2, marker="[+]") == "[+]"


def test_the_more_characters_marker() -> None:
    assert more_characters(1234) == "… 1,234 more characters"


def test_clip_says_how_many_characters_were_cut() -> None:
    assert clip("abcdef", 4) == "abcd… [2 more characters]"
    assert clip("abcd", 4) == "abcd"
    assert clip("abcdef", 0) == "abcdef"
    assert clip("abcd", 2, length=10) == "ab… [8 more characters]"


@pytest.mark.parametrize(
    ("part", "kind"),
    [
        ("subject.txt", "subject"),
        ("subject", "subject"),
        ("html", "html"),
        ("htm", "html"),
        ("page.html", "html"),
        ("xml", "xml"),
        ("json", "json"),
        ("payload.json", "json"),
        ("txt", "text"),
        ("md", "text"),
        ("mail/default.html", "html"),
        ("shipped/slack/errors.json", "json"),
        ("mail/default.subject.txt", "text"),  # a template file: by its suffix
        ("mail/macros.jinja", "text"),
    ],
)
def test_a_parts_kind_comes_from_its_name(part: str, kind: str) -> None:
    assert part_kind(part) == kind
