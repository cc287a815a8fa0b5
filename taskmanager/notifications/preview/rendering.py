"""Rendering previews: every part of a handler's message at a level, strictly, secrets masked.

Sample reports are rendered on a fixed clock so that previews and snapshots are reproducible.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from taskmanager.models import Report
from taskmanager.notifications.exceptions import NotificationTemplateError, TemplateNotFound
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.message import Message
from taskmanager.notifications.preview.events import sample_event_context, why_event_not_sent
from taskmanager.notifications.preview.parts import block_kit_builder_url
from taskmanager.notifications.samples import sample_report as build_sample_report
from taskmanager.results import Level
from taskmanager.text import part_kind

#: The fixed clock of the sample reports, so that previews and snapshots are
#: reproducible: the samples start at 02:00 in Rome on this day...
SAMPLE_STARTED = datetime.datetime(2026, 3, 2, 1, 0, 0, tzinfo=datetime.timezone.utc)
#: ...and are rendered as if it were now this time.
SAMPLE_NOW = SAMPLE_STARTED + datetime.timedelta(minutes=5)


@dataclass
class Rendered:
    """One handler's message at one level: its parts, or why there are none."""

    handler: str
    level: str
    #: Whether the handler sends reports of this level (its ``level`` setting).
    sends: bool
    #: Rendered text per part, secrets masked.
    parts: dict[str, str] = field(default_factory=dict)
    #: A template (or handler) error: file, line, origin and message.
    error: str = ""
    #: Why nothing was rendered although nothing is wrong (a level the handler never sends at).
    note: str = ""
    #: The policy's event rendered (``--event``), None for a plain report.
    event: str | None = None
    #: Why the handler never sends this event at this level ("" when it may, or no event).
    why_not: str = ""
    #: The message as the transport would get it (secrets included): for sending only.
    message: Message | None = field(default=None, repr=False)

    @property
    def why_not_sent(self) -> str:
        """Why reports like this one are not sent by the handler ("" when they are)."""
        if self.sends:
            return ""
        return self.why_not or "below the handler's level: reports like this are not sent"

    @property
    def ok(self) -> bool:
        return not self.error and not self.note

    @property
    def block_kit_builder_url(self) -> str | None:
        for part, text in self.parts.items():
            if part_kind(part) == "json":
                url = block_kit_builder_url(text)
                if url:
                    return url
        return None


def sample_report(level: Level) -> Report:
    """The built-in sample report at ``level``, on the fixed sample clock (unsaved)."""
    return build_sample_report(level, started=SAMPLE_STARTED)


def describe_template_error(exc: NotificationTemplateError) -> str:
    """``template <file>, line <n> (from <folder of the search order>): <what>``."""
    if isinstance(exc, TemplateNotFound):
        return str(exc)
    where = exc.filename or exc.template or "template"
    text = f"template {where}"
    if exc.lineno:
        text += f", line {exc.lineno}"
    if exc.origin:
        text += f" (from {exc.origin})"
    return f"{text}: {exc.message}"


def render_level(
    handler: NotificationHandler,
    report: Report,
    level: Level,
    *,
    test: bool = False,
    now: datetime.datetime | None = None,
    event: str | None = None,
) -> Rendered:
    """Render every part of ``handler``'s message for ``report`` at ``level``; never raises.

    ``event`` (``"recovered"``, ``"reminder"``) renders the policy's message for that event, with
    the sample history of :mod:`.events` in the context (sample reports only).
    """
    why_not = why_event_not_sent(handler, event, level) if event is not None else ""
    sends = not why_not if event is not None else level >= handler.level
    rendered = Rendered(handler=handler.name, level=level.label, sends=sends, event=event, why_not=why_not)
    try:
        context = handler.context(report, level=level)
        if now is not None:
            context["now"] = timezone.localtime(now)
        if event is not None:
            context.update(sample_event_context(event, report, level))
        message = handler.render(report, level=level, context=context, test=test, strict=True)
    except TemplateNotFound as exc:
        if not rendered.sends:
            # The checks only ask for templates at the levels a handler sends at.
            rendered.note = (
                f"no template at this level, which it never sends at (its level is {handler.level.label})"
                if event is None
                else f"no template for it, which it never sends ({why_not})"
            )
        else:
            rendered.error = handler.redact(describe_template_error(exc))
        return rendered
    except NotificationTemplateError as exc:
        rendered.error = handler.redact(describe_template_error(exc))
        return rendered
    except Exception as exc:  # a handler's own rendering code failed: say how, without a traceback
        rendered.error = handler.redact(
            f"{type(handler).__name__} failed to render: {type(exc).__name__}: {exc}"
        )
        return rendered
    rendered.message = message
    rendered.parts = {part: handler.redact(text) for part, text in message.parts.items()}
    return rendered


@dataclass
class HandlerPreview:
    """Everything rendered for one handler."""

    handler: NotificationHandler
    rendered: list[Rendered] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.handler.name

    def describe(self) -> dict[str, Any]:
        handler = self.handler
        return {
            "class": f"{type(handler).__module__}.{type(handler).__qualname__}",
            "transport": f"{type(handler.transport).__module__}.{type(handler.transport).__qualname__}",
            "templates": handler.templates,
            "level": handler.level.label,
            "parts": list(handler.template_parts),
            "options": handler.public_options(),
        }


def render_previews(
    handlers: Sequence[NotificationHandler],
    levels: Sequence[Level],
    report: Report | None = None,
    *,
    test: bool = False,
    event: str | None = None,
) -> list[HandlerPreview]:
    """Render ``handlers`` x ``levels``: the sample report of each level, or ``report`` at each.

    Sample reports are rendered on the fixed sample clock (:data:`SAMPLE_NOW`),
    so the output is the same from one run to the next. ``event`` renders the samples as
    that event of the policy (a real report's event is the policy's to say).
    """
    if event is not None and report is not None:
        raise ValueError("an event is previewed from the sample reports, not from a real report")
    samples = {level: sample_report(level) for level in levels} if report is None else {}
    previews = []
    for handler in handlers:
        preview = HandlerPreview(handler)
        for level in levels:
            if report is None:
                preview.rendered.append(
                    render_level(handler, samples[level], level, test=test, now=SAMPLE_NOW, event=event)
                )
            else:
                preview.rendered.append(render_level(handler, report, level, test=test))
        previews.append(preview)
    return previews
