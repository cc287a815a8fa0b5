"""``manage.py preview_notifications``: what every handler renders at every level, sending nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from taskmanager.models import Report
from taskmanager.notifications.config import load_handlers, parse_level
from taskmanager.notifications.preview import (
    EVENTS,
    HandlerPreview,
    PreviewError,
    Redactor,
    Rendered,
    Selection,
    Sent,
    Verdict,
    configured_secrets,
    event_history,
    part_filename,
    policy_verdicts,
    pretty_json,
    preview_document,
    render_previews,
    report_level,
    select_handlers,
    send_test,
    summarise_html,
    write_previews,
)
from taskmanager.results import Level
from taskmanager.text import part_kind


class Command(BaseCommand):
    help = (
        "Render the notifications of every configured handler (or those named) at every level (or those "
        "named), from built-in sample reports or a real one, and print them; nothing is sent unless --send."
    )
    # Configuration problems are this command's subject: it reports them in its
    # own words instead of stopping at the system checks.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--handler",
            action="append",
            dest="handlers",
            metavar="NAME",
            help="Preview this handler (repeat for more; default: every configured one).",
        )
        parser.add_argument(
            "--level",
            action="append",
            dest="levels",
            choices=Level.names(),
            help="Preview at this level (repeat for more; default: all four, or the report's own).",
        )
        parser.add_argument(
            "--report", type=int, metavar="ID", help="Render this report instead of the sample reports."
        )
        parser.add_argument(
            "--output", type=Path, metavar="DIR", help="Write each part to DIR/<handler>-<level>.<part>."
        )
        parser.add_argument(
            "--send",
            action="store_true",
            help="Also deliver each message through the handler's transport, marked as a test.",
        )
        parser.add_argument(
            "--event",
            choices=EVENTS,
            help="Render the policy's message for this event from the sample reports (default level: "
            + ", ".join(f"{event} at {event_history(event).default_level.label}" for event in EVENTS)
            + ").",
        )
        parser.add_argument("--format", choices=("text", "json"), default="text", help="Output format.")

    def handle(self, *args: Any, **options: Any) -> None:
        loaded = load_handlers()
        self.redact = Redactor(configured_secrets(loaded))
        try:
            self._preview(loaded, options)
        except PreviewError as exc:
            raise CommandError(self.redact(str(exc))) from None

    def _preview(self, loaded: Any, options: dict[str, Any]) -> None:
        selection = select_handlers(options["handlers"], loaded)
        report = self._report(options["report"]) if options["report"] is not None else None
        event = options["event"]
        if event is not None and report is not None:
            raise PreviewError(
                "--event renders the sample reports; a real report's event is the policy's decision, "
                "printed without --event."
            )
        if options["levels"]:
            levels = sorted({parse_level(name) for name in options["levels"]})
        elif report is not None:
            levels = [report_level(report)]
        elif event is not None:
            levels = [event_history(event).default_level]
        else:
            levels = list(Level)
        if not selection.handlers and not selection.errors:
            skipped = (
                f" (skipped as not configured: {', '.join(selection.skipped)})" if selection.skipped else ""
            )
            raise PreviewError(
                "No notification handler to preview" + skipped + ": configure one in "
                "UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS (see the Notifications how-to)."
            )
        send = options["send"]
        # Decided before anything is sent: a test send is recorded, and must not count.
        verdicts = self._verdicts(report, selection.handlers) if report is not None else []
        previews = render_previews(selection.handlers, levels, report, test=send, event=event)
        files: dict[tuple[str, str, str], Path] = {}
        if options["output"] is not None:
            try:
                files = write_previews(previews, options["output"])
            except OSError as exc:
                raise PreviewError(f"Cannot write the previews to {options['output']}: {exc}") from None
        sent: dict[tuple[str, str], Sent] = {}
        if send:
            sent = self._send(previews, report)
        if options["format"] == "json":
            document = preview_document(
                previews,
                selection,
                levels=levels,
                report=report,
                files=files,
                sent=sent,
                test=send,
                event=event,
            )
            for verdict in verdicts:
                document["handlers"][verdict.handler]["decision"] = verdict.as_dict()
            self._write(json.dumps(document, ensure_ascii=False, indent=2, default=str))
        else:
            self._print(previews, selection, report, files, sent, send)
            self._print_verdicts(verdicts, report)
        self._fail_on_problems(previews, selection, sent)

    def _report(self, pk: int) -> Report:
        try:
            return Report.objects.select_related("task", "task__command").get(pk=pk)
        except Report.DoesNotExist:
            raise PreviewError(f"No report with id {pk}.") from None
        except DatabaseError as exc:
            raise PreviewError(
                f"Cannot read report {pk} from the database ({exc}): is it migrated?"
            ) from None

    def _verdicts(self, report: Report, handlers: list[Any]) -> list[Verdict]:
        try:
            return policy_verdicts(report, handlers)
        except DatabaseError as exc:
            raise PreviewError(
                f"Cannot read the notification policy's state from the database ({exc}): is it migrated?"
            ) from None

    def _send(self, previews: list[HandlerPreview], report: Any) -> dict[tuple[str, str], Sent]:
        sent = {}
        for preview in previews:
            for rendered in preview.rendered:
                if rendered.message is not None:
                    sent[(preview.name, rendered.level)] = send_test(preview.handler, rendered, report)
        return sent

    # -- text output ---------------------------------------------------------------

    def _write(self, text: str, style: Any = None) -> None:
        text = self.redact(text)
        self.stdout.write(style(text) if style else text)

    def _print(
        self,
        previews: list[HandlerPreview],
        selection: Selection,
        report: Any,
        files: dict[tuple[str, str, str], Path],
        sent: dict[tuple[str, str], Sent],
        send: bool,
    ) -> None:
        source = f"report {report.pk} ({report.task.name})" if report is not None else "the sample reports"
        if previews and previews[0].rendered and previews[0].rendered[0].event:
            source += f" as {previews[0].rendered[0].event} messages"
        action = "sent as tests" if send else "nothing is sent"
        if previews:
            self._write(f"Notification previews from {source}; {action}.")
        for name, reason in selection.skipped.items():
            self._write(f"Skipped {name!r}: {reason}.", self.style.WARNING)
        for preview in previews:
            handler = preview.handler
            self._write("")
            self._write(
                f"==== {preview.name} ({type(handler).__name__}, templates {handler.templates!r}, "
                f"level {handler.level.label}) ====",
                self.style.MIGRATE_HEADING,
            )
            for rendered in preview.rendered:
                self._print_rendered(rendered, files, sent.get((preview.name, rendered.level)))
        if files:
            folder = next(iter(files.values())).parent
            self._write("")
            self._write(f"{len(files)} files written to {folder}")

    def _print_verdicts(self, verdicts: list[Verdict], report: Report | None) -> None:
        """Each handler's decision on a real report, last, where a terminal leaves it in sight."""
        if not verdicts or report is None:
            return
        self._write("")
        self._write(
            f"==== Would report {report.pk} be sent if it finished now? ====", self.style.MIGRATE_HEADING
        )
        self._write(
            "(the policy's decision, after what each handler has been told so far; nothing is recorded)"
        )
        for verdict in verdicts:
            style = self.style.SUCCESS if verdict.send else self.style.WARNING
            self._write(f"{verdict.handler}: {verdict.describe()}", style)
            when = "; ".join(recorded.describe() for recorded in verdict.recorded) or "no delivery record"
            self._write(f"    when it ran: {when}")

    def _print_rendered(
        self, rendered: Rendered, files: dict[tuple[str, str, str], Path], outcome: Sent | None
    ) -> None:
        heading = f"== {rendered.handler} · {rendered.level} =="
        if rendered.event:
            heading = f"== {rendered.handler} · {rendered.event} at {rendered.level} =="
        if not rendered.sends:
            heading += f" ({rendered.why_not_sent})"
        self._write("")
        self._write(heading, self.style.MIGRATE_LABEL)
        if rendered.note:
            self._write(f"Not rendered: {rendered.note}.")
            return
        if rendered.error:
            self._write(f"Template error: {rendered.error}", self.style.ERROR)
            return
        for part, text in rendered.parts.items():
            path = files.get((rendered.handler, rendered.level, part))
            self._write(f"--- {part_filename(rendered.handler, rendered.level, part, rendered.event)} ---")
            kind = part_kind(part)
            if kind == "html":
                self._write(str(summarise_html(text)))
                self._write(
                    f"Open it: {path}" if path else "Write it to a file with --output DIR to open it."
                )
            elif kind == "json":
                self._write(pretty_json(text))
            else:
                self._write(text.rstrip("\n"))
            if path and kind != "html":
                self._write(f"(written to {path})")
        url = rendered.block_kit_builder_url
        if url:
            self._write(f"Block Kit Builder: {url}")
        if outcome is not None:
            if outcome.sent:
                recorded = f", recorded as delivery {outcome.delivery_id}" if outcome.delivery_id else ""
                self._write(f"Sent as a test ({outcome.attempts} attempt(s){recorded}).", self.style.SUCCESS)
            else:
                why = "permanent failure" if outcome.permanent else f"{outcome.attempts} attempt(s)"
                self._write(f"Sending failed ({why}): {outcome.error}", self.style.ERROR)

    def _fail_on_problems(
        self, previews: list[HandlerPreview], selection: Selection, sent: dict[tuple[str, str], Sent]
    ) -> None:
        problems = list(selection.errors.values())
        problems += [f"{r.handler} at {r.level}: {r.error}" for p in previews for r in p.rendered if r.error]
        problems += [
            f"{s.handler} at {s.level}: sending failed: {s.error}" for s in sent.values() if not s.sent
        ]
        if len(problems) == 1:
            raise CommandError(self.redact(problems[0]))
        if problems:
            listed = "\n".join(f"- {problem}" for problem in problems)
            raise CommandError(self.redact(f"{len(problems)} problems:\n{listed}"))
