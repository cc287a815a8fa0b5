"""The preview as one JSON document (``preview_notifications --format json``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from taskmanager.models import Report
from taskmanager.notifications.preview.rendering import HandlerPreview
from taskmanager.notifications.preview.selection import Selection
from taskmanager.notifications.preview.sending import Sent
from taskmanager.results import Level


def preview_document(
    previews: Sequence[HandlerPreview],
    selection: Selection,
    *,
    levels: Sequence[Level],
    report: Report | None = None,
    files: Mapping[tuple[str, str, str], Path] | None = None,
    sent: Mapping[tuple[str, str], Sent] | None = None,
    test: bool = False,
    event: str | None = None,
) -> dict[str, Any]:
    """Handlers x levels x parts as one JSON-ready dict (``--format json``)."""
    files = files or {}
    sent = sent or {}
    handlers: dict[str, Any] = {}
    for preview in previews:
        entry = preview.describe()
        entry["levels"] = {}
        for rendered in preview.rendered:
            key = (preview.name, rendered.level)
            outcome = sent.get(key)
            entry["levels"][rendered.level] = {
                "sends": rendered.sends,
                "why_not_sent": rendered.why_not_sent or None,
                "parts": rendered.parts,
                "files": {
                    part: str(files[(preview.name, rendered.level, part)])
                    for part in rendered.parts
                    if (preview.name, rendered.level, part) in files
                },
                "block_kit_builder": rendered.block_kit_builder_url,
                "error": rendered.error or None,
                "note": rendered.note or None,
                "sent": None
                if outcome is None
                else {
                    "sent": outcome.sent,
                    "attempts": outcome.attempts,
                    "error": outcome.error or None,
                    "permanent": outcome.permanent,
                    "delivery": outcome.delivery_id,
                },
            }
        handlers[preview.name] = entry
    return {
        "source": "report" if report is not None else "samples",
        "report": None
        if report is None
        else {"id": report.pk, "task": report.task.name, "result": report.invocation_result},
        "event": event,
        "levels": [level.label for level in levels],
        "test": test,
        "handlers": handlers,
        "skipped": selection.skipped,
        "errors": selection.errors,
    }
