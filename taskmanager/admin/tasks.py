"""The task admin: list, form with the latest reports inline, launch and stop."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from taskmanager.admin.display import format_duration, log_viewer_url, report_links, result_badge
from taskmanager.admin.mixins import RecordAdminMixin, TaskmanagerAdminMixin
from taskmanager.admin.snooze import SnoozeAdminMixin
from taskmanager.arguments import ArgumentsError, split_arguments
from taskmanager.conf import settings
from taskmanager.execution.backend import LaunchError
from taskmanager.logfiles import split_lines
from taskmanager.models import Report, Task

logger = logging.getLogger(__name__)


class LatestReportsFormSet(BaseInlineFormSet):
    """The task's last ``N_REPORTS_INLINE`` reports, newest first."""

    def get_queryset(self) -> QuerySet[Report]:
        # Sliced here, after the inline formset filtered by task: a sliced
        # queryset cannot be filtered any more. Cached so it is queried once.
        if not hasattr(self, "_latest_reports"):
            queryset = super().get_queryset().order_by("-invocation_datetime", "-id")
            self._latest_reports = queryset[: max(settings.N_REPORTS_INLINE, 0)]
        return self._latest_reports


class ReportInline(RecordAdminMixin, admin.TabularInline):
    model = Report
    formset = LatestReportsFormSet
    extra = 0
    can_delete = False
    view_on_site = False
    verbose_name_plural = _("latest reports")
    fields = readonly_fields = (
        "result",
        "invocation_datetime",
        "end_datetime",
        "duration",
        "n_log_errors",
        "n_log_warnings",
        "log_tail",
        "links",
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("result"))
    def result(self, obj: Report) -> SafeString:
        return result_badge(obj.invocation_result)

    @admin.display(description=_("duration"))
    def duration(self, obj: Report) -> str:
        return format_duration(obj.duration)

    @admin.display(description=_("log tail"))
    def log_tail(self, obj: Report) -> SafeString:
        # The stored tail only: reading the end of five log files made the page wait on the disk
        # (and on files that may be gone). The whole log is a click away, in the log viewer.
        lines = split_lines(obj.log)[-settings.N_LINES_IN_REPORT_INLINE :]
        tail = format_html('<pre class="tm-log-tail">{}</pre>', "\n".join(lines))
        hidden = (obj.n_log_lines or 0) - len(lines)
        viewer = log_viewer_url(obj.pk) if hidden > 0 and settings.SHOW_LOGVIEWER_LINK else None
        if not viewer:
            return tail
        more = ngettext("%(n)d earlier line", "%(n)d earlier lines", hidden) % {"n": hidden}
        return format_html('{}<a href="{}">{}</a>', tail, viewer, more)

    @admin.display(description=_("links"))
    def links(self, obj: Report) -> SafeString:
        return report_links(obj)


class TaskForm(forms.ModelForm):
    class Meta:
        model = Task
        fields = (
            "name",
            "command",
            "arguments",
            "category",
            "note",
            "scheduling",
            "repetition_period",
            "repetition_rate",
            "notifications_enabled",
        )

    def clean_arguments(self) -> str:
        arguments: str = self.cleaned_data.get("arguments") or ""
        try:
            split_arguments(arguments)
        except ArgumentsError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return arguments


