"""System checks of the notification settings and templates (``manage.py check``).

Ids: E001 malformed settings (a handler name too long for its delivery records included);
E002 class; E003 transport; E004 level; E005 unknown option (a misspelt one named, with the
option it resembles); E006 invalid or missing options (a value of the wrong type, an
exception from a transport's constructor, a ``templates`` that is not a folder name);
E007 a part with no template; E008 template syntax error; E009 a transport's package is
missing; E010 ``UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS`` is not a list of existing
folders; E011 (``--deploy`` only) a template fails to render a sample report, also as a
recovery and a reminder of the notification policy (an undefined variable, a missing
``extends``, output the transport cannot use); E017 a key a handler reads itself
(``handler_options``: the policy's ``notify``, ``remind_every``, ``tasks``, ``categories``,
``exclude_tasks``, ``exclude_categories``, or a subclass's own) has a value it cannot use;
E018 ``remind_every`` without ``notify: "change"``; W001 a handler left
unconfigured (skipped); W002 2.0's notification settings, which nothing reads any more;
W003 a file in a handler's template folder that no level uses (a misspelt name).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core import checks

from taskmanager.conf import settings
from taskmanager.notifications.config import SETTING, load_handlers
from taskmanager.notifications.exceptions import NotificationTemplateError, TemplateNotFound
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.isolation import Fault, guard
from taskmanager.notifications.rendering import (
    EVENT_NAMES,
    Renderer,
    SearchRoot,
    get_renderer,
    search_roots,
    template_dirs,
)
from taskmanager.notifications.samples import sample_policy_context, sample_report
from taskmanager.results import Result

_LEGACY = (
    "NOTIFICATIONS_SLACK_TOKEN",
    "NOTIFICATIONS_SLACK_CHANNELS",
    "NOTIFICATIONS_FAILURE_MESSAGE",
    "NOTIFICATIONS_WARNINGS_MESSAGE",
    "NOTIFICATIONS_EMAIL_FROM",
    "NOTIFICATIONS_EMAIL_RECIPIENTS",
)
_DIRS = "UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS"


@checks.register("taskmanager")
def check_notification_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages = check_template_dirs()
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


@checks.register("taskmanager", deploy=True)
def check_notification_rendering(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``check --deploy``: every handler renders the sample report of every level it sends at,
    as ``preview_notifications`` would (too slow for every start-up: see docs/performance.rst)."""
    return check_rendering(list(load_handlers().handlers.values()))


def check_template_dirs() -> list[checks.CheckMessage]:
    """The setting is a list of folder paths, each an existing folder."""
    value = settings.NOTIFICATION_TEMPLATE_DIRS
    problems: list[tuple[str, str]] = []
    if isinstance(value, (str, os.PathLike)):
        problems.append(
            (
                f"{_DIRS} must be a list of folders, not a single {type(value).__name__}: {value!r}.",
                f"Write it as a list: {_DIRS} = [{str(os.fspath(value))!r}].",
            )
        )
    elif not isinstance(value, (list, tuple)):
        problems.append(
            (
                f"{_DIRS} must be a list of folders, not {type(value).__name__}: {value!r}.",
                f'Write it as a list, e.g. {_DIRS} = [BASE_DIR / "notification_templates"].',
            )
        )
    else:
        for item in value:
            if not isinstance(item, (str, os.PathLike)):
                problems.append(
                    (
                        f"{_DIRS} holds {item!r} ({type(item).__name__}), which is not a folder path.",
                        "Give each folder as a string or a pathlib.Path.",
                    )
                )
    for directory in template_dirs():
        if not Path(directory).is_dir():
            problems.append(
                (
                    f"Notification template folder {directory!r} does not exist.",
                    f"Fix {_DIRS} or create the folder.",
                )
            )
    return [checks.Error(msg, hint=hint, id="taskmanager.E010") for msg, hint in problems]


def _where(exc: NotificationTemplateError, fallback: str) -> str:
    """``<file>, line <n>``, as far as the error knows."""
    where = exc.filename or exc.template or fallback
    return f"{where}, line {exc.lineno}" if exc.lineno else where


def check_templates(handlers: list[NotificationHandler]) -> list[checks.CheckMessage]:
    """Every part resolves at every level a handler sends at, every file compiles, and no
    file of a handler's folder is left unused by a misspelt name."""
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
                        f"Notification template error in {_where(exc, name)}: {exc.message} "
                        f"(from {root.origin}).",
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
    messages.extend(check_unused_files(renderer, handlers))
    return messages


