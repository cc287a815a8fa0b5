"""The category admin: how many tasks each category holds, and the tasks inline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from taskmanager.admin.display import result_badge
from taskmanager.admin.mixins import RecordAdminMixin, TaskmanagerAdminMixin
from taskmanager.models import Task, TaskCategory


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
