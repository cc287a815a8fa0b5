"""Text rules every layer shares: hiding secrets, cutting text short, what a part holds.

Each rule is written here once and imported, so that a secret is hidden, a long line
cut and an HTML part recognised the same way in the runner, the notification core
and every channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

#: What a secret value is replaced with wherever text is shown or stored.
SECRET = "[secret]"


def redact(text: str, secrets: Iterable[str], patterns: Iterable[re.Pattern[str]] = ()) -> str:
    """``text`` with every value of ``secrets``, then every match of ``patterns``, replaced by
    ``[secret]``.

    The longest value first, so that a secret holding a shorter one is hidden whole.
    ``patterns`` catch secrets known by their shape rather than their value (a channel's
    token format), such as those of another configuration.
    """
    for secret in sorted({secret for secret in secrets if secret}, key=lambda s: (-len(s), s)):
        text = text.replace(secret, SECRET)
    for pattern in patterns:
        text = pattern.sub(SECRET, text)
    return text


def secret_values(value: object) -> list[str]:
    """The secrets an option's value holds: itself, or the items of a list or the values of
    a dict (headers); each as a string, leaving out those under 4 characters, too short to
    be a secret and common enough to mask half a message. A URL brings its pieces too
    (:func:`url_secrets`)."""
    if isinstance(value, Mapping):
        values = list(value.values())
    elif isinstance(value, (list, tuple)):
        values = list(value)
    else:
        values = [value]
    secrets: list[str] = []
    for item in values:
        for secret in url_secrets(item) if isinstance(item, str) else [str(item) if item else ""]:
            if len(secret) >= 4 and secret not in secrets:
                secrets.append(secret)
    return secrets


#: A path segment this long is taken for a token (``/webhooks/123/<68 characters>``);
#: the words of a path (``webhooks``, ``IncomingWebhook``) are shorter.
TOKEN_SEGMENT_LENGTH = 16
#: A piece of a URL shorter than this (a path ``/hook``, a value ``json``) is a word rather than
#: a credential, and hiding it would also mask that word in report content (stored parts,
#: previews); a password is hidden whatever its length.
URL_PIECE_LENGTH = 8


def url_secrets(url: str) -> list[str]:
    """An http(s) URL and each piece of it that authorises posting, as a server may quote it
    alone: the path (``/hooks/T000/B000/XXXX``), its long segments, the query string and each
    query value (Google Chat's ``?key=...&token=...``), as written and decoded, each of at least
    :data:`URL_PIECE_LENGTH` characters, and a password.

    Anything that is not such a URL is its own only secret.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed IPv6 host: not a URL we can take apart
        return [url]
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [url]
    query = parts.query
    pieces = [parts.path, query, parts.fragment]
    pieces += [segment for segment in parts.path.split("/") if len(segment) >= TOKEN_SEGMENT_LENGTH]
    # Each value as written (a server quoting the URL) and decoded (one quoting the parameter).
    pieces += [item.partition("=")[2] for item in query.split("&")]
    pieces += [value for _name, value in parse_qsl(query, keep_blank_values=True)]
    pieces += [unquote(piece) for piece in pieces]
    password = [parts.password, unquote(parts.password)] if parts.password else []
    secrets = [url, unquote(url), *password, *(piece for piece in pieces if len(piece) >= URL_PIECE_LENGTH)]
    return [secret for secret in dict.fromkeys(secrets) if secret]


# Terminal escape sequences: CSI (colours, cursor moves; also its 8-bit form), OSC (window
# titles, hyperlinks; ended by BEL or ST), and the other two-character escapes.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?"
)
# What is left that a terminal or a mail client would act on rather than show: C0 controls
# (BEL, backspace, NUL...) but tab and newline, DEL, and C1 controls.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` without terminal escape sequences (``\x1b[31m``) and control characters
    (BEL, backspace, NUL...), keeping tabs and newlines: what a command wrote for a terminal,
    made fit for a mail, a chat message or a log record."""
    if text.isprintable():
        return text
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def cut(text: str, limit: int, marker: str = "…", *, rstrip: bool = False) -> str:
    """``text`` when it has at most ``limit`` characters, else its head followed by
    ``marker``: ``limit`` characters in all (only the marker when it is longer).

    ``rstrip`` drops blanks at the end of the head, so that a one-line summary reads
    ``nightly…`` rather than ``nightly …``.
    """
    if len(text) <= limit:
        return text
    head = text[: max(0, limit - len(marker))]
    return (head.rstrip() if rstrip else head) + marker


def more_characters(count: int) -> str:
    """The marker of a cut that says how much is missing: ``… 1,234 more characters``."""
    return f"… {count:,} more characters"


def clip(line: str, limit: int, length: int | None = None) -> str:
    """Keep ``limit`` characters of ``line`` and say how many were left out after them:
    ``abc… [1,234 more characters]``; a ``limit`` of 0 or less keeps everything.

    ``length`` is the line's real length when ``line`` holds only its head (a line
    too long to hold whole).
    """
    length = len(line) if length is None else length
    if limit <= 0 or length <= limit:
        return line
    return f"{line[:limit]}… [{length - limit:,} more characters]"


_KINDS = {"html": "html", "htm": "html", "xml": "xml", "json": "json"}


def part_kind(part: str) -> str:
    """What a message part or a template holds, from its name.

    ``"subject"`` for a part named ``subject...`` (``subject.txt``, a mail's subject
    line), else by the suffix after the last dot: ``"html"`` (``html``, ``htm``),
    ``"xml"``, ``"json"``, and ``"text"`` for anything else. A template name
    (``mail/default.html``) is read by its file name.
    """
    name = part.rsplit("/", 1)[-1]
    if name.startswith("subject"):
        return "subject"
    return _KINDS.get(name.rsplit(".", 1)[-1], "text")
