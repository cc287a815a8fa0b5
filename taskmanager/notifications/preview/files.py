"""Writing previews to files: one per rendered part, named ``<handler>-<level>.<part>``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from taskmanager.notifications.preview.rendering import HandlerPreview

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def part_filename(handler: str, level: str, part: str, event: str | None = None) -> str:
    """``mail-failed.subject.txt``: the file a part is written to (and its snapshot's name);
    ``mail-recovered-ok.subject.txt`` for the message of a policy event (``--event``)."""
    return f"{handler}-{event}-{level}.{part}" if event else f"{handler}-{level}.{part}"


def write_previews(previews: Sequence[HandlerPreview], directory: Path) -> dict[tuple[str, str, str], Path]:
    """Write one file per rendered part into ``directory``; return where each went."""
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[tuple[str, str, str], Path] = {}
    for preview in previews:
        for rendered in preview.rendered:
            for part, text in rendered.parts.items():
                name = _SAFE_NAME.sub("_", part_filename(preview.name, rendered.level, part, rendered.event))
                path = directory / name
                path.write_text(text, encoding="utf-8")
                written[(preview.name, rendered.level, part)] = path
    return written
