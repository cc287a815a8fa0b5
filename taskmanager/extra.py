"""Let a running command add to its own report and notification.

A command fills a dict while it runs; it is saved on the report as
``Report.extra`` and reaches notification templates as ``extra``::

    from taskmanager.extra import report_extra

    class Command(BaseCommand):
        def handle(self, *args, **options):
            ...
            report_extra()["imported"] = 1234
            report_extra()["summary"] = "imported 1,234 rows, 3 skipped"

Or with the mixin, ``self.report_extra["imported"] = 1234``. Outside a task run
(``manage.py mycommand`` directly) the dict is a throwaway one, so the command
works the same either way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

_current: ContextVar[dict[str, Any] | None] = ContextVar("taskmanager_report_extra", default=None)


def report_extra() -> dict[str, Any]:
    """The dict of the task run in progress (a throwaway one outside a run)."""
    extra = _current.get()
    if extra is None:
        extra = {}
        _current.set(extra)
    return extra


@contextlib.contextmanager
def collecting_extra() -> Iterator[dict[str, Any]]:
    """Used by the runner: a fresh dict for the duration of one run."""
    extra: dict[str, Any] = {}
    token = _current.set(extra)
    try:
        yield extra
    finally:
        _current.reset(token)


class ReportExtraMixin:
    """For a command class: ``self.report_extra`` is the run's extra dict."""

    @property
    def report_extra(self) -> dict[str, Any]:
        return report_extra()
