"""Admin of the taskmanager app: tasks, their reports, commands and categories."""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Case, Count, OuterRef, QuerySet, Subquery, When
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from taskmanager.admin_preview import ReportPreviewMixin
from taskmanager.arguments import ArgumentsError, split_arguments
from taskmanager.conf import settings
from taskmanager.execution.backend import LaunchError
from taskmanager.execution.uwsgi.spoolfiles import has_spooler, spool_resend
from taskmanager.models import AppCommand, Delivery, Report, Task, TaskCategory
from taskmanager.notifications.filters import duration as human_duration

logger = logging.getLogger(__name__)

_RESULT_LABELS = dict(Report.RESULT_CHOICES)


def result_badge(result: str | None) -> SafeString:
    """A coloured label for a report result (grey ``---`` when there is none yet)."""
    result = result or ""
    css = result if result in _RESULT_LABELS and result else "none"
    label = _RESULT_LABELS.get(result, result)
    return format_html('<span class="tm-badge tm-badge-{}">{}</span>', css, label)


def format_duration(duration: datetime.timedelta | None) -> str:
    """How long a run took, for people (``-`` while unknown)."""
    return "-" if duration is None else human_duration(duration)


def log_viewer_url(report_pk: int) -> str | None:
    """The log viewer's URL, or None when the project did not include taskmanager.urls."""
    try:
        return reverse("log_viewer", args=(report_pk,))
    except NoReverseMatch:
        return None


def log_download_url(report_pk: int) -> str | None:
    try:
        return reverse("log_download", args=(report_pk,))
    except NoReverseMatch:
        return None


def report_links(report: Report) -> SafeString:
    """Links to a report's admin page and, when enabled, its log viewer."""
    links = [(reverse("admin:taskmanager_report_change", args=(report.pk,)), _("report"))]
    viewer = log_viewer_url(report.pk) if settings.SHOW_LOGVIEWER_LINK else None
    if viewer:
        links.append((viewer, _("full log")))
    return format_html_join(" · ", '<a href="{}">{}</a>', links)


class TaskmanagerAdminMixin(admin.ModelAdmin):
    """Adds the badge styles and, with USE_FILTER_COLLAPSE, the collapsed list filters."""

    @property
    def media(self) -> forms.Media:
        media = super().media + forms.Media(css={"all": ["taskmanager/taskmanager.css"]})
        # Read on each request, not at import, so override_settings works.
        if settings.USE_FILTER_COLLAPSE:
            media += forms.Media(js=["taskmanager/filter_collapse.js"])
        return media


class RecordAdminMixin:
    """Reports and deliveries are records of what happened: viewed, never added or edited."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
        lines = obj.log_tail_lines(settings.N_LINES_IN_REPORT_INLINE)
        return format_html('<pre class="tm-log-tail">{}</pre>', "\n".join(lines))

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
class TaskAdmin(TaskmanagerAdminMixin):
    form = TaskForm
    inlines = [ReportInline]
    actions = ["launch_tasks", "stop_tasks"]
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
    )
    fieldsets = (
        (None, {"fields": ("name", "command", "arguments", "category", "note")}),
        (_("Scheduling"), {"fields": ("scheduling", "repetition_period", "repetition_rate")}),
        (_("Notifications"), {"fields": ("notifications_enabled",)}),
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
        level = {
            Report.RESULT_OK: messages.SUCCESS,
            Report.RESULT_WARNINGS: messages.WARNING,
            Report.RESULT_ERRORS: messages.WARNING,
        }.get(report.invocation_result, messages.ERROR)
        self.message_user(
            request,
            format_html(
                gettext('Task "{}" ran: {} ({} errors, {} warnings, {}). <a href="{}">See the report</a>.'),
                task.name,
                report.get_invocation_result_display(),
                report.n_log_errors or 0,
                report.n_log_warnings or 0,
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


_DELIVERY_STATUS_CSS = {
    Delivery.STATUS_SENT: "ok",
    Delivery.STATUS_FAILED: "failed",
    Delivery.STATUS_PENDING: "warnings",
    Delivery.STATUS_SKIPPED: "none",
}


def delivery_badge(status: str) -> SafeString:
    return format_html(
        '<span class="tm-badge tm-badge-{}">{}</span>', _DELIVERY_STATUS_CSS.get(status, "none"), status
    )


class DeliveryInline(RecordAdminMixin, admin.TabularInline):
    """A report's notification deliveries, read-only."""

    model = Delivery
    extra = 0
    can_delete = False
    show_change_link = True
    fields = readonly_fields = (
        "handler",
        "level",
        "status_badge",
        "attempts",
        "permanent",
        "last_error",
        "created",
    )
    ordering = ("-created", "-id")

    @admin.display(description=_("status"))
    def status_badge(self, obj: Delivery) -> SafeString:
        return delivery_badge(obj.status)


