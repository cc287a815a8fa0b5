"""Parse a task's ``arguments`` text, in 2.x's syntax, into argv tokens.

Arguments are separated by commas and an argument's parameters by blanks::

    -f, --second a b, --third=x   ->   ["-f", "--second", "a", "b", "--third=x"]

Within one argument, shell quoting keeps a parameter with blanks together
(``--title "nightly import"``).
"""

from __future__ import annotations

import functools
import shlex

# 2.x documented this invocation argument but never read it: it is taken out of
# the command line and turns the task's notifications off for that run.
DISABLE_NOTIFICATIONS = "--disable-notifications"


class ArgumentsError(ValueError):
    """The arguments text cannot be split (an unbalanced quote, say)."""


def split_arguments(text: str | None) -> list[str]:
    """Return the argv tokens of ``text`` (empty chunks are ignored)."""
    return list(_split(text or ""))


@functools.lru_cache(maxsize=256)
def _split(text: str) -> tuple[str, ...]:
    # shlex is slow and a task's arguments rarely change: every notification splits them.
    tokens: list[str] = []
    for chunk in text.split(","):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            tokens.extend(shlex.split(chunk))
        except ValueError as exc:
            raise ArgumentsError(f"Cannot parse argument {chunk!r}: {exc}") from exc
    return tuple(tokens)


def command_argv(text: str | None) -> tuple[list[str], bool]:
    """Return ``(argv, notifications_disabled)`` for a task's arguments."""
    tokens = split_arguments(text)
    disabled = DISABLE_NOTIFICATIONS in tokens
    return [t for t in tokens if t != DISABLE_NOTIFICATIONS], disabled
