"""Render notifications without sending them: every handler x level x part.

This module renders and describes; it never prints. ``manage.py
preview_notifications``, the admin's preview page and
:mod:`taskmanager.testing` are its three front ends.

Previews render strictly (a template error is an error here, not a fallback)
and every text that leaves this module has the handlers' secrets masked.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.utils import timezone

from taskmanager.conf import settings
from taskmanager.notifications.config import SETTING, Loaded, load_handlers, parse_spec
from taskmanager.notifications.delivery import attempt_delivery
from taskmanager.notifications.delivery_policy import RetryPolicy
from taskmanager.notifications.exceptions import (
    NotificationConfigurationError,
    NotificationTemplateError,
    TemplateNotFound,
)
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.message import Message
from taskmanager.results import Level, level_of_result

if TYPE_CHECKING:
    from taskmanager.models import Report

BLOCK_KIT_BUILDER = "https://app.slack.com/block-kit-builder/#"

#: The fixed clock of the sample reports, so that previews and snapshots are
#: reproducible: the samples start at 02:00 in Rome on this day...
SAMPLE_STARTED = datetime.datetime(2026, 3, 2, 1, 0, 0, tzinfo=datetime.timezone.utc)
#: ...and are rendered as if it were now this time.
SAMPLE_NOW = SAMPLE_STARTED + datetime.timedelta(minutes=5)


class PreviewError(Exception):
    """A problem that stops a preview before anything is rendered (the message says what to do)."""


# -- handlers ------------------------------------------------------------------------


@dataclass
class Selection:
    """The handlers to preview, and those left out with the reason."""

    handlers: list[NotificationHandler] = field(default_factory=list)
    #: Handlers left unconfigured (check W001): name -> why.
    skipped: dict[str, str] = field(default_factory=dict)
    #: Misconfigured handlers: name -> the system check's message and hint.
    errors: dict[str, str] = field(default_factory=dict)


UNCONFIGURED = "not configured: its required options are empty (check taskmanager.W001)"


def describe_configuration_error(exc: NotificationConfigurationError) -> str:
    """The message ``manage.py check`` gives for ``exc``, with its hint and id."""
    text = f"({exc.check_id}) {exc}"
    return f"{text}\n  HINT: {exc.hint}" if exc.hint else text


def select_handlers(names: Sequence[str] | None = None, loaded: Loaded | None = None) -> Selection:
    """The configured handlers, or those named (in the order given).

    An unknown name raises :class:`PreviewError` listing the configured ones;
    a named handler that is unconfigured or misconfigured is an error too,
    while without names those are reported beside the others.
    """
    loaded = loaded if loaded is not None else load_handlers()
    selection = Selection()
    if "*" in loaded.errors:
        selection.errors["*"] = describe_configuration_error(loaded.errors["*"])
        return selection
    if not names:
        selection.handlers = list(loaded.handlers.values())
        selection.skipped = dict.fromkeys(loaded.unconfigured, UNCONFIGURED)
        selection.errors = {name: describe_configuration_error(exc) for name, exc in loaded.errors.items()}
        return selection
    known = [*loaded.handlers, *loaded.unconfigured, *loaded.errors]
    unknown = [name for name in names if name not in known]
    if unknown:
        listed = ", ".join([*loaded.handlers, *loaded.errors]) or f"none ({SETTING} is empty)"
        if loaded.unconfigured:
            listed += f"; not configured: {', '.join(loaded.unconfigured)}"
        raise PreviewError(
            f"No notification handler named {', '.join(map(repr, unknown))}. Configured: {listed}."
        )
    for name in dict.fromkeys(names):
        if name in loaded.handlers:
            selection.handlers.append(loaded.handlers[name])
        elif name in loaded.unconfigured:
            selection.errors[name] = f"Notification handler {name!r} is {UNCONFIGURED}."
        else:
            selection.errors[name] = describe_configuration_error(loaded.errors[name])
    return selection


def configured_secrets(loaded: Loaded | None = None) -> list[str]:
    """Every secret option value in the settings, also of handlers that failed to load."""
    loaded = loaded if loaded is not None else load_handlers()
    secrets: set[str] = set()
    for handler in loaded.handlers.values():
        secrets.update(handler.secrets)
    entries = settings.NOTIFICATION_HANDLERS
    if isinstance(entries, Mapping):
        for name, entry in entries.items():
            if not isinstance(entry, Mapping):
                continue
            try:
                transport = parse_spec(str(name), entry).effective_transport
                keys: Iterable[str] = transport.secret_options if transport else ()
            except NotificationConfigurationError:
                # A broken entry cannot say which options are secret: guess by name.
                keys = [key for key in entry if _looks_secret(str(key))]
            for key in keys:
                secrets.update(_values(entry.get(key)))
    return sorted(secrets, key=len, reverse=True)


def _looks_secret(key: str) -> bool:
    return any(word in key.lower() for word in ("token", "secret", "password", "webhook", "key", "url"))


def _values(value: object) -> list[str]:
    if isinstance(value, Mapping):
        value = list(value.values())
    values = value if isinstance(value, (list, tuple)) else [value]
    return [str(v) for v in values if v and len(str(v)) >= 4]


class Redactor:
    """Masks secret values in any text about to be shown."""

    def __init__(self, secrets: Iterable[str]):
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[secret]")
        return text


# -- rendering -----------------------------------------------------------------------


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
    #: The message as the transport would get it (secrets included): for sending only.
    message: Message | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.error and not self.note

    @property
    def block_kit_builder_url(self) -> str | None:
        for part, text in self.parts.items():
            if part.endswith("json"):
                url = block_kit_builder_url(text)
                if url:
                    return url
        return None


def part_filename(handler: str, level: str, part: str) -> str:
    """``mail-failed.subject.txt``: the file a part is written to (and its snapshot's name)."""
    return f"{handler}-{level}.{part}"


def sample_report(level: Level) -> Report:
    """The built-in sample report at ``level``, on the fixed sample clock (unsaved)."""
    from taskmanager.notifications.samples import sample_report as build

    return build(level, started=SAMPLE_STARTED)


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
) -> Rendered:
    """Render every part of ``handler``'s message for ``report`` at ``level``; never raises."""
    rendered = Rendered(handler=handler.name, level=level.label, sends=level >= handler.level)
    try:
        context = handler.context(report, level=level)
        if now is not None:
            context["now"] = timezone.localtime(now)
        message = handler.render(report, level=level, context=context, test=test, strict=True)
    except TemplateNotFound as exc:
        if not rendered.sends:
            # The checks only ask for templates at the levels a handler sends at.
            rendered.note = (
                f"no template at this level, which it never sends at (its level is {handler.level.label})"
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
            "templates": handler.template_folder,
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
) -> list[HandlerPreview]:
    """Render ``handlers`` x ``levels``: the sample report of each level, or ``report`` at each.

    Sample reports are rendered on the fixed sample clock (:data:`SAMPLE_NOW`),
    so the output is the same from one run to the next.
    """
    samples = {level: sample_report(level) for level in levels} if report is None else {}
    previews = []
    for handler in handlers:
        preview = HandlerPreview(handler)
        for level in levels:
            if report is None:
                preview.rendered.append(
                    render_level(handler, samples[level], level, test=test, now=SAMPLE_NOW)
                )
            else:
                preview.rendered.append(render_level(handler, report, level, test=test))
        previews.append(preview)
    return previews


