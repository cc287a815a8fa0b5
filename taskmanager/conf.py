"""Every ``UWSGI_TASKMANAGER_*`` setting, read in one place.

Values are looked up on each access (not copied at import time) so that
``override_settings`` in tests and ``setting_changed`` work without reloads.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings

PREFIX = "UWSGI_TASKMANAGER_"

DEFAULTS: dict[str, Any] = {
    # Absolute base of links in notifications ("https://example.com"); when
    # unset, django.contrib.sites is used if installed.
    "BASE_URL": None,
    "N_LINES_IN_REPORT_LOG": 10,
    "N_LINES_IN_REPORT_INLINE": 20,
    "N_REPORTS_INLINE": 5,
    "SHOW_LOGVIEWER_LINK": True,
    "USE_FILTER_COLLAPSE": True,
    "SAVE_LOGFILE": True,
    # Folder under MEDIA_ROOT that holds the reports' log files.
    "LOGFILE_DIR": "taskmanager/logs",
    # A report's stored tail cuts any line longer than this many characters.
    "MAX_LOG_LINE_LENGTH": 1000,
    "NOTIFICATION_HANDLERS": {},
    "NOTIFICATION_TEMPLATE_DIRS": [],
    # Compiled notification templates kept between processes: True (a private per-user
    # temporary folder), a folder path, or None to compile in every process.
    "TEMPLATE_CACHE": True,
    # Delivery records older than this many days are pruned (None keeps them all).
    "DELIVERY_RETENTION_DAYS": 90,
    # 2.0's pre-handler notification settings, still read so that checks can
    # point projects at NOTIFICATION_HANDLERS.
    "NOTIFICATIONS_SLACK_TOKEN": None,
    "NOTIFICATIONS_SLACK_CHANNELS": [],
    "NOTIFICATIONS_FAILURE_MESSAGE": None,
    "NOTIFICATIONS_WARNINGS_MESSAGE": None,
    "NOTIFICATIONS_EMAIL_FROM": None,
    "NOTIFICATIONS_EMAIL_RECIPIENTS": [],
}


class TaskmanagerSettings:
    """Attribute access to the app's settings: ``conf.settings.SAVE_LOGFILE``."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown taskmanager setting: {PREFIX}{name}")
        return getattr(django_settings, PREFIX + name, DEFAULTS[name])

    def is_set(self, name: str) -> bool:
        """Whether the project sets ``UWSGI_TASKMANAGER_<name>`` itself."""
        return hasattr(django_settings, PREFIX + name)


settings = TaskmanagerSettings()
