"""Why Slack would reject a payload: slack_sdk's Block Kit models, plus the limits they miss.

slack_sdk's models check what they cover (``Block.parse(...).to_dict()``); our own checks
cover what they miss (the block count, field length, mrkdwn headers, empty text and the
top-level text), reading the same table of limits as fitting (:mod:`.limits`). Building
slack_sdk's models is most of the cost of a check, so a block made only of what both know
(text objects in a header, section, context, divider or markdown block) that is within every
limit slack_sdk checks skips them: they could not object to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from taskmanager.notifications.channels.slack.limits import (
    BLOCK_ID,
    BLOCK_TEXT,
    MAX_BLOCKS,
    MAX_TEXT,
    PAYLOAD_KEYS,
    TEXT_TYPES,
    TextSlot,
)
from taskmanager.notifications.channels.slack.text import slack_length, text_of

# The keys slack_sdk's text objects take; a text object with any other key goes through its models.
_TEXT_KEYS = {
    "plain_text": frozenset({"type", "text", "emoji"}),
    "mrkdwn": frozenset({"type", "text", "verbatim"}),
}
# The keys each known block type may have and stay a plain shape, made once from the table.
_BLOCK_KEYS = {
    kind: frozenset({"type", "block_id", *(slot.key for slot in slots)}) for kind, slots in BLOCK_TEXT.items()
}


def fits_as_rendered(payload: Mapping[str, Any]) -> bool:
    """Whether ``payload`` keeps every limit as it is: known top-level keys, a top-level text,
    and blocks that are all plain shapes (:func:`within_sdk_checks`) passing our own checks.

    Fitting changes nothing in such a payload, and :func:`check_payload` finds nothing.
    """
    if not payload.keys() <= PAYLOAD_KEYS:
        return False
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip() or slack_length(text) > MAX_TEXT:
        return False
    if "blocks" not in payload:
        return True
    blocks = payload["blocks"]
    if not isinstance(blocks, list) or not 0 < len(blocks) <= MAX_BLOCKS:
        return False
    return all(
        isinstance(block, dict) and within_sdk_checks(block) and not _own_checks(block, "")
        for block in blocks
    )


def check_payload(payload: Mapping[str, Any]) -> list[str]:
    """Why Slack would reject ``payload``: slack_sdk's block models plus the limits they miss."""
    problems: list[str] = []
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("'text' (the notification fallback) is missing")
    elif slack_length(text) > MAX_TEXT:
        problems.append(f"'text' is longer than {MAX_TEXT:,} characters")
    blocks = payload.get("blocks") or []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks, more than {MAX_BLOCKS}")
    for index, raw in enumerate(blocks):
        where = f"block {index} ({raw.get('type')})"
        if within_sdk_checks(raw):
            problems.extend(_own_checks(raw, where))
            continue
        # Only for a block our own table cannot vouch for: most payloads never import slack_sdk.
        from slack_sdk.errors import SlackObjectFormationError
        from slack_sdk.models.blocks import Block

        try:
            block = Block.parse(raw)
            if block is None:
                problems.append(f"{where}: unknown block type {raw.get('type')!r}")
                continue
            block.to_dict()  # runs slack_sdk's validators, nested objects included
        except SlackObjectFormationError as exc:
            problems.append(f"{where}: {exc}")
            continue
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            problems.append(f"{where}: malformed ({type(exc).__name__}: {exc})")
            continue
        problems.extend(_own_checks(raw, where))
    return problems


def _sdk_accepts(value: object, slot: TextSlot) -> bool:
    """Whether slack_sdk takes ``value`` as one text of ``slot``, by the rules it checks."""
    if not slot.types:
        return isinstance(value, str) and 0 < len(value) <= slot.limit
    if not isinstance(value, dict) or value.get("type") not in slot.types:
        return False
    text = value.get("text")
    return value.keys() <= _TEXT_KEYS[value["type"]] and isinstance(text, str) and 0 < len(text) <= slot.limit


def within_sdk_checks(block: Mapping[str, Any]) -> bool:
    """Whether slack_sdk's models would accept ``block`` for certain (so they need not be built).

    True only for the plain shapes whose every slack_sdk validator is re-stated here
    (block_id length; header text; section text or fields, their count and length;
    context elements; markdown text); anything else goes through slack_sdk.
    """
    kind = block.get("type")
    if not isinstance(kind, str) or kind not in BLOCK_TEXT or not block.keys() <= _BLOCK_KEYS[kind]:
        return False
    slots = BLOCK_TEXT[kind]
    block_id = block.get("block_id")
    if block_id is not None and not (isinstance(block_id, str) and len(block_id) <= BLOCK_ID):
        return False
    filled = False
    for slot in slots:
        value = block.get(slot.key)
        if value is None:
            if slot.required:
                return False
        elif slot.most is None:
            if not _sdk_accepts(value, slot):
                return False
            filled = True
        else:
            if not isinstance(value, list) or len(value) > slot.most:
                return False
            for item in value:
                if not _sdk_accepts(item, slot):
                    return False
            filled = filled or bool(value)
    # A block that holds text must hold some (a divider holds none).
    return filled or not slots


def _own_checks(block: Mapping[str, Any], where: str) -> list[str]:
    """The limits slack_sdk's models do not check."""
    problems: list[str] = []
    kind = block.get("type")
    # (the text object, its limit, its slot, its number in a list or None): a problem's words
    # are made only for a problem (a payload that fits has none, and is checked on every send).
    texts: list[tuple[object, int, TextSlot, int | None]] = []
    for slot in BLOCK_TEXT.get(kind, ()) if isinstance(kind, str) else ():
        if not slot.types:
            continue  # a bare string (markdown text): slack_sdk checks it
        if slot.most is None:
            if slot.key not in block and not slot.required:
                continue
            value = block.get(slot.key)
            # slack_sdk takes a mrkdwn header; Slack does not.
            if slot.types != TEXT_TYPES and (
                not isinstance(value, dict) or value.get("type") not in slot.types
            ):
                problems.append(f"{where}: a {kind}'s {slot.key} must be {' or '.join(slot.types)}")
            texts.append((value, slot.limit, slot, None))
            continue
        items = block.get(slot.key) or []
        if slot.required and not items:
            problems.append(f"{where}: a {kind} block needs at least one {slot.label}")
        texts.extend(
            (item, slot.limit, slot, number)
            for number, item in enumerate(items)
            if not slot.mixed or (isinstance(item, dict) and item.get("type") in slot.types)
        )
    for obj, limit, slot, number in texts:
        text = text_of(obj)
        # isspace(), not strip(): no copy of a long text to learn it is not blank.
        blank = text is not None and (not text or text.isspace())
        if text is not None and not blank and slack_length(text) <= limit:
            continue
        name = slot.label if number is None else f"{slot.label} {number}"
        if text is None:
            problems.append(f"{where}: {name} has no text")
        elif blank:
            problems.append(f"{where}: {name} is empty")
        else:
            problems.append(f"{where}: {name} is longer than {limit:,} characters")
    return problems
