"""The context every notification template receives (see docs/notifications-context.rst)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings as django_settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from taskmanager.arguments import ArgumentsError
from taskmanager.conf import settings
from taskmanager.notifications.filters import duration as duration_text
from taskmanager.notifications.links import Paths
from taskmanager.previous_report import previous_report
from taskmanager.results import Result
from taskmanager.text import clip, printable

if TYPE_CHECKING:
    from taskmanager.models import Report, Task


def base_url() -> str | None:
    """``scheme://host`` for absolute links, or None when it cannot be known.

    UWSGI_TASKMANAGER_BASE_URL wins (2.x's host-only form gets https://);
    otherwise the current django.contrib.sites Site, over https unless DEBUG.
    """
    configured = settings.BASE_URL
    if configured:
        configured = str(configured).rstrip("/")
        return configured if urlsplit(configured).scheme else "https://" + configured
    if apps.is_installed("django.contrib.sites"):
        from django.contrib.sites.models import Site

        try:
            domain = Site.objects.get_current().domain
        except Exception:  # an unmigrated or misconfigured sites table: no links, no crash
            return None
        scheme = "http" if getattr(django_settings, "DEBUG", False) else "https"
        return f"{scheme}://{domain}"
    return None


def absolute(path: str | None, base: str | None) -> str | None:
    return f"{base}{path}" if path and base else None


def command_label(task: Task) -> str:
    """``"app: command"``; also for an unsaved task holding an unsaved command (samples)."""
    try:
        return str(task.command)
    except ObjectDoesNotExist:  # no command assigned
        return ""


def task_arguments(report: Report) -> list[str]:
    try:
        return report.task.command_argv
    except ArgumentsError:
        return [report.task.arguments]


def _local(value: datetime.datetime | None, zone: datetime.tzinfo) -> datetime.datetime | None:
    """In ``zone`` (the current time zone) when USE_TZ, as stored otherwise."""
    if value is None or timezone.is_naive(value):
        return value
    return value.astimezone(zone)


#: The most characters of ``extra["summary"]`` a notification shows (the report keeps it whole):
#: a summary is a line or two; a command that put a whole dump there would otherwise send it
#: to every mail, chat message and webhook.
SUMMARY_MAX_LENGTH = 2000


def notification_extra(extra: dict[str, Any] | None) -> dict[str, Any]:
    """The report's ``extra`` as templates get it: a text summary made printable and cut after
    :data:`SUMMARY_MAX_LENGTH` characters, saying how many more there were."""
    extra = dict(extra or {})
    summary = extra.get("summary")
    if isinstance(summary, str):
        extra["summary"] = clip(printable(summary), SUMMARY_MAX_LENGTH)
    return extra


def build_context(report: Report, *, handler: str, level: Result | None = None) -> dict[str, Any]:
    """The template context for ``report`` as handler ``handler`` sends it.

    ``level`` overrides the report's own (previews render a report at any level). Both
    ``level`` and ``result`` are :class:`~taskmanager.results.Result` members: they render
    as their names and compare in order of seriousness.
    """
    result = report.result
    level = level if level is not None else result or Result.OK
    base = base_url()
    # Asked once: each look-up of the current time zone goes through asgiref's Local.
    zone = timezone.get_current_timezone()
    started = _local(report.invocation_datetime, zone)
    ended = _local(report.end_datetime, zone)
    run_time = report.duration
    task = report.task
    previous = previous_report(report)
    paths = Paths()
    return {
        "report": report,
        "task": task,
        "task_name": task.name,
        "command": command_label(task),
        "arguments": task_arguments(report),
        "level": level,
        "result": result or level,
        "n_errors": report.n_log_errors or 0,
        "n_warnings": report.n_log_warnings or 0,
        "n_lines": report.n_log_lines or 0,
        "log_tail": [printable(line) for line in report.log_tail_lines(settings.N_LINES_IN_REPORT_LOG)],
        "started": started,
        "ended": ended,
        "duration": run_time,
        "duration_text": duration_text(run_time),
        "report_url": absolute(paths.of("admin:taskmanager_report_change", report.pk), base),
        "log_url": absolute(paths.of("log_viewer", report.pk), base),
        "handler": handler,
        "now": _local(timezone.now(), zone),
        "extra": notification_extra(report.extra),
        # The notification policy's (docs/policy.rst): emission puts each handler's decision
        # in their place; alone (previews) the report is taken as a streak of one.
        "previous": previous,
        "previous_url": absolute(paths.of("admin:taskmanager_report_change", previous.pk), base)
        if previous
        else None,
        "event": "report",
        "streak": 1 if result is not None and result > Result.OK else 0,
        "streak_result": result if result is not None and result > Result.OK else None,
        "failing_since": started if result is not None and result > Result.OK else None,
    }
