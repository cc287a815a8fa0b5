"""A Slack payload made to fit Block Kit's limits (:mod:`.limits`), visibly.

Slack rejects a whole message (``invalid_blocks``) when one block breaks a limit, so a
notification carrying a long log would be lost. Instead the payload is cut to fit when it
is rendered, and every change is said in a sentence:

=================================  =============================================
over the limit                     made to fit by
=================================  =============================================
blocks in a message                dropping blocks from the end, keeping the last
                                   context block (the links), with a note
top-level ``text``                 cutting its end, with a marker
header text                        cutting its end (a mrkdwn header becomes
                                   plain_text first)
section text                       cutting its end; a text that ends with a code
                                   block (a log tail) is cut from the start of
                                   the code instead, keeping its last lines
section fields                     splitting into consecutive sections
each field                         cutting its end
context elements                   merging the surplus text into the last one kept
context element text               cutting its end
``markdown`` block text            as section text
``block_id``                       cutting it
empty text (Slack rejects it)      dropping the element or block
=================================  =============================================

What cannot be made to fit (JSON that is not an object, a top-level key Slack does not
take, ``blocks`` that are not a list of objects) raises :class:`~.errors.PayloadError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from taskmanager.notifications.channels.slack.errors import PayloadError
from taskmanager.notifications.channels.slack.limits import (
    BLOCK_ID,
    CONTEXT_ELEMENTS,
    HEADER_TEXT,
    MARKDOWN_TEXT,
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_FIELDS,
    MAX_TEXT,
    PASSTHROUGH_KEYS,
    SECTION_FIELDS,
    SECTION_TEXT,
)
from taskmanager.notifications.channels.slack.text import (
    cut_mrkdwn,
    cut_plain,
    escape_mrkdwn,
    slack_length,
    text_of,
    unescape_mrkdwn,
)

__all__ = ["PASSTHROUGH_KEYS", "Fitted", "fit_payload", "parse_payload"]


@dataclass
class Fitted:
    """A payload that fits, and a sentence per change made to it (for the log)."""

    payload: dict[str, Any]
    changes: list[str] = field(default_factory=list)


def parse_payload(text: str) -> dict[str, Any]:
    """The rendered ``json`` part as a dict; PayloadError when it is not a JSON object."""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        line = lines[exc.lineno - 1][:200] if lines else ""
        where = f"line {exc.lineno}, column {exc.colno} of the output"
        raise PayloadError([f"not valid JSON: {exc.msg} at {where}: {line!r}"]) from None
    if not isinstance(payload, dict):
        raise PayloadError([f"the payload must be a JSON object, not {type(payload).__name__}"])
    return payload


def fit_payload(payload: Mapping[str, Any]) -> Fitted:
    """A copy of ``payload`` made to fit Slack's limits (see the module docstring)."""
    fitted = Fitted(_copy_json(dict(payload)))
    data = fitted.payload
    unknown = sorted(set(data) - PASSTHROUGH_KEYS - {"text", "blocks"})
    if unknown:
        raise PayloadError([f"unknown top-level key(s) {', '.join(map(repr, unknown))}"])
    blocks = data.get("blocks")
    if blocks is not None:
        if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
            raise PayloadError(["'blocks' must be a list of objects"])
        fitted_blocks: list[dict[str, Any]] = []
        for index, block in enumerate(blocks):
            fitted_blocks.extend(_fit_block(block, index, fitted.changes))
        data["blocks"] = _fit_block_count(fitted_blocks, fitted.changes)
        if not data["blocks"]:
            del data["blocks"]
    text = data.get("text")
    if text is not None and not isinstance(text, str):
        raise PayloadError([f"'text' must be a string, not {type(text).__name__}"])
    if not (text or "").strip():
        data["text"] = _fallback_text(data.get("blocks") or [])
        fitted.changes.append("the empty top-level text was filled in from the blocks")
    elif slack_length(text or "") > MAX_TEXT:
        data["text"] = cut_mrkdwn(text or "", MAX_TEXT)
        fitted.changes.append(f"the top-level text was cut to {MAX_TEXT:,} characters")
    return fitted


def _copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars): what copy.deepcopy gives, several times faster."""
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


def _fallback_text(blocks: list[dict[str, Any]]) -> str:
    """Notifications and screen readers need ``text``: take the header's, else the first text."""
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and isinstance(text.get("text"), str) and text["text"].strip():
            value: str = text["text"]
            if text.get("type") == "plain_text":
                value = escape_mrkdwn(value)
            return cut_mrkdwn(value, MAX_TEXT)
    return "Task report"


def _cut_text_object(obj: dict[str, Any], limit: int, where: str, changes: list[str]) -> None:
    text = obj["text"]
    if slack_length(text) > limit:
        obj["text"] = cut_mrkdwn(text, limit) if obj.get("type") == "mrkdwn" else cut_plain(text, limit)
        changes.append(f"{where}: text cut from {len(text):,} to {limit:,} characters")


def _is_empty(obj: object) -> bool:
    text = text_of(obj)
    return text is not None and not text.strip()


