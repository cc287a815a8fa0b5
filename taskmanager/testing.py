"""Helpers for projects' own tests.

:func:`assert_notifications_match_snapshots` renders every configured handler
at every level from the built-in sample reports and compares the result with
files kept in the project, so that a change to an overridden template, a
filter or a setting shows up as a diff in review::

    # tests/test_notifications.py
    from pathlib import Path

    import pytest

    from taskmanager.testing import assert_notifications_match_snapshots


    @pytest.mark.django_db
    def test_notifications_look_as_reviewed():
        assert_notifications_match_snapshots(Path(__file__).parent / "notification_snapshots")

Run once with ``UPDATE_SNAPSHOTS=1`` to write the files, commit them, and
from then on the test fails with a unified diff whenever the output changes.
The samples are rendered on a fixed clock, so the files only change when the
templates, the filters or the settings do.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path

from taskmanager.notifications.config import parse_level
from taskmanager.notifications.preview import part_filename, render_previews, select_handlers
from taskmanager.results import Level

__all__ = ["assert_notifications_match_snapshots", "render_notification_snapshots"]

_TRUE = {"1", "true", "yes", "on"}


def render_notification_snapshots(
    handlers: Sequence[str] | None = None, levels: Sequence[Level | str] | None = None
) -> dict[str, str]:
    """``{"mail-failed.html": "...", ...}``: every part of the handlers x levels, from the samples.

    Raises AssertionError when a handler is misconfigured or a template fails,
    with the file, line and folder it came from. Levels a handler never sends
    at are left out when it has no template for them.
    """
    selection = select_handlers(handlers)
    problems = list(selection.errors.values())
    chosen = sorted({parse_level(level) for level in levels}) if levels else list(Level)
    files: dict[str, str] = {}
    for preview in render_previews(selection.handlers, chosen):
        for rendered in preview.rendered:
            if rendered.error:
                problems.append(f"{rendered.handler} at {rendered.level}: {rendered.error}")
            for part, text in rendered.parts.items():
                files[part_filename(rendered.handler, rendered.level, part)] = text
    if problems:
        raise AssertionError("Notifications could not be rendered:\n" + "\n".join(problems))
    if not files:
        raise AssertionError("No notification was rendered: no handler is configured.")
    return files


def assert_notifications_match_snapshots(
    snapshot_dir: str | os.PathLike[str],
    handlers: Sequence[str] | None = None,
    levels: Sequence[Level | str] | None = None,
    update: bool | str | None = None,
) -> list[Path]:
    """Compare every rendered part with ``snapshot_dir/<handler>-<level>.<part>``.

    ``handlers`` and ``levels`` narrow what is rendered (default: every
    configured handler, all four levels). ``update`` (default: the
    ``UPDATE_SNAPSHOTS`` environment variable) writes the files that are
    missing or differ instead of failing, and returns them.

    Fails with a unified diff for each file that differs and the names of
    those missing.
    """
    if update is None:
        update = os.environ.get("UPDATE_SNAPSHOTS", "")
    if isinstance(update, str):
        update = update.strip().lower() in _TRUE
    directory = Path(snapshot_dir)
    rendered = render_notification_snapshots(handlers, levels)
    written: list[Path] = []
    diffs: list[str] = []
    missing: list[str] = []
    for name, text in rendered.items():
        path = directory / name
        stored = path.read_text(encoding="utf-8") if path.is_file() else None
        if stored == text:
            continue
        if update:
            directory.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
        elif stored is None:
            missing.append(str(path))
        else:
            diffs.append(_diff(stored, text, f"{path} (stored)", f"{name} (rendered now)"))
    if diffs or missing:
        lines = [
            f"Notification snapshots differ from what the templates render ({len(rendered)} files compared)."
        ]
        lines += diffs
        if missing:
            lines.append("Missing snapshots:\n" + "\n".join(f"  {name}" for name in missing))
        lines.append(
            "If the change is intended, run the test again with UPDATE_SNAPSHOTS=1 and commit the files."
        )
        raise AssertionError("\n".join(lines))
    return written


def _diff(stored: str, rendered: str, stored_name: str, rendered_name: str) -> str:
    lines = list(
        difflib.unified_diff(
            stored.splitlines(),
            rendered.splitlines(),
            fromfile=stored_name,
            tofile=rendered_name,
            lineterm="",
        )
    )
    if not lines:
        # splitlines() hides these: say so rather than show an empty diff.
        lines = [
            f"--- {stored_name}",
            f"+++ {rendered_name}",
            "(they differ in line endings or the final newline)",
        ]
    return "\n".join(lines)
