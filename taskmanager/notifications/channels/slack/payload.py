"""A Slack message payload: parsed, made to fit Block Kit's limits, then validated.

Slack rejects a whole message (``invalid_blocks``) when one block breaks a
limit, so a notification carrying a long log would be lost. Instead the
payload is cut to fit before it is sent, visibly, and checked again:

=================================  =======  =============================================
limit                              value    made to fit by
=================================  =======  =============================================
blocks in a message                50       dropping blocks from the end, keeping the last
                                            context block (the links), with a note
top-level ``text``                 4,000    cutting its end, with a marker
header ``plain_text``              150      cutting its end (a mrkdwn header becomes
                                            plain_text first)
section ``text``                   3,000    cutting its end; a text that ends with a code
                                            block (a log tail) is cut from the start of
                                            the code instead, keeping its last lines
section ``fields``                 10       splitting into consecutive sections
each field                         2,000    cutting its end
context elements                   10       merging the surplus text into the tenth
context element text              3,000    cutting its end
``markdown`` block text            12,000   as section text
``block_id``                       255      cutting it
empty text (Slack rejects it)      > 0      dropping the element or block
=================================  =======  =============================================

Lengths are counted in UTF-16 code units, which is never less than the
characters Slack counts, so an emoji-heavy text cannot slip past a limit.
The marker says how much was left out, counting ``&amp;`` as the one
character it stands for: ``… 1,234 more characters`` (or ``… 1,234 earlier
characters`` at the top of a cut log).

What cannot be made to fit (JSON that is not an object, an unknown block
type, a section without text) raises :class:`PayloadError`; slack_sdk's
models check what they cover (``Block.parse(...).to_dict()``), our own checks
cover what they miss (the block count, field length, mrkdwn headers, empty
text and the top-level text). Building slack_sdk's models is most of the cost
of a check, so a block made only of what both know (text objects in a header,
section, context, divider or markdown block) that is within every limit
slack_sdk checks skips them: they could not object to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_BLOCKS = 50
MAX_TEXT = 4_000
HEADER_TEXT = 150
SECTION_TEXT = 3_000
MAX_FIELDS = 10
FIELD_TEXT = 2_000
MAX_CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 3_000
MARKDOWN_TEXT = 12_000
BLOCK_ID = 255

#: Top-level keys a template may set besides ``text`` and ``blocks``.
PASSTHROUGH_KEYS = frozenset({"unfurl_links", "unfurl_media", "username", "icon_emoji", "icon_url", "mrkdwn"})

FENCE = "```"
# A log tail cut to less than this is no longer worth reading; cut the text's end instead.
_MIN_CODE_KEPT = 200
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_MRKDWN_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


class PayloadError(ValueError):
    """The payload is not a Slack message and cannot be made into one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class Fitted:
    """A payload that fits, and a sentence per change made to it (for the log)."""

    payload: dict[str, Any]
    changes: list[str] = field(default_factory=list)


# -- lengths and cuts ------------------------------------------------------------------------


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


def more_marker(count: int) -> str:
    return f"… {count:,} more characters"


def earlier_marker(count: int) -> str:
    return f"… {count:,} earlier characters"


def cut_plain(text: str, limit: int) -> str:
    """``text`` cut at its end to ``limit`` units, the marker included."""
    if slack_length(text) <= limit:
        return text
    marker = more_marker(len(text))  # the longest the marker can be
    keep = _prefix_within(text, max(0, limit - len(marker)))
    return text[:keep] + more_marker(len(text) - keep)


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
    marker = more_marker(len(text))
    closing = "\n" + FENCE + "\n"
    keep = _prefix_within(text, max(0, limit - len(marker) - len(closing)))
    kept = _safe_mrkdwn_end(text[:keep])
    # Counted as the reader would: "&amp;" is one character of the report.
    suffix = more_marker(len(unescape_mrkdwn(text[len(kept) :])))
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
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# -- fitting ---------------------------------------------------------------------------------


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


def prepare_payload(text: str) -> Fitted:
    """Parse, fit and validate a rendered payload; PayloadError when it cannot be sent."""
    fitted = fit_payload(parse_payload(text))
    problems = check_payload(fitted.payload)
    if problems:
        raise PayloadError(problems)
    return fitted


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


def _text_of(obj: object) -> str | None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        text: str = obj["text"]
        return text
    return None


def _cut_text_object(obj: dict[str, Any], limit: int, where: str, changes: list[str]) -> None:
    text = obj["text"]
    if slack_length(text) > limit:
        obj["text"] = cut_mrkdwn(text, limit) if obj.get("type") == "mrkdwn" else cut_plain(text, limit)
        changes.append(f"{where}: text cut from {len(text):,} to {limit:,} characters")


def _is_empty(obj: object) -> bool:
    text = _text_of(obj)
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
    if _text_of(block.get("text")) is not None:
        _cut_text_object(block["text"], HEADER_TEXT, where, changes)
    return [block]


