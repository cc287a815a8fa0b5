"""Slack text: its length as Slack's limits count it, cut to a limit, and mrkdwn escaping.

A cut says how much it left out, counting ``&amp;`` as the one character it stands for:
``… 1,234 more characters`` at the end of a text, ``… 1,234 earlier characters`` at the top
of a cut log. Lengths are counted in UTF-16 code units, which is never less than the
characters Slack counts, so an emoji-heavy text cannot slip past a limit.
"""

from __future__ import annotations

import re

from taskmanager.text import more_characters

FENCE = "```"
# A log tail cut to less than this is no longer worth reading; cut the text's end instead.
_MIN_CODE_KEPT = 200
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_MRKDWN_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def slack_length(text: str) -> int:
    """The length Slack's limits are checked against, counted conservatively (UTF-16 units)."""
    if text.isascii():
        return len(text)
    # Two units for a character beyond the BMP; "surrogatepass" counts a lone surrogate as one.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _prefix_within(text: str, budget: int) -> int:
    """How many characters from the start of ``text`` fit in ``budget`` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > budget:
            return index
    return len(text)


def _suffix_within(text: str, budget: int) -> int:
    """Index where the longest suffix of ``text`` fitting in ``budget`` units starts."""
    used = 0
    for index in range(len(text) - 1, -1, -1):
        used += 2 if ord(text[index]) > 0xFFFF else 1
        if used > budget:
            return index + 1
    return 0


def earlier_marker(count: int) -> str:
    return f"… {count:,} earlier characters"


def cut_plain(text: str, limit: int) -> str:
    """``text`` cut at its end to ``limit`` units, the marker included."""
    if slack_length(text) <= limit:
        return text
    marker = more_characters(len(text))  # the longest the marker can be
    keep = _prefix_within(text, max(0, limit - len(marker)))
    return text[:keep] + more_characters(len(text) - keep)


def _safe_mrkdwn_end(text: str) -> str:
    """Back off from a cut that lands inside an entity (``&am``) or a ``<link|...>``."""
    amp = text.rfind("&", max(0, len(text) - 4))
    if amp != -1 and ";" not in text[amp:]:
        text = text[:amp]
    opened, closed = text.rfind("<"), text.rfind(">")
    if opened > closed:
        text = text[:opened]
    return text


def cut_mrkdwn(text: str, limit: int) -> str:
    """``text`` (mrkdwn) cut to ``limit`` units.

    A text ending with a code block (a log tail) keeps the end of its code and
    its closing fence; any other text keeps its start, never ends inside an
    entity, a link or an open code block, and says how much was cut.
    """
    if slack_length(text) <= limit:
        return text
    tail_cut = _cut_code_tail(text, limit)
    if tail_cut is not None:
        return tail_cut
    marker = more_characters(len(text))
    closing = "\n" + FENCE + "\n"
    keep = _prefix_within(text, max(0, limit - len(marker) - len(closing)))
    kept = _safe_mrkdwn_end(text[:keep])
    # Counted as the reader would: "&amp;" is one character of the report.
    suffix = more_characters(len(unescape_mrkdwn(text[len(kept) :])))
    if kept.count(FENCE) % 2:
        # The cut is inside a code block: close it, or the marker would read as code.
        kept += closing
    return kept + suffix


def _cut_code_tail(text: str, limit: int) -> str | None:
    stripped = text.rstrip()
    if not stripped.endswith(FENCE):
        return None
    close = len(stripped) - len(FENCE)
    open_ = text.find(FENCE)
    if open_ == -1 or open_ >= close:
        return None
    head_end = open_ + len(FENCE)
    if text.startswith("\n", head_end):
        head_end += 1
    head, body, tail = text[:head_end], text[head_end:close], text[close:]
    marker_line = earlier_marker(len(body)) + "\n"
    budget = limit - slack_length(head) - slack_length(tail) - len(marker_line)
    if budget < _MIN_CODE_KEPT:
        return None
    start = _suffix_within(body, budget)
    newline = body.find("\n", start)
    if start > 0 and body[start - 1] != "\n" and newline != -1 and newline + 1 < len(body):
        # Whole lines read better than half of one.
        start = newline + 1
    else:
        # Do not start inside an entity such as "&amp;" (it would read "mp;").
        amp = body.rfind("&", max(0, start - 4), start)
        if amp != -1:
            match = _ENTITY.match(body, amp)
            if match and match.end() > start:
                start = match.end()
    return head + earlier_marker(len(unescape_mrkdwn(body[:start]))) + "\n" + body[start:] + tail


def escape_mrkdwn(text: str) -> str:
    return text.translate(_MRKDWN_ESCAPES)


def unescape_mrkdwn(text: str) -> str:
    """The text a mrkdwn string stands for: Slack escapes exactly ``&``, ``<`` and ``>``."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_of(obj: object) -> str | None:
    """The ``text`` of a text object (``{"type": "mrkdwn", "text": ...}``), None if it has none."""
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        text: str = obj["text"]
        return text
    return None