@admin.register(Delivery)
class DeliveryAdmin(RecordAdminMixin, TaskmanagerAdminMixin):
    list_display = (
        "created",
        "report_link",
        "task_name",
        "handler",
        "level",
        "status_badge",
        "attempts",
        "error",
    )
    list_filter = ("status", "handler", "permanent", "test", "level", "created")
    list_select_related = ("report__task",)
    search_fields = ("report__task__name", "handler", "last_error")
    date_hierarchy = "created"
    actions = ["resend_deliveries"]
    fields = readonly_fields = (
        "report_link",
        "handler",
        "level",
        "status_badge",
        "attempts",
        "permanent",
        "last_error",
        "test",
        "created",
        "updated",
        "sent_at",
        "rendered_parts",
    )

    @admin.display(description=_("report"), ordering="report")
    def report_link(self, obj: Delivery) -> SafeString:
        url = reverse("admin:taskmanager_report_change", args=(obj.report.pk,))
        return format_html('<a href="{}">{}</a>', url, obj.report.pk)

    @admin.display(description=_("task"), ordering="report__task__name")
    def task_name(self, obj: Delivery) -> str:
        return obj.report.task.name

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Delivery) -> SafeString:
        return delivery_badge(obj.status)

    @admin.display(description=_("last error"))
    def error(self, obj: Delivery) -> str:
        text = obj.last_error or ""
        return text if len(text) <= 120 else text[:119] + "…"

    @admin.display(description=_("rendered parts"))
    def rendered_parts(self, obj: Delivery) -> SafeString | str:
        if not obj.parts:
            return "-"
        return format_html_join("", '<h4>{}</h4><pre class="tm-log-tail">{}</pre>', sorted(obj.parts.items()))

    @admin.action(description=_("Resend the selected failed deliveries"), permissions=["view"])
    def resend_deliveries(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        from taskmanager.notifications.resend import resend, resendable

        selected = set(queryset.values_list("pk", flat=True))
        candidates = [d for d in resendable() if d.pk in selected]
        skipped = len(selected) - len(candidates)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery was not resent: it was sent, or its report has since been delivered.",
                    "%(count)d deliveries were not resent: they were sent, or their report has since been "
                    "delivered.",
                    skipped,
                )
                % {"count": skipped},
                messages.INFO,
            )
        if has_spooler():
            # The web worker never waits for deliveries: the spooler resends.
            for delivery in candidates:
                spool_resend(report=delivery.report.pk, handler=delivery.handler)
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery queued on the spooler for resending.",
                    "%(count)d deliveries queued on the spooler for resending.",
                    len(candidates),
                )
                % {"count": len(candidates)},
            )
            return
        for result in resend(candidates):
            outcome = result.outcome
            if outcome is not None and outcome.sent:
                self.message_user(
                    request,
                    format_html(
                        gettext("Delivery {} ({}) sent."), result.delivery.pk, result.delivery.handler
                    ),
                )
            else:
                error = result.error if outcome is None else outcome.error
                self.message_user(
                    request,
                    format_html(
                        gettext("Delivery {} ({}) failed again: {}"),
                        result.delivery.pk,
                        result.delivery.handler,
                        error,
                    ),
                    messages.ERROR,
                )