def _fit_block(block: dict[str, Any], index: int, changes: list[str]) -> list[dict[str, Any]]:
    """The block made to fit: none when it has nothing to show, several when split."""
    where = f"block {index} ({block.get('type')})"
    block_id = block.get("block_id")
    if isinstance(block_id, str) and len(block_id) > BLOCK_ID:
        block["block_id"] = block_id[:BLOCK_ID]
        changes.append(f"{where}: block_id cut to {BLOCK_ID} characters")
    fitter = _FITTERS.get(str(block.get("type")))
    return fitter(block, where, changes) if fitter else [block]


def _fit_header(block: dict[str, Any], where: str, changes: list[str]) -> list[dict[str, Any]]:
    text = block.get("text")
    if isinstance(text, dict) and text.get("type") == "mrkdwn" and isinstance(text.get("text"), str):
        # Headers take plain_text only; plain_text shows entities literally, so undo the escaping.
        block["text"] = {"type": "plain_text", "text": unescape_mrkdwn(text["text"]), "emoji": True}
        changes.append(f"{where}: mrkdwn header text turned into plain_text")
    if _is_empty(block.get("text")):
        changes.append(f"{where}: empty, left out")
        return []
    if text_of(block.get("text")) is not None:
        _cut_text_object(block["text"], HEADER_TEXT.limit, where, changes)
    return [block]


def _fit_section(block: dict[str, Any], where: str, changes: list[str]) -> list[dict[str, Any]]:
    if _is_empty(block.get("text")):
        del block["text"]
    elif text_of(block.get("text")) is not None:
        _cut_text_object(block["text"], SECTION_TEXT.limit, where, changes)
    fields = block.get("fields")
    if isinstance(fields, list):
        fields = [f for f in fields if not _is_empty(f)]
        for number, item in enumerate(fields):
            if text_of(item) is not None:
                _cut_text_object(item, SECTION_FIELDS.limit, f"{where} field {number}", changes)
        if fields:
            block["fields"] = fields
        else:
            del block["fields"]
    if "text" not in block and "fields" not in block and "accessory" not in block:
        changes.append(f"{where}: empty, left out")
        return []
    fields = block.get("fields")
    if isinstance(fields, list) and len(fields) > MAX_FIELDS:
        changes.append(f"{where}: {len(fields)} fields split over sections of {MAX_FIELDS}")
        block["fields"] = fields[:MAX_FIELDS]
        rest = [
            {"type": "section", "fields": fields[start : start + MAX_FIELDS]}
            for start in range(MAX_FIELDS, len(fields), MAX_FIELDS)
        ]
        return [block, *rest]
    return [block]


def _fit_context(block: dict[str, Any], where: str, changes: list[str]) -> list[dict[str, Any]]:
    elements = block.get("elements")
    if not isinstance(elements, list):
        return [block]
    elements = [e for e in elements if not _is_empty(e)]
    for number, element in enumerate(elements):
        if isinstance(element, dict) and element.get("type") in CONTEXT_ELEMENTS.types and text_of(element):
            _cut_text_object(element, CONTEXT_ELEMENTS.limit, f"{where} element {number}", changes)
    if len(elements) > MAX_CONTEXT_ELEMENTS:
        keep, surplus = elements[: MAX_CONTEXT_ELEMENTS - 1], elements[MAX_CONTEXT_ELEMENTS - 1 :]
        texts = [
            (text_of(e) or "") if e.get("type") == "mrkdwn" else escape_mrkdwn(text_of(e) or "")
            for e in surplus
            if isinstance(e, dict) and text_of(e)
        ]
        merged = {"type": "mrkdwn", "text": cut_mrkdwn("  ·  ".join(texts), CONTEXT_ELEMENTS.limit)}
        elements = [*keep, merged] if texts else keep
        changes.append(f"{where}: {len(surplus)} surplus elements merged into one")
    if not elements:
        changes.append(f"{where}: empty, left out")
        return []
    block["elements"] = elements
    return [block]


def _fit_markdown(block: dict[str, Any], where: str, changes: list[str]) -> list[dict[str, Any]]:
    text = block.get("text")
    if isinstance(text, str):
        if not text.strip():
            changes.append(f"{where}: empty, left out")
            return []
        if slack_length(text) > MARKDOWN_TEXT.limit:
            block["text"] = cut_mrkdwn(text, MARKDOWN_TEXT.limit)
            changes.append(f"{where}: text cut from {len(text):,} to {MARKDOWN_TEXT.limit:,} characters")
    return [block]


_FITTERS: dict[str, Callable[[dict[str, Any], str, list[str]], list[dict[str, Any]]]] = {
    "header": _fit_header,
    "section": _fit_section,
    "context": _fit_context,
    "markdown": _fit_markdown,
}


def _fit_block_count(blocks: list[dict[str, Any]], changes: list[str]) -> list[dict[str, Any]]:
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    last_context = max((i for i, b in enumerate(blocks) if b.get("type") == "context"), default=None)
    if last_context is not None and last_context >= MAX_BLOCKS - 2:
        head, tail = blocks[: MAX_BLOCKS - 2], [blocks[last_context]]
    else:
        head, tail = blocks[: MAX_BLOCKS - 1], []
    left_out = len(blocks) - len(head) - len(tail)
    note = {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": f"_… {left_out:,} more blocks left out: a Slack message shows at most {MAX_BLOCKS}_",
            }
        ],
    }
    changes.append(f"{len(blocks)} blocks cut to {MAX_BLOCKS}: {left_out} left out")
    return [*head, note, *tail]
