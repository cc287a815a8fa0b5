"""System checks of the notification settings and templates (``manage.py check``).

Ids: E001 malformed settings; E002 class; E003 transport; E004 level; E005
unknown option; E006 invalid or missing options; E007 a part with no template;
E008 template syntax error; E009 a transport's package is missing; E010 a
template folder that does not exist; W001 a handler left unconfigured (skipped);
W002 2.0's notification settings, which nothing reads any more.
"""

from __future__ import annotations

from typing import Any

from django.core import checks

from taskmanager.conf import settings
from taskmanager.notifications.config import SETTING, load_handlers
from taskmanager.notifications.exceptions import NotificationTemplateError, TemplateNotFound
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.rendering import Renderer, search_roots
from taskmanager.results import Result

_LEGACY = (
    "NOTIFICATIONS_SLACK_TOKEN",
    "NOTIFICATIONS_SLACK_CHANNELS",
    "NOTIFICATIONS_FAILURE_MESSAGE",
    "NOTIFICATIONS_WARNINGS_MESSAGE",
    "NOTIFICATIONS_EMAIL_FROM",
    "NOTIFICATIONS_EMAIL_RECIPIENTS",
)


@checks.register("taskmanager")
def check_notification_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for directory in settings.NOTIFICATION_TEMPLATE_DIRS:
        from pathlib import Path

        if not Path(directory).is_dir():
            messages.append(
                checks.Error(
                    f"Notification template folder {directory!r} does not exist.",
                    hint="Fix UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS or create the folder.",
                    id="taskmanager.E010",
                )
            )
    loaded = load_handlers()
    for exc in loaded.errors.values():
        messages.append(checks.Error(str(exc), hint=exc.hint or None, obj=SETTING, id=exc.check_id))
    for name in loaded.unconfigured:
        messages.append(
            checks.Warning(
                f"Notification handler {name!r} is not configured: its required options are empty, so it "
                "is skipped.",
                hint=f"Set its options (often from environment variables), or remove it from {SETTING}.",
                obj=SETTING,
                id="taskmanager.W001",
            )
        )
    messages.extend(check_templates(list(loaded.handlers.values())))
    for key in _LEGACY:
        if settings.is_set(key):
            messages.append(
                checks.Warning(
                    f"UWSGI_TASKMANAGER_{key} is a 2.0 setting that 3.x does not read.",
                    hint=f"Configure a handler in {SETTING} instead (see the Notifications how-to).",
                    id="taskmanager.W002",
                )
            )
    return messages


def check_templates(handlers: list[NotificationHandler]) -> list[checks.CheckMessage]:
    """Every part resolves at every level a handler sends at, and every file compiles."""
    renderer = Renderer(search_roots())  # fresh: a check must see the files as they are now
    messages: list[checks.CheckMessage] = []
    compiled: set[tuple[str, str]] = set()
    for handler in handlers:
        folder = handler.templates
        for name, root in renderer.files_in(folder):
            if (name, str(root.path)) in compiled:
                continue
            compiled.add((name, str(root.path)))
            try:
                renderer.compile(name, root)
            except NotificationTemplateError as exc:
                messages.append(
                    checks.Error(
                        f"Notification template error in {exc.filename or name}"
                        + (f", line {exc.lineno}" if exc.lineno else "")
                        + f": {exc.message} (from {root.origin}).",
                        hint="Fix the template: Jinja syntax, https://jinja.palletsprojects.com/templates/.",
                        obj=SETTING,
                        id="taskmanager.E008",
                    )
                )
        for part in handler.template_parts:
            missing: list[str] = []
            tried: list[str] = []
            for level in Result:
                if level < handler.level:
                    continue
                try:
                    renderer.resolve(folder, level, part)
                except TemplateNotFound as exc:
                    missing.append(level)
                    tried.extend(path for path in exc.tried if path not in tried)
            if missing:
                messages.append(
                    checks.Error(
                        f"Notification handler {handler.name!r}: no template for part {part!r} at level "
                        f"{', '.join(missing)} (folder {folder!r}). Searched: {'; '.join(tried)}.",
                        hint=f"Add {folder}/default.{part} (or one per level) to a notification template "
                        "folder, or fix the handler's 'templates'.",
                        obj=SETTING,
                        id="taskmanager.E007",
                    )
                )
    return messages
