"""The admin's "Preview notifications" page of a report.

What every configured handler renders for a report: the mail subject, the HTML
mail in a sandboxed iframe, the text part, the Slack payload with a rough
picture of its blocks (read by the Slack channel's ``blocks_html``) and a Block
Kit Builder link. Viewing sends nothing; a superuser's "Send now" sends one
handler's message as a test.

Everything reaches the page through Django's autoescaping: nothing rendered
from a report is marked safe (the HTML mail goes into ``srcdoc``, escaped, and
the sandbox keeps its scripts, forms and links inert).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext

from taskmanager.models import Report
from taskmanager.notifications.channels.slack.blocks_html import fallback_text, slack_blocks
from taskmanager.notifications.config import parse_level
from taskmanager.notifications.delivery_policy import RetryPolicy
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.preview import (
    Rendered,
    Verdict,
    policy_verdicts,
    pretty_json,
    render_level,
    select_handlers,
    send_test,
    summarise_html,
)
from taskmanager.results import Level, level_of_result
from taskmanager.text import part_kind

#: "Send now" tries once: a web request must not wait out a delivery's retries.
ONE_ATTEMPT = RetryPolicy(max_attempts=1)


@dataclass
class PartView:
    name: str
    kind: str  # "subject", "html", "json" or "text"
    text: str
    summary: str = ""
    blocks: list[dict[str, Any]] | None = None
    fallback_text: str = ""


@dataclass
class HandlerView:
    handler: NotificationHandler
    rendered: Rendered
    parts: list[PartView]
    block_kit_builder_url: str | None
    #: The policy's decision on the report itself (its own result), if it finished now.
    verdict: Verdict | None = None

    @property
    def name(self) -> str:
        return self.handler.name

    @property
    def class_name(self) -> str:
        return type(self.handler).__name__

    @property
    def options(self) -> list[tuple[str, str]]:
        return [
            (key, ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value))
            for key, value in self.handler.public_options().items()
        ]


def _part_views(rendered: Rendered) -> list[PartView]:
    views: list[PartView] = []
    for part, text in rendered.parts.items():
        kind = part_kind(part)
        if kind == "subject":
            views.append(PartView(part, "subject", " ".join(text.split())))
        elif kind == "html":
            summary = summarise_html(text)
            views.append(PartView(part, "html", text, summary=f"{summary.size:,} bytes"))
        elif kind == "json":
            pretty = pretty_json(text)
            blocks = slack_blocks(text)
            fallback = fallback_text(text) if blocks is not None else ""
            views.append(PartView(part, "json", pretty, blocks=blocks, fallback_text=fallback))
        else:
            views.append(PartView(part, "text", text))
    # Subject first, then what a reader looks at, then the sources.
    order = {"subject": 0, "html": 1, "json": 2, "text": 3}
    return sorted(views, key=lambda view: order[view.kind])


def _subtitle(report: Report) -> str:
    started = report.invocation_datetime
    when = timezone.localtime(started) if timezone.is_aware(started) else started
    return f"{report.task.name}: {report.invocation_result or 'no result yet'}, {when:%Y-%m-%d %H:%M}"


class ReportPreviewMixin(admin.ModelAdmin):
    """Adds ``<report>/preview/`` to the report admin (see ``ReportAdmin``)."""

    preview_template = "taskmanager/preview/report_preview.html"

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="{}_{}_preview".format(*info),
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        report = self.get_object(request, unquote(object_id))
        if report is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined]
        if not self.has_view_permission(request, report):
            raise PermissionDenied
        if request.method == "POST":
            return self._send_now(request, report)
        level = self._level(request.GET.get("level"), report)
        selection = select_handlers()
        verdicts = {verdict.handler: verdict for verdict in policy_verdicts(report, selection.handlers)}
        handlers = []
        for handler in selection.handlers:
            rendered = render_level(handler, report, level)
            handlers.append(
                HandlerView(
                    handler,
                    rendered,
                    _part_views(rendered),
                    rendered.block_kit_builder_url,
                    verdicts.get(handler.name),
                )
            )
        own = level_of_result(report.invocation_result)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Preview notifications"),
            "subtitle": _subtitle(report),
            "opts": self.opts,
            "original": report,
            "report": report,
            "level": level.label,
            "own_level": own.label if own else "",
            "levels": [
                {"label": item.label, "url": f"?{urlencode({'level': item.label})}", "own": item == own}
                for item in Level
            ],
            "handlers": handlers,
            "skipped": selection.skipped,
            "errors": selection.errors,
            "can_send": request.user.is_superuser,
            "has_view_permission": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.preview_template, context)

    def _level(self, value: str | None, report: Report) -> Level:
        if value:
            try:
                return parse_level(value)
            except Exception:
                pass  # a hand-edited URL: show the report's own level
        return level_of_result(report.invocation_result) or Level.OK

    def _send_now(self, request: HttpRequest, report: Report) -> HttpResponse:
        """Send one handler's message for this report as a test (superusers only)."""
        if not request.user.is_superuser:
            raise PermissionDenied
        level = self._level(request.POST.get("level"), report)
        back = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_preview", args=(report.pk,)
        )
        back += "?" + urlencode({"level": level.label})
        name = request.POST.get("handler", "")
        handler = {h.name: h for h in select_handlers().handlers}.get(name)
        if handler is None:
            self.message_user(request, gettext("No usable handler named %r.") % name, messages.ERROR)
            return HttpResponseRedirect(back)
        rendered = render_level(handler, report, level, test=True)
        if rendered.message is None:
            self.message_user(
                request,
                gettext("Nothing was sent with %(handler)s: %(error)s")
                % {"handler": name, "error": rendered.error or rendered.note},
                messages.ERROR,
            )
            return HttpResponseRedirect(back)
        sent = send_test(handler, rendered, report, policy=ONE_ATTEMPT)
        if sent.sent:
            self.message_user(
                request,
                gettext("Sent a test notification with %(handler)s (%(level)s, %(attempts)d attempt(s)).")
                % {"handler": name, "level": level.label, "attempts": sent.attempts},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                gettext("Sending a test with %(handler)s failed after %(attempts)d attempt(s): %(error)s")
                % {"handler": name, "attempts": sent.attempts, "error": sent.error},
                messages.ERROR,
            )
        return HttpResponseRedirect(back)
