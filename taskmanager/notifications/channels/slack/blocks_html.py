"""A picture of a Slack Block Kit message, for a page to draw (the admin's notification preview).

Slack's mrkdwn is read into paragraphs of styled spans and code blocks, and a payload's blocks
into plain dicts; nothing here is HTML yet. The template that draws them escapes every text, so
a report's content never reaches the page as markup, and only ``http(s)`` and ``mailto`` links
become links.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from taskmanager.notifications.channels.slack.text import unescape_mrkdwn
from taskmanager.notifications.preview.parts import payload_blocks

#: Emoji drawn as symbols that every font has, coloured like Slack's (the rest stay ``:name:``).
EMOJI = {
    "white_check_mark": "\u2714",
    "heavy_check_mark": "\u2714",
    "warning": "\u26a0",
    "x": "\u2716",
    "boom": "\u2739",
    "rotating_light": "\u2739",
    "information_source": "\u2139",
    "star": "\u2605",
}

_FENCE = re.compile(r"```(.*?)```", re.S)
_INLINE = re.compile(
    r"<(?P<angle>[^<>\n]+)>"
    r"|`(?P<code>[^`\n]+)`"
    r"|(?<!\w)\*(?P<bold>[^*\n]+)\*(?!\w)"
    r"|(?<!\w)_(?P<italic>[^_\n]+)_(?!\w)"
    r"|(?<!\w)~(?P<strike>[^~\n]+)~(?!\w)"
    r"|:(?P<emoji>[a-z0-9_+-]+):"
)
_SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.I)


@dataclass
class Span:
    """A run of text with one style (a link when ``href`` is set)."""

    text: str
    style: str = ""
    href: str = ""
    #: The emoji's name, for a known ``:name:``.
    emoji: str = ""


@dataclass
class Chunk:
    """A paragraph of inline spans, or a code block."""

    spans: list[Span] = field(default_factory=list)
    code: str | None = None


def _angle(content: str) -> Span:
    """``<url|label>``, ``<!date^...|fallback>``, ``<!here>``, ``<@U123>``, ``<#C123|name>``."""
    target, _bar, label = content.partition("|")
    if target.startswith("!date^"):
        return Span(unescape_mrkdwn(label or target))
    if target.startswith("!"):
        return Span("@" + target[1:].split("^")[0], "mention")
    if target.startswith(("@", "#")):
        return Span(unescape_mrkdwn(target[0] + (label or target[1:])), "mention")
    if _SAFE_LINK.match(target):
        return Span(unescape_mrkdwn(label or target), "link", href=unescape_mrkdwn(target))
    return Span(unescape_mrkdwn(label or target))


def _inline(text: str) -> list[Span]:
    spans: list[Span] = []
    position = 0
    for match in _INLINE.finditer(text):
        if match.start() > position:
            spans.append(Span(unescape_mrkdwn(text[position : match.start()])))
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "angle":
            spans.append(_angle(value))
        elif kind == "emoji":
            known = value in EMOJI
            spans.append(
                Span(EMOJI.get(value, match.group(0)), "emoji" if known else "", emoji=value if known else "")
            )
        else:
            spans.append(Span(unescape_mrkdwn(value), kind))
        position = match.end()
    if position < len(text):
        spans.append(Span(unescape_mrkdwn(text[position:])))
    return spans


def mrkdwn_chunks(text: str) -> list[Chunk]:
    """Slack mrkdwn as paragraphs and code blocks, for a template to draw (escaped there)."""
    chunks: list[Chunk] = []
    for index, piece in enumerate(_FENCE.split(text)):
        if index % 2:
            chunks.append(Chunk(code=unescape_mrkdwn(piece.strip("\n"))))
        elif piece.strip("\n"):
            chunks.append(Chunk(spans=_inline(piece.strip("\n"))))
    return chunks


def _text_object(obj: Any) -> list[Chunk]:
    if not isinstance(obj, dict):
        return []
    text = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn_chunks(text)
    return [Chunk(spans=[Span(text)])]


def slack_blocks(payload: str) -> list[dict[str, Any]] | None:
    """A picture of a Block Kit payload's blocks (None when the part has no blocks)."""
    raw_blocks = payload_blocks(payload)
    if raw_blocks is None:
        return None
    blocks: list[dict[str, Any]] = []
    for block in raw_blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "header":
            blocks.append({"type": "header", "text": str((block.get("text") or {}).get("text", ""))})
        elif kind == "section":
            blocks.append(
                {
                    "type": "section",
                    "text": _text_object(block.get("text")),
                    "fields": [_text_object(item) for item in block.get("fields") or []],
                }
            )
        elif kind == "context":
            elements = []
            for element in block.get("elements") or []:
                if isinstance(element, dict) and element.get("type") == "image":
                    elements.append([Chunk(spans=[Span(f"[{element.get('alt_text', 'image')}]")])])
                else:
                    elements.append(_text_object(element))
            blocks.append({"type": "context", "elements": elements})
        elif kind == "divider":
            blocks.append({"type": "divider"})
        elif kind == "image":
            # External images are not loaded by the preview: their alt text stands in.
            blocks.append(
                {"type": "image", "alt": str(block.get("alt_text", "")), "url": block.get("image_url")}
            )
        else:
            blocks.append({"type": "other", "kind": str(kind), "json": json.dumps(block, indent=2)})
    return blocks


def fallback_text(payload: str) -> str:
    """The payload's top-level ``text`` (what notifications and screen readers show), unescaped."""
    try:
        data = json.loads(payload)
    except ValueError:
        return ""
    return unescape_mrkdwn(str(data.get("text", ""))) if isinstance(data, dict) else ""