def _fit_section(block: dict[str, Any], where: str, changes: list[str]) -> list[dict[str, Any]]:
    if _is_empty(block.get("text")):
        del block["text"]
    elif _text_of(block.get("text")) is not None:
        _cut_text_object(block["text"], SECTION_TEXT, where, changes)
    fields = block.get("fields")
    if isinstance(fields, list):
        fields = [f for f in fields if not _is_empty(f)]
        for number, item in enumerate(fields):
            if _text_of(item) is not None:
                _cut_text_object(item, FIELD_TEXT, f"{where} field {number}", changes)
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
        if (
            isinstance(element, dict)
            and element.get("type") in ("mrkdwn", "plain_text")
            and _text_of(element)
        ):
            _cut_text_object(element, CONTEXT_TEXT, f"{where} element {number}", changes)
    if len(elements) > MAX_CONTEXT_ELEMENTS:
        keep, surplus = elements[: MAX_CONTEXT_ELEMENTS - 1], elements[MAX_CONTEXT_ELEMENTS - 1 :]
        texts = [
            (_text_of(e) or "") if e.get("type") == "mrkdwn" else escape_mrkdwn(_text_of(e) or "")
            for e in surplus
            if isinstance(e, dict) and _text_of(e)
        ]
        merged = {"type": "mrkdwn", "text": cut_mrkdwn("  ·  ".join(texts), CONTEXT_TEXT)}
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
        if slack_length(text) > MARKDOWN_TEXT:
            block["text"] = cut_mrkdwn(text, MARKDOWN_TEXT)
            changes.append(f"{where}: text cut from {len(text):,} to {MARKDOWN_TEXT:,} characters")
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


# -- checking --------------------------------------------------------------------------------


def check_payload(payload: Mapping[str, Any]) -> list[str]:
    """Why Slack would reject ``payload``: slack_sdk's block models plus the limits they miss."""
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block

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


_TEXT_KEYS = {
    "plain_text": frozenset({"type", "text", "emoji"}),
    "mrkdwn": frozenset({"type", "text", "verbatim"}),
}
_BLOCK_KEYS = {
    "header": frozenset({"type", "block_id", "text"}),
    "section": frozenset({"type", "block_id", "text", "fields"}),
    "context": frozenset({"type", "block_id", "elements"}),
    "divider": frozenset({"type", "block_id"}),
    "markdown": frozenset({"type", "block_id", "text"}),
}


def _plain_text_object(obj: object, limit: int, *, kinds: tuple[str, ...] = ("plain_text", "mrkdwn")) -> bool:
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        return False
    text = obj.get("text")
    return obj.keys() <= _TEXT_KEYS[obj["type"]] and isinstance(text, str) and 0 < len(text) <= limit


def within_sdk_checks(block: Mapping[str, Any]) -> bool:
    """Whether slack_sdk's models would accept ``block`` for certain (so they need not be built).

    True only for the plain shapes whose every slack_sdk validator is re-stated here
    (block_id length; header text; section text or fields, their count and length;
    context elements; markdown text); anything else goes through slack_sdk.
    """
    kind = block.get("type")
    keys = _BLOCK_KEYS.get(kind) if isinstance(kind, str) else None
    if keys is None or not block.keys() <= keys:
        return False
    block_id = block.get("block_id")
    if block_id is not None and not (isinstance(block_id, str) and len(block_id) <= BLOCK_ID):
        return False
    if kind == "header":
        return _plain_text_object(block.get("text"), HEADER_TEXT, kinds=("plain_text",))
    if kind == "section":
        text, fields = block.get("text"), block.get("fields")
        if text is not None and not _plain_text_object(text, SECTION_TEXT):
            return False
        if fields is not None and not (
            isinstance(fields, list)
            and len(fields) <= MAX_FIELDS
            and all(_plain_text_object(f, FIELD_TEXT) for f in fields)
        ):
            return False
        return text is not None or bool(fields)
    if kind == "context":
        elements = block.get("elements")
        return (
            isinstance(elements, list)
            and 0 < len(elements) <= MAX_CONTEXT_ELEMENTS
            and all(_plain_text_object(e, CONTEXT_TEXT) for e in elements)
        )
    if kind == "markdown":
        text = block.get("text")
        return isinstance(text, str) and 0 < len(text) <= MARKDOWN_TEXT
    return True  # a divider


def _own_checks(block: Mapping[str, Any], where: str) -> list[str]:
    """The limits slack_sdk's models do not check."""
    problems: list[str] = []
    kind = block.get("type")
    texts: list[tuple[object, int, str]] = []
    if kind == "header":
        if not isinstance(block.get("text"), dict) or block["text"].get("type") != "plain_text":
            problems.append(f"{where}: a header's text must be plain_text")
        texts.append((block.get("text"), HEADER_TEXT, "text"))
    elif kind == "section":
        if "text" in block:
            texts.append((block["text"], SECTION_TEXT, "text"))
        texts.extend((f, FIELD_TEXT, f"field {i}") for i, f in enumerate(block.get("fields") or []))
    elif kind == "context":
        elements = block.get("elements") or []
        if not elements:
            problems.append(f"{where}: a context block needs at least one element")
        texts.extend(
            (e, CONTEXT_TEXT, f"element {i}")
            for i, e in enumerate(elements)
            if isinstance(e, dict) and e.get("type") in ("mrkdwn", "plain_text")
        )
    for obj, limit, name in texts:
        text = _text_of(obj)
        if text is None:
            problems.append(f"{where}: {name} has no text")
        elif not text.strip():
            problems.append(f"{where}: {name} is empty")
        elif slack_length(text) > limit:
            problems.append(f"{where}: {name} is longer than {limit:,} characters")
    return problems
