"""The admin of the taskmanager app: one module per model's pages.

Django's autodiscover imports this package, and importing the modules registers their
ModelAdmins. The names are re-exported so that a project can extend or re-register them.
"""

from taskmanager.admin.categories import TaskCategoryAdmin, TaskInline
from taskmanager.admin.commands import AppCommandAdmin
from taskmanager.admin.deliveries import DeliveryAdmin, DeliveryInline, delivery_badge
from taskmanager.admin.display import (
    format_duration,
    log_download_url,
    log_viewer_url,
    report_links,
    result_badge,
)
from taskmanager.admin.mixins import RecordAdminMixin, TaskmanagerAdminMixin
from taskmanager.admin.preview import ReportPreviewMixin
from taskmanager.admin.reports import ReportAdmin
from taskmanager.admin.tasks import LatestReportsFormSet, ReportInline, TaskAdmin, TaskForm

__all__ = [
    "AppCommandAdmin",
    "DeliveryAdmin",
    "DeliveryInline",
    "LatestReportsFormSet",
    "RecordAdminMixin",
    "ReportAdmin",
    "ReportInline",
    "ReportPreviewMixin",
    "TaskAdmin",
    "TaskCategoryAdmin",
    "TaskForm",
    "TaskInline",
    "TaskmanagerAdminMixin",
    "delivery_badge",
    "format_duration",
    "log_download_url",
    "log_viewer_url",
    "report_links",
    "result_badge",
]