def check_unused_files(renderer: Renderer, handlers: list[NotificationHandler]) -> list[checks.CheckMessage]:
    """W003 for a project's file that looks like a part's template (``faild.json``) but is
    named for no level and used by no other template: a misspelt name that leaves the
    level on ``default``. The shipped folders are ours and not looked at."""
    parts_of: dict[str, set[str]] = {}
    for handler in handlers:
        parts_of.setdefault(handler.templates, set()).update(handler.template_parts)
    project_roots = renderer.roots[:-1]
    sources = _sources(renderer.roots, parts_of)
    messages: list[checks.CheckMessage] = []
    for folder, parts in parts_of.items():
        names = [*Result, "default", *EVENT_NAMES]
        expected = [f"{name}.{part}" for part in sorted(parts) for name in names]
        for root in project_roots:
            for name in _unused(root, folder, parts, expected, sources):
                import difflib  # only when there is a file to warn about: start-up never pays for it

                close = difflib.get_close_matches(name, expected, n=1, cutoff=0.6)
                messages.append(
                    checks.Warning(
                        f"Notification template {root.path / folder / name} is not used: the templates of "
                        f"folder {folder!r} are named <level>.<part>, default.<part> or <event>.<part> "
                        f"(levels {', '.join(Result.names())}; events {', '.join(EVENT_NAMES)}; parts "
                        f"{', '.join(sorted(parts))}), and no template includes it.",
                        hint=f"Did you mean {close[0]!r}?" if close else "Rename it, or remove it.",
                        obj=SETTING,
                        id="taskmanager.W003",
                    )
                )
    return messages


def _sources(roots: Iterable[SearchRoot], parts_of: dict[str, set[str]]) -> str:
    """The text of every template of the handlers' folders, to see which files are included."""
    texts: list[str] = []
    for root in roots:
        for folder in parts_of:
            base = root.path / folder
            if base.is_dir():
                texts.extend(
                    path.read_text(encoding="utf-8", errors="replace")
                    for path in base.rglob("*")
                    if path.is_file()
                )
    return "\n".join(texts)


def _unused(root: SearchRoot, folder: str, parts: set[str], expected: list[str], sources: str) -> list[str]:
    base = root.path / folder
    if not base.is_dir():
        return []
    unused = []
    for path in sorted(base.iterdir()):
        name = path.name
        looks_like_a_part = any(name.endswith(f".{part}") for part in parts)
        if not path.is_file() or name.startswith(".") or name in expected or not looks_like_a_part:
            continue
        if f"{folder}/{name}" not in sources:  # included, imported or extended by name
            unused.append(name)
    return unused


def check_rendering(handlers: list[NotificationHandler]) -> list[checks.CheckMessage]:
    """E011: render each handler's parts for the sample report of every level it sends at,
    strictly, with its own context; one message per handler and problem, naming the levels."""
    samples = {level: sample_report(level) for level in Result}
    renderer = get_renderer()
    messages: list[checks.CheckMessage] = []
    for handler in handlers:
        problems: dict[str, list[str]] = {}
        for level in Result:
            if level < handler.level or not _resolves(renderer, handler, level):
                continue  # a part with no template is E007's
            problem = _render_problem(handler, samples[level], level)
            if problem:
                problems.setdefault(problem, []).append(level)
        # The policy's messages: a recovery (below the level) and a reminder (at it).
        for event, level in (("recovered", Result.OK), ("reminder", max(handler.level, Result.WARNINGS))):
            if not _resolves(renderer, handler, level, event):
                continue
            problem = _render_problem(handler, samples[level], level, event)
            if problem:
                problems.setdefault(problem, []).append(f"{level} --event {event}")
        for problem, levels in problems.items():
            messages.append(
                checks.Error(
                    f"Notification handler {handler.name!r} cannot render the sample report at level "
                    f"{', '.join(_as_words(level) for level in levels)}: {problem}",
                    hint="See it with: manage.py preview_notifications --handler "
                    f"{handler.name} --level {levels[0]}. At run time the part falls back to the shipped "
                    "template, or a minimal message.",
                    obj=SETTING,
                    id="taskmanager.E011",
                )
            )
    return messages


def _as_words(level: str) -> str:
    """``ok --event recovered`` (preview's arguments) as ``ok as a recovery``."""
    level, _, event = level.partition(" --event ")
    return f"{level} as a {'recovery' if event == 'recovered' else event}" if event else level


def _resolves(renderer: Renderer, handler: NotificationHandler, level: Result, event: str = "") -> bool:
    try:
        for part in handler.template_parts:
            renderer.resolve(handler.templates, level, part, event)
    except TemplateNotFound:
        return False
    return True


def _render_problem(handler: NotificationHandler, report: Any, level: Result, event: str = "") -> str:
    """What goes wrong rendering ``report`` at ``level`` (as the policy's ``event``, if given:
    a recovery, a reminder) (its file and line), or ""."""
    context = guard("context", handler, handler.context, report, level=level)
    if isinstance(context, Fault):
        return context.error
    if event:
        context = {**context, **sample_policy_context(report, event)}

    def render() -> str:
        try:
            handler.render(report, level=level, context=context, strict=True)
        except NotificationTemplateError as exc:
            text = f"{_where(exc, 'a template')}: {exc.message}"
            text += f" (from {exc.origin})" if exc.origin else ""
            text += f"; tried: {', '.join(exc.tried)}" if exc.tried else ""
            return handler.redact(text)
        return ""

    outcome = guard("rendering", handler, render)
    return outcome.error if isinstance(outcome, Fault) else outcome
