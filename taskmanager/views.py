"""The log viewer: a report's whole log, streamed, and its raw download."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View

from taskmanager.logfiles import split_lines
from taskmanager.models import Report
from taskmanager.results import line_severity

# Where the template puts the log lines; the page is sent as the rendered
# text before it, the lines as they are read, then the text after it.
LOG_LINES_MARKER = "<!-- taskmanager:log-lines -->"

# ?only=errors / ?only=warnings keep the lines highlighted with that class.
LINE_FILTERS = {"": "", "errors": "error", "warnings": "warning"}


def get_report_for(request: HttpRequest, pk: int) -> Report:
    """The report, when the staff member may view reports."""
    if not request.user.has_perm("taskmanager.view_report"):
        raise PermissionDenied(_("You may not view task reports."))
    return get_object_or_404(Report.objects.select_related("task"), pk=pk)


@method_decorator(staff_member_required, name="dispatch")
class LogViewerView(View):
    """The whole log of one report, with line numbers and ERROR/WARNING lines highlighted.

    The response is streamed: lines are read, escaped and sent in chunks, a long line in
    pieces (``logfiles.PIECE_BYTES``), so neither a log of any size nor a line of any
    length sits in memory.
    """

    template_name = "taskmanager/log_viewer.html"
    # Characters of log text per chunk sent (each line counts one more): a chunk holds a few
    # hundred ordinary lines, or a piece of a long one, never a whole long line.
    chunk_size = 32 * 1024

    def get(self, request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
        report = get_report_for(request, pk)
        only = request.GET.get("only", "")
        if only not in LINE_FILTERS:
            return HttpResponseBadRequest(
                _("Unknown filter only=%(only)s: use only=errors, only=warnings or no filter.")
                % {"only": only},
                content_type="text/plain; charset=utf-8",
            )
        page = render_to_string(self.template_name, self.get_context_data(report, only), request=request)
        if LOG_LINES_MARKER not in page:
            raise ImproperlyConfigured(
                f"The template {self.template_name} must contain {{{{ log_lines_marker }}}} "
                "where the log lines go."
            )
        before, after = page.split(LOG_LINES_MARKER, 1)
        response = StreamingHttpResponse(
            self.stream(report, before, after, LINE_FILTERS[only]), content_type="text/html; charset=utf-8"
        )
        # Proxies such as nginx would otherwise buffer the whole page.
        response["X-Accel-Buffering"] = "no"
        return response

    def get_context_data(self, report: Report, only: str) -> dict[str, Any]:
        base = reverse("log_viewer", args=(report.pk,))
        context: dict[str, Any] = {
            **admin.site.each_context(self.request),
            "title": _("Log of %(report)s") % {"report": report},
            "report": report,
            "task": report.task,
            "opts": Report._meta,
            "has_logfile": report.has_logfile(),
            "n_tail_lines": len(split_lines(report.log)),
            "only": only,
            "filter_links": [
                (_("all lines"), base, only == ""),
                (_("errors only"), f"{base}?only=errors", only == "errors"),
                (_("warnings only"), f"{base}?only=warnings", only == "warnings"),
            ],
            "download_url": reverse("log_download", args=(report.pk,)),
            "report_url": reverse("admin:taskmanager_report_change", args=(report.pk,)),
            "log_lines_marker": mark_safe(LOG_LINES_MARKER),
        }
        return context

    def stream(self, report: Report, before: str, after: str, wanted: str) -> Iterator[str]:
        yield before
        out: list[str] = []
        size = number = shown = 0
        showing = False
        for piece in report.iter_log_pieces():
            if piece.first:
                number += 1
                # The rule of the report's counts, on the line's text; a line longer than a
                # piece is judged by its first piece (the page cannot wait for its end).
                css = line_severity(piece.text)
                showing = not wanted or css == wanted
                if showing:
                    shown += 1
                    out.append(
                        f'<span id="L{number}" class="tm-line{" tm-line-" + css if css else ""}">'
                        f'<a class="tm-ln" href="#L{number}">{number}</a>'
                    )
            if not showing:
                continue
            out.append(html.escape(piece.text, quote=False))
            size += len(piece.text) + 1
            if piece.last:
                out.append("</span>\n")
            # A chunk of a few hundred lines, or of one piece of a long line.
            if size >= self.chunk_size:
                yield "".join(out)
                out.clear()
                size = 0
        if out:
            yield "".join(out)
        if not shown:
            yield '<span class="tm-line tm-empty">{}</span>\n'.format(
                html.escape(_("No matching lines.") if wanted else _("The log is empty."))
            )
        yield after


@method_decorator(staff_member_required, name="dispatch")
class LogDownloadView(View):
    """The raw log file as text/plain (the stored tail when the file was not kept)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        report = get_report_for(request, pk)
        if report.has_logfile():
            return FileResponse(
                open(report.logfile, "rb"),  # FileResponse closes it
                as_attachment=True,
                filename=f"report-{report.pk}.log",
                content_type="text/plain; charset=utf-8",
            )
        response = HttpResponse(report.log, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="report-{report.pk}-tail.log"'
        return response
