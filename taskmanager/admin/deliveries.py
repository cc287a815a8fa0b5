"""The delivery admin: each notification delivery of a report, and the Resend action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from taskmanager.admin.mixins import RecordAdminMixin, TaskmanagerAdminMixin
from taskmanager.execution.backend import LaunchError
from taskmanager.execution.current import get_backend
from taskmanager.models import Delivery
from taskmanager.notifications.resend import resend, resendable
from taskmanager.text import cut

#: Resending posts to external services on the staff member's behalf: viewing is not enough.
RESEND_PERMISSION = "taskmanager.change_delivery"
#: The rendered parts hold what the run wrote (its log tail): readable by whoever may read
#: reports, the permission the log viewer asks (``views.get_report_for``).
VIEW_REPORTS_PERMISSION = "taskmanager.view_report"

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
        "event",
        "status_badge",
        "why",
        "attempts",
        "permanent",
        "created",
    )
    ordering = ("-created", "-id")

    @admin.display(description=_("status"))
    def status_badge(self, obj: Delivery) -> SafeString:
        return delivery_badge(obj.status)

    @admin.display(description=_("reason or last error"))
    def why(self, obj: Delivery) -> str:
        return why_text(obj)


def why_text(delivery: Delivery) -> str:
    """Why nobody was told (a skipped record's reason), else the last error."""
    return delivery.reason if delivery.status == Delivery.STATUS_SKIPPED else delivery.last_error


@admin.register(Delivery)
class DeliveryAdmin(RecordAdminMixin, TaskmanagerAdminMixin):
    list_display = (
        "created",
        "report_link",
        "task_name",
        "handler",
        "level",
        "event",
        "status_badge",
        "attempts",
        "error",
    )
    list_filter = ("status", "event", "handler", "permanent", "test", "level", "created")
    list_select_related = ("report__task",)
    search_fields = ("report__task__name", "handler", "last_error", "reason")
    date_hierarchy = "created"
    actions = ["resend_deliveries"]
    fields = readonly_fields = _FIELDS = (
        "report_link",
        "handler",
        "level",
        "event",
        "status_badge",
        "reason",
        "attempts",
        "permanent",
        "last_error",
        "test",
        "created",
        "updated",
        "sent_at",
        "rendered_parts",
    )

    def get_fields(self, request: HttpRequest, obj: Delivery | None = None) -> tuple[str, ...]:
        if request.user.has_perm(VIEW_REPORTS_PERMISSION):
            return self._FIELDS
        return tuple(field for field in self._FIELDS if field != "rendered_parts")

    def has_resend_permission(self, request: HttpRequest) -> bool:
        """Whether the staff member may use the Resend action."""
        return request.user.has_perm(RESEND_PERMISSION)

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

    @admin.display(description=_("reason or last error"))
    def error(self, obj: Delivery) -> str:
        return cut(why_text(obj) or "", 120)

    @admin.display(description=_("rendered parts"))
    def rendered_parts(self, obj: Delivery) -> SafeString | str:
        if not obj.parts:
            return "-"
        return format_html_join("", '<h4>{}</h4><pre class="tm-log-tail">{}</pre>', sorted(obj.parts.items()))

    def _resend_later(self, request: HttpRequest, candidates: list[Delivery]) -> bool:
        """Leave the resends to where tasks run (the web worker never waits for deliveries);
        False when the backend in use runs nothing later (uWSGI without a spooler, inline)."""
        backend = get_backend()
        try:
            for delivery in candidates:
                backend.resend_later(report=delivery.report.pk, handler=delivery.handler, since=None)
        except LaunchError:
            return False
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued for resending where tasks run.",
                "%(count)d deliveries queued for resending where tasks run.",
                len(candidates),
            )
            % {"count": len(candidates)},
        )
        return True

    @admin.action(description=_("Resend the selected failed deliveries"), permissions=["resend"])
    def resend_deliveries(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
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
        if self._resend_later(request, candidates):
            return
        for result in resend(candidates):
            outcome = result.outcome
            if result.busy:
                self.message_user(
                    request,
                    format_html(
                        gettext(
                            "Delivery {} ({}) not resent: another resend has it, or it has since been sent."
                        ),
                        result.delivery.pk,
                        result.delivery.handler,
                    ),
                    messages.INFO,
                )
            elif outcome is not None and outcome.sent:
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
