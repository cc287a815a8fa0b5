"""What every ModelAdmin of the app shares: the app's styles, and read-only records."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from taskmanager.conf import settings


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
