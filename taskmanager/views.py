"""Views of the taskmanager app."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

from taskmanager.models import Report


@method_decorator(staff_member_required, name="dispatch")
class LogViewerView(TemplateView):
    """The whole log of one report (placeholder until the admin work lands)."""

    template_name = "taskmanager/log_viewer.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["report"] = get_object_or_404(Report, pk=kwargs["pk"])
        return context
