"""The command admin: the management commands found by ``collectcommands``, with their help."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Case, QuerySet, When
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from taskmanager.admin.mixins import TaskmanagerAdminMixin
from taskmanager.models import AppCommand


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
