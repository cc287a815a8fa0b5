"""Report content that tries to ping, link, script, inject headers and overflow limits.

Shared by the mail, webhook and log handler tests: every handler must carry it safely.
"""

from __future__ import annotations

#: Pieces each handler must neutralise for its format (Slack mentions and links, HTML, &).
HOSTILE_PIECES = ("<!channel>", "<@U123>", "<http://x|y>", "<script>alert(1)</script>", "&", "🔥", "```")

#: A 250-character task name (the model allows 255).
LONG_NAME = "nightly import of the catalogue " + "x" * (250 - len("nightly import of the catalogue "))

#: A task name trying to add a Bcc header to the mail.
INJECTING_NAME = "nightly import\r\nBcc: evil@example.com\r\n"


def hostile_lines(count: int = 10, length: int = 900) -> list[str]:
    """``count`` log lines of exactly ``length`` characters, each carrying every hostile piece."""
    lines = []
    for number in range(count):
        head = f"ERROR line {number}: " + " ".join(HOSTILE_PIECES) + " "
        lines.append((head + "y" * length)[:length])
    return lines


def hostile_fields() -> dict[str, object]:
    """``make_report`` fields: the hostile log, and a summary with the same pieces."""
    lines = hostile_lines()
    return {
        "log": "\n".join(lines),
        "n_log_lines": len(lines),
        "extra": {"summary": "summary " + " ".join(HOSTILE_PIECES)},
    }
