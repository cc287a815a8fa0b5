"""Describing rendered parts for people: HTML summarised, JSON indented, Block Kit opened in Slack's builder.

Terminals and JSON documents do not show HTML, and a Block Kit payload is easier to judge in
Slack's Block Kit Builder: the builder's link is only a URL holding the blocks as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

from taskmanager.text import cut, part_kind

BLOCK_KIT_BUILDER = "https://app.slack.com/block-kit-builder/#"


def payload_blocks(payload: str) -> list[Any] | None:
    """The ``blocks`` of a rendered JSON part, or None when it is not JSON or has none."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("blocks"), list):
        return None
    return data["blocks"]


def block_kit_builder_url(payload: str) -> str | None:
    """A link that opens ``payload``'s blocks in Slack's Block Kit Builder (None if it has none)."""
    blocks = payload_blocks(payload)
    if blocks is None:
        return None
    document = json.dumps({"blocks": blocks}, ensure_ascii=False, separators=(",", ":"))
    return BLOCK_KIT_BUILDER + quote(document, safe="")


def pretty_json(text: str) -> str:
    """``text`` indented when it is JSON, as it is otherwise."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, indent=2)
    except ValueError:
        return text


@dataclass(frozen=True)
class HtmlSummary:
    size: int
    title: str
    first_text: str

    def __str__(self) -> str:
        text = f"HTML document, {self.size:,} bytes"
        if self.title:
            text += f'; title "{self.title}"'
        if self.first_text:
            text += f'; begins "{self.first_text}"'
        return text


class _TextFinder(HTMLParser):
    """Collects the title and the visible body text of an HTML document."""

    _HIDDEN = frozenset({"head", "style", "script", "title", "template", "noscript"})
    _VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.text: list[str] = []
        # Open elements: (tag, hidden). Mail preheaders hide with display:none;
        # they are not what a reader sees first.
        self._open: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._VOID:
            return
        style = (dict(attrs).get("style") or "").replace(" ", "").lower()
        self._open.append((tag, tag in self._HIDDEN or "display:none" in style))

    def handle_endtag(self, tag: str) -> None:
        if any(open_tag == tag for open_tag, _hidden in self._open):
            while self._open and self._open.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1][0] == "title":
            self.title.append(data)
        elif not any(hidden for _tag, hidden in self._open):
            self.text.append(data)


def summarise_html(text: str, *, length: int = 100) -> HtmlSummary:
    """Size, title and the first visible text of an HTML part (terminals do not show HTML)."""
    finder = _TextFinder()
    finder.feed(text)
    finder.close()
    title = " ".join("".join(finder.title).split())
    body = " ".join(" ".join(finder.text).split())
    return HtmlSummary(size=len(text.encode("utf-8")), title=title, first_text=cut(body, length, rstrip=True))


def is_html(part: str) -> bool:
    """Whether ``part`` holds HTML (3.0's name for ``part_kind(part) == "html"``)."""
    return part_kind(part) == "html"
