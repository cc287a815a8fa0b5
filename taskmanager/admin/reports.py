"""The report admin: a read-only record of a run, its deliveries inline, its notifications' preview."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from taskmanager.admin.deliveries import DeliveryInline
from taskmanager.admin.display import format_duration, log_download_url, log_viewer_url, result_badge
from taskmanager.admin.mixins import RecordAdminMixin, TaskmanagerAdminMixin
from taskmanager.admin.preview import ReportPreviewMixin
from taskmanager.models import Report


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
    # The date is a filter of ranges (today, past 7 days, this month, this year), not a
    # date_hierarchy: its year/month/day links come from a DISTINCT date truncation over every
    # row, a Python call per row on SQLite, which grew with the table (275 ms at 10k reports).
    list_filter = ("invocation_datetime", "invocation_result", "task")
    list_select_related = ("task",)
    inlines = [DeliveryInline]
    search_fields = ("task__name",)
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
        "notifications",
        "extra_data",
        "logfile",
        "log_links",
        "log_tail",
    )

    # Read-only, deleting included: no Delete button, bulk action or page. The permission itself
    # stays, as Django asks it of whoever deletes a task, which deletes the task's reports.
    def get_actions(self, request: HttpRequest, action_location: Any = None) -> dict[str, Any]:
        # Django 6.1 asks for the actions of a place (the list or the change form) and deprecates
        # an override without action_location; releases before it have one place and no argument.
        where = {} if action_location is None else {"action_location": action_location}
        actions = super().get_actions(request, **where)
        actions.pop("delete_selected", None)
        return actions

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "show_delete": False}
        )

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        raise PermissionDenied(
            gettext("Reports are records of what happened: they are deleted with their task.")
        )

    @admin.display(description=_("result"), ordering="invocation_result")
    def result(self, obj: Report) -> SafeString:
        return result_badge(obj.invocation_result)

    @admin.display(description=_("notifications"))
    def notifications(self, obj: Report) -> str:
        # Said positively: "disabled: no" read as a double negative.
        if obj.notifications_disabled:
            return gettext("off for this run (the task's setting, or --disable-notifications)")
        return gettext("on: each handler whose level the result reaches (its deliveries below)")

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
