"""What several admin pages show the same way: a report's result badge, a run's duration, log links."""

from __future__ import annotations

import datetime

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from taskmanager.conf import settings
from taskmanager.models import Report
from taskmanager.notifications.filters import duration as human_duration

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