def report_level(report: Report) -> Level:
    """The level a real report is previewed at by default."""
    level = level_of_result(report.invocation_result)
    if level is None:
        raise PreviewError(
            f"Report {report.pk} has no result yet (is its task still running?): choose a level with --level."
        )
    return level


# -- describing parts ----------------------------------------------------------------


def block_kit_builder_url(payload: str) -> str | None:
    """A link that opens ``payload``'s blocks in Slack's Block Kit Builder (None if it has none)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("blocks"), list):
        return None
    document = json.dumps({"blocks": data["blocks"]}, ensure_ascii=False, separators=(",", ":"))
    return BLOCK_KIT_BUILDER + quote(document, safe="")


def pretty_json(text: str) -> str:
    """``text`` indented when it is JSON, as it is otherwise."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, indent=2)
    except ValueError:
        return text


@dataclass(frozen=True)
class HtmlSummary:
    size: int
    title: str
    first_text: str

    def __str__(self) -> str:
        text = f"HTML document, {self.size:,} bytes"
        if self.title:
            text += f'; title "{self.title}"'
        if self.first_text:
            text += f'; begins "{self.first_text}"'
        return text


class _TextFinder(HTMLParser):
    """Collects the title and the visible body text of an HTML document."""

    _HIDDEN = frozenset({"head", "style", "script", "title", "template", "noscript"})
    _VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.text: list[str] = []
        # Open elements: (tag, hidden). Mail preheaders hide with display:none;
        # they are not what a reader sees first.
        self._open: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._VOID:
            return
        style = (dict(attrs).get("style") or "").replace(" ", "").lower()
        self._open.append((tag, tag in self._HIDDEN or "display:none" in style))

    def handle_endtag(self, tag: str) -> None:
        if any(open_tag == tag for open_tag, _hidden in self._open):
            while self._open and self._open.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1][0] == "title":
            self.title.append(data)
        elif not any(hidden for _tag, hidden in self._open):
            self.text.append(data)


