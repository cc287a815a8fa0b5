"""Send a report to the configured handlers (filled in by the framework)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from taskmanager.models import Report


def emit_notifications(report: Report) -> Any:
    """No handlers yet: nothing to send."""
    return None