@admin.register(Task)
class TaskAdmin(SnoozeAdminMixin, TaskmanagerAdminMixin):
    form = TaskForm
    inlines = [ReportInline]
    actions = ["launch_tasks", "stop_tasks", *SnoozeAdminMixin.snooze_actions]
    list_display = (
        "name",
        "command",
        "category",
        "status",
        "last_result",
        "cached_last_invocation_n_errors",
        "cached_last_invocation_n_warnings",
        "cached_last_invocation_datetime",
        "cached_next_ride",
        "notifications_snooze",
    )
    list_filter = ("status", "cached_last_invocation_result", "category", "command__app_name")
    list_select_related = ("command", "category")
    search_fields = ("name", "command__name", "arguments", "note")
    date_hierarchy = "cached_last_invocation_datetime"
    save_as = True
    save_on_top = True
    readonly_fields = (
        "status",
        "spooler_id",
        "last_result",
        "cached_last_invocation_datetime",
        "cached_last_invocation_n_errors",
        "cached_last_invocation_n_warnings",
        "cached_next_ride",
        "notifications_snooze_status",
    )
    fieldsets = (
        (None, {"fields": ("name", "command", "arguments", "category", "note")}),
        (_("Scheduling"), {"fields": ("scheduling", "repetition_period", "repetition_rate")}),
        (_("Notifications"), {"fields": ("notifications_enabled", "notifications_snooze_status")}),
        (
            _("Status"),
            {
                "fields": (
                    ("status", "spooler_id"),
                    ("last_result", "cached_last_invocation_datetime"),
                    ("cached_last_invocation_n_errors", "cached_last_invocation_n_warnings"),
                    "cached_next_ride",
                )
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Task]:
        # The last report's id, for the badge's link, in the list's one query.
        last_report = Report.objects.filter(task=OuterRef("pk")).order_by("-invocation_datetime", "-id")
        return super().get_queryset(request).annotate(last_report_id=Subquery(last_report.values("pk")[:1]))

    @admin.display(description=_("last result"), ordering="cached_last_invocation_result")
    def last_result(self, obj: Task) -> SafeString:
        badge = result_badge(obj.cached_last_invocation_result)
        report_pk = getattr(obj, "last_report_id", None)
        viewer = log_viewer_url(report_pk) if report_pk and settings.SHOW_LOGVIEWER_LINK else None
        if viewer:
            return format_html('<a href="{}" title="{}">{}</a>', viewer, _("full log of the last run"), badge)
        return badge

    @admin.action(description=_("Launch selected tasks"))
    def launch_tasks(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        for task in queryset:
            self._launch(request, task)

    @admin.action(description=_("Stop selected tasks"))
    def stop_tasks(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        stopped = 0
        for task in queryset:
            task.stop()
            stopped += 1
        self.message_user(
            request,
            ngettext("%(n)d task stopped.", "%(n)d tasks stopped.", stopped) % {"n": stopped},
            messages.SUCCESS,
        )

    def _launch(self, request: HttpRequest, task: Task) -> None:
        """Launch one task and tell the user how it went."""
        before = task.last_report
        try:
            task.launch()
        except LaunchError as exc:
            # A refusal that says why (already running, scheduled ahead): no traceback.
            self.message_user(
                request,
                format_html(gettext('Task "{}" was not launched: {}'), task.name, exc),
                messages.WARNING,
            )
            return
        except Exception as exc:
            # A broken task must not hide the outcome of the others selected.
            logger.exception("Launching task %s failed", task.pk)
            self.message_user(
                request,
                format_html(gettext('Task "{}" could not be launched: {}'), task.name, exc),
                messages.ERROR,
            )
            return
        task.refresh_from_db()
        report = task.last_report
        if report is None or (before is not None and report.pk == before.pk):
            # Spooled or scheduled: no report yet.
            self.message_user(
                request,
                format_html(
                    gettext('Task "{}" launched (status: {}).'), task.name, task.get_status_display()
                ),
                messages.SUCCESS,
            )
            return
        levels: dict[str, int] = {
            Report.RESULT_OK: messages.SUCCESS,
            Report.RESULT_WARNINGS: messages.WARNING,
            Report.RESULT_ERRORS: messages.WARNING,
        }
        level = levels.get(report.invocation_result, messages.ERROR)
        errors, warnings = report.n_log_errors or 0, report.n_log_warnings or 0
        self.message_user(
            request,
            format_html(
                gettext('Task "{}" ran: {} ({}, {}, {}). <a href="{}">See the report</a>.'),
                task.name,
                report.get_invocation_result_display(),
                ngettext("%(count)d error", "%(count)d errors", errors) % {"count": errors},
                ngettext("%(count)d warning", "%(count)d warnings", warnings) % {"count": warnings},
                format_duration(report.duration),
                reverse("admin:taskmanager_report_change", args=(report.pk,)),
            ),
            level,
        )

    def response_change(self, request: HttpRequest, obj: Task) -> HttpResponse:
        """The change form's "Launch now" and "Stop" buttons (saved first, like "Save")."""
        if "_launch" in request.POST:
            self._launch(request, obj)
            return HttpResponseRedirect(request.path)
        if "_stop" in request.POST:
            obj.stop()
            self.message_user(request, format_html(gettext('Task "{}" stopped.'), obj.name), messages.SUCCESS)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)
