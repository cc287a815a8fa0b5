"""Every ``UWSGI_TASKMANAGER_*`` setting, read in one place.

Values are looked up on each access (not copied at import time) so that
``override_settings`` in tests and ``setting_changed`` work without reloads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

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
    # Where launched tasks run: "uwsgi", "tasks", "inline", or the dotted path of a
    # taskmanager.execution.backend.Backend subclass (docs/backends.rst).
    "BACKEND": "uwsgi",
    # The Tasks backend's options (backend alias, queue, heartbeat, stale_after, watchdog);
    # heartbeat is read by every run (taskmanager.runs.heartbeat).
    "TASKS": {},
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


@dataclass(frozen=True)
class TasksOptions:
    """``UWSGI_TASKMANAGER_TASKS``, every key optional (docs/backends.rst says how to size them)."""

    #: The alias of the backend in Django's ``TASKS`` setting.
    backend: str = "default"
    #: The queue our jobs go to (the backend's ``QUEUES`` must allow it).
    queue: str = "taskmanager"
    #: Seconds between two heartbeats of a running report.
    heartbeat: float = 5.0
    #: A run whose last heartbeat is older than this many seconds is taken as dead.
    stale_after: float = 30.0
    #: Seconds between two rides of the watchdog, which closes such runs.
    watchdog: float = 10.0


TASKS_SETTING = PREFIX + "TASKS"


def tasks_options() -> TasksOptions:
    """``UWSGI_TASKMANAGER_TASKS`` read and checked; raises ImproperlyConfigured naming the key at fault."""
    given = settings.TASKS
    if not isinstance(given, dict):
        raise ImproperlyConfigured(f"{TASKS_SETTING} must be a dict, not {type(given).__name__}.")
    known = {field.name: field for field in fields(TasksOptions)}
    unknown = sorted(str(key) for key in given if key not in known)
    if unknown:
        raise ImproperlyConfigured(
            f"{TASKS_SETTING} has unknown keys: {', '.join(unknown)} (known: {', '.join(known)})."
        )
    for key, value in given.items():
        if known[key].type == "str":
            if not isinstance(value, str) or not value:
                raise ImproperlyConfigured(
                    f'{TASKS_SETTING}["{key}"] must be a non-empty string, not {value!r}.'
                )
        elif (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value <= 0
        ):
            raise ImproperlyConfigured(
                f'{TASKS_SETTING}["{key}"] must be a number of seconds above 0, not {value!r}.'
            )
    values: dict[str, Any] = {
        key: value if known[key].type == "str" else float(value) for key, value in given.items()
    }
    options = TasksOptions(**values)
    if options.stale_after <= options.heartbeat:
        raise ImproperlyConfigured(
            f'{TASKS_SETTING}["stale_after"] ({options.stale_after:g}) must be longer than its "heartbeat" '
            f"({options.heartbeat:g}): every live run would be taken as dead."
        )
    return options
