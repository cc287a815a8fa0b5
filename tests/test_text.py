"""taskmanager.text: hiding secrets, cutting text short, and what a part holds."""

from __future__ import annotations

import re

import pytest

from taskmanager.text import (
    clip,
    cut,
    more_characters,
    part_kind,
    printable,
    redact,
    secret_values,
    url_secrets,
)


def test_every_secret_is_hidden_the_longest_first() -> None:
    text = "token xoxb-123-456 and its prefix xoxb-123, again xoxb-123-456"
    assert redact(text, ["xoxb-123", "xoxb-123-456", ""]) == (
        "token [secret] and its prefix [secret], again [secret]"
    )
    assert redact("nothing to hide", []) == "nothing to hide"


def test_secrets_known_by_their_shape_are_hidden_after_the_values() -> None:
    token = re.compile(r"tok-[0-9]+")
    text = "ours tok-123456 and another tok-999"
    assert redact(text, ["tok-123456"], [token]) == "ours [secret] and another [secret]"
    assert redact("tok-1 stays without patterns", ["nothing"]) == "tok-1 stays without patterns"


@pytest.mark.parametrize(
    ("value", "secrets"),
    [
        ("xoxb-123", ["xoxb-123"]),
        (None, []),
        ("", []),
        ("abc", []),  # too short to be a secret: hiding it would mask half a message
        (["https://a.example/hook", "abc", None], ["https://a.example/hook"]),
        (("one-secret",), ["one-secret"]),
        ({"Authorization": "Bearer abcdef", "X-Team": "ops"}, ["Bearer abcdef"]),
        (12345, ["12345"]),
    ],
)
def test_the_secrets_an_options_value_holds(value: object, secrets: list[str]) -> None:
    assert secret_values(value) == secrets


def test_a_url_brings_each_piece_a_server_may_quote_alone() -> None:
    url = "https://chat.example/v1/spaces/AAAA/messages?key=AIza-key-0123&token=tok-123%3Dend"
    assert set(url_secrets(url)) >= {
        url,
        "/v1/spaces/AAAA/messages",
        "key=AIza-key-0123&token=tok-123%3Dend",
        "AIza-key-0123",
        "tok-123%3Dend",
        "tok-123=end",
    }
    assert "chat.example" not in url_secrets(url)  # the host alone is no secret


def test_a_long_path_segment_and_a_password_are_secrets_short_words_are_not() -> None:
    token = "x" * 68
    secrets = secret_values(f"https://bot:pw12@discord.example/api/webhooks/1234/{token}?wait=1")
    assert {token, "pw12", f"/api/webhooks/1234/{token}"} <= set(secrets)
    for word in ("webhooks", "wait=1", "/api"):
        assert word not in secrets
    # Hiding these would mask the same words in report content: "/hook" in a log line.
    assert secret_values("https://example.com/hook?v=2") == ["https://example.com/hook?v=2"]
    assert secret_values("https://example.com/") == ["https://example.com/"]


def test_what_is_not_an_http_url_is_its_own_only_secret() -> None:
    assert url_secrets("Bearer abc/def?x=1") == ["Bearer abc/def?x=1"]
    assert url_secrets("ftp://example.com/path-of-it") == ["ftp://example.com/path-of-it"]


def test_cut_keeps_the_limit_marker_included() -> None:
    assert cut("abcdef", 6) == "abcdef"
    assert cut("abcdefgh", 6) == "abcde…"
    assert cut("abcdefgh", 6, marker="[+]") == "abc[+]"
    assert cut("abcdefgh", 2, marker="[+]") == "[+]"


def test_a_cut_can_drop_the_blanks_before_its_marker() -> None:
    assert cut("nightly import of everything", 9) == "nightly …"
    assert cut("nightly import of everything", 9, rstrip=True) == "nightly…"
    assert cut("nightly", 9, rstrip=True) == "nightly"


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


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[1;31mERROR\x1b[0m boom", "ERROR boom"),  # colours (CSI)
        ("a\x1b[2K\x1b[1Gb", "ab"),  # line erase, cursor move
        ("x\x1b]0;window title\x07y", "xy"),  # OSC ended by BEL
        ("x\x1b]8;;https://e.example\x1b\\link\x1b]8;;\x1b\\y", "xlinky"),  # OSC hyperlink ended by ST
        ("bell\x07 nul\x00 backspace\x08 del\x7f", "bell nul backspace del"),
        ("eight-bit \x9b31mcsi", "eight-bit csi"),
        ("tab\tand\nnewline stay", "tab\tand\nnewline stay"),
        ("plain é 🎉 ```", "plain é 🎉 ```"),
        ("a lone escape \x1b", "a lone escape "),
    ],
)
def test_printable_takes_out_terminal_escapes_and_control_characters(text: str, shown: str) -> None:
    assert printable(text) == shown