@admin.register(Report)
class ReportAdmin(ReportPreviewMixin, RecordAdminMixin, TaskmanagerAdminMixin):
    list_display = (
        "invocation_datetime",
        "task",
        "result",
        "end_datetime",
        "duration",
        "n_log_lines",
        "n_log_errors",
        "n_log_warnings",
    )
    list_filter = ("invocation_result", "task", "invocation_datetime")
    list_select_related = ("task",)
    inlines = [DeliveryInline]
    search_fields = ("task__name",)
    date_hierarchy = "invocation_datetime"
    view_on_site = False
    fields = readonly_fields = (
        "task",
        "result",
        "invocation_datetime",
        "end_datetime",
        "duration",
        "n_log_lines",
        "n_log_errors",
        "n_log_warnings",
        "notifications_disabled",
        "extra_data",
        "logfile",
        "log_links",
        "log_tail",
    )

    @admin.display(description=_("result"), ordering="invocation_result")
    def result(self, obj: Report) -> SafeString:
        return result_badge(obj.invocation_result)

    @admin.display(description=_("duration"))
    def duration(self, obj: Report) -> str:
        return format_duration(obj.duration)

    @admin.display(description=_("extra"))
    def extra_data(self, obj: Report) -> SafeString | str:
        if not obj.extra:
            return "-"
        return format_html("<pre>{}</pre>", json.dumps(obj.extra, indent=2, ensure_ascii=False, default=str))

    @admin.display(description=_("full log"))
    def log_links(self, obj: Report) -> SafeString | str:
        links = []
        viewer = log_viewer_url(obj.pk)
        if viewer:
            links.append((viewer, _("view the whole log")))
        download = log_download_url(obj.pk)
        if download:
            links.append((download, _("download raw")))
        if not links:
            return gettext("include taskmanager.urls in the project's URLs to view the whole log")
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    @admin.display(description=_("log tail"))
    def log_tail(self, obj: Report) -> SafeString:
        return format_html('<pre class="tm-log-tail">{}</pre>', obj.log)


@admin.register(AppCommand)
class AppCommandAdmin(TaskmanagerAdminMixin):
    list_display = ("name", "app_name", "active")
    list_filter = ("active", "app_name")
    search_fields = ("name", "app_name")
    actions = ["toggle_active"]
    fields = ("name", "app_name", "active", "command_help")
    readonly_fields = ("name", "app_name", "command_help")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Commands are found by ``manage.py collectcommands``.
        return False

    @admin.display(description=_("help"))
    def command_help(self, obj: AppCommand) -> SafeString:
        try:
            text = obj.help_text
        except Exception as exc:
            # Loading imports the project's code: show why it failed, not a 500.
            text = f"This command cannot be loaded: {type(exc).__name__}: {exc}"
        return format_html('<pre class="tm-help">{}</pre>', text)

    @admin.action(description=_("Activate or deactivate selected commands"))
    def toggle_active(self, request: HttpRequest, queryset: QuerySet[AppCommand]) -> None:
        changed = queryset.update(active=Case(When(active=True, then=False), default=True))
        self.message_user(
            request,
            ngettext("%(n)d command toggled.", "%(n)d commands toggled.", changed) % {"n": changed},
            messages.SUCCESS,
        )


class TaskInline(RecordAdminMixin, admin.TabularInline):
    model = Task
    extra = 0
    show_change_link = True
    fields = readonly_fields = ("name", "command", "status", "last_result", "cached_last_invocation_datetime")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("last result"))
    def last_result(self, obj: Task) -> SafeString:
        return result_badge(obj.cached_last_invocation_result)


@admin.register(TaskCategory)
class TaskCategoryAdmin(TaskmanagerAdminMixin):
    list_display = ("name", "n_tasks")
    search_fields = ("name",)
    inlines = [TaskInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TaskCategory]:
        return super().get_queryset(request).annotate(n_tasks=Count("task"))

    @admin.display(description=_("tasks"), ordering="n_tasks")
    def n_tasks(self, obj: TaskCategory) -> int:
        return getattr(obj, "n_tasks", 0)
