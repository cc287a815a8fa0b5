"""Slack's Block Kit limits for a message: the one table that fitting and checking both read.

Lengths are counted in UTF-16 code units (:func:`~.text.slack_length`), which is never less
than the characters Slack counts. :mod:`.fit` makes a payload keep these limits,
:mod:`.check` says which of them it still breaks.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Blocks in a message.
MAX_BLOCKS = 50
#: The top-level ``text`` (Slack may split a longer message; it truncates at 40,000).
MAX_TEXT = 4_000
#: A block's ``block_id``.
BLOCK_ID = 255
#: Fields in a section.
MAX_FIELDS = 10
#: Elements in a context block.
MAX_CONTEXT_ELEMENTS = 10

#: Top-level keys a template may set besides ``text`` and ``blocks``.
PASSTHROUGH_KEYS = frozenset({"unfurl_links", "unfurl_media", "username", "icon_emoji", "icon_url", "mrkdwn"})
#: Every top-level key a payload may have.
PAYLOAD_KEYS = PASSTHROUGH_KEYS | {"text", "blocks"}

#: The text object types Slack takes where a block holds text.
TEXT_TYPES = ("plain_text", "mrkdwn")


@dataclass(frozen=True)
class TextSlot:
    """A key of a block that holds text, and how much it may hold."""

    #: The block's key: ``"text"``, ``"fields"`` or ``"elements"``.
    key: str
    #: The longest text, in UTF-16 code units.
    limit: int
    #: For a list of text objects, how many at most; None for one text.
    most: int | None = None
    #: What a problem calls one of its texts: ``"text"``, ``"field 3"``, ``"element 0"``.
    label: str = "text"
    #: The text object types it takes; empty for a bare string (a ``markdown`` block).
    types: tuple[str, ...] = TEXT_TYPES
    #: Whether the block needs it (a section needs its text or its fields, not both).
    required: bool = False
    #: Whether its list may also hold what is not text (a context block's images).
    mixed: bool = False


HEADER_TEXT = TextSlot("text", 150, types=("plain_text",), required=True)
SECTION_TEXT = TextSlot("text", 3_000)
SECTION_FIELDS = TextSlot("fields", 2_000, most=MAX_FIELDS, label="field")
CONTEXT_ELEMENTS = TextSlot(
    "elements", 3_000, most=MAX_CONTEXT_ELEMENTS, label="element", required=True, mixed=True
)
MARKDOWN_TEXT = TextSlot("text", 12_000, types=(), required=True)

#: The blocks whose limits are known here, and where each holds text. Any other block type
#: is left to slack_sdk's models.
BLOCK_TEXT: dict[str, tuple[TextSlot, ...]] = {
    "header": (HEADER_TEXT,),
    "section": (SECTION_TEXT, SECTION_FIELDS),
    "context": (CONTEXT_ELEMENTS,),
    "markdown": (MARKDOWN_TEXT,),
    "divider": (),
}