def summarise_html(text: str, *, length: int = 100) -> HtmlSummary:
    """Size, title and the first visible text of an HTML part (terminals do not show HTML)."""
    finder = _TextFinder()
    finder.feed(text)
    finder.close()
    title = " ".join("".join(finder.title).split())
    body = " ".join(" ".join(finder.text).split())
    if len(body) > length:
        body = body[: length - 1].rstrip() + "…"
    return HtmlSummary(size=len(text.encode("utf-8")), title=title, first_text=body)


def is_html(part: str) -> bool:
    return part.rsplit(".", 1)[-1] in ("html", "htm")


# -- writing -------------------------------------------------------------------------

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def write_previews(previews: Sequence[HandlerPreview], directory: Path) -> dict[tuple[str, str, str], Path]:
    """Write one file per rendered part into ``directory``; return where each went."""
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[tuple[str, str, str], Path] = {}
    for preview in previews:
        for rendered in preview.rendered:
            for part, text in rendered.parts.items():
                name = _SAFE_NAME.sub("_", part_filename(preview.name, rendered.level, part))
                path = directory / name
                path.write_text(text, encoding="utf-8")
                written[(preview.name, rendered.level, part)] = path
    return written


# -- sending -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """The outcome of sending one preview as a test."""

    handler: str
    level: str
    sent: bool
    attempts: int
    error: str = ""
    permanent: bool = False
    #: The Delivery recorded (test=True) when the report is a saved one.
    delivery_id: int | None = None


def send_test(
    handler: NotificationHandler,
    rendered: Rendered,
    report: Report | None,
    *,
    policy: RetryPolicy | None = None,
) -> Sent:
    """Deliver a message rendered with ``test=True`` through the handler's real transport.

    For a saved report the delivery is recorded (a :class:`~taskmanager.models.Delivery`
    with ``test=True``); a sample report has no row to record it against. ``policy``
    overrides the handler's retries (the admin tries once: a web request must not wait
    out backoffs).
    """
    from taskmanager.models import Delivery
    from taskmanager.notifications.emission import Outcome, record

    message = rendered.message
    if message is None:
        raise ValueError("nothing was rendered to send")
    delivery = None
    if report is not None and report.pk is not None and not report._state.adding:
        delivery = Delivery.objects.create(
            report=report, handler=handler.name, level=rendered.level, test=True
        )
    attempted = attempt_delivery(handler, message, policy=policy)
    if delivery is not None:
        record(delivery, Outcome.of(handler.name, message, attempted), handler)
    return Sent(
        handler=handler.name,
        level=rendered.level,
        sent=attempted.sent,
        attempts=attempted.attempts,
        error=attempted.error,  # already redacted by attempt_delivery
        permanent=attempted.permanent,
        delivery_id=delivery.pk if delivery is not None else None,
    )


# -- the JSON document ---------------------------------------------------------------


def preview_document(
    previews: Sequence[HandlerPreview],
    selection: Selection,
    *,
    levels: Sequence[Level],
    report: Report | None = None,
    files: Mapping[tuple[str, str, str], Path] | None = None,
    sent: Mapping[tuple[str, str], Sent] | None = None,
    test: bool = False,
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
        "levels": [level.label for level in levels],
        "test": test,
        "handlers": handlers,
        "skipped": selection.skipped,
        "errors": selection.errors,
    }
