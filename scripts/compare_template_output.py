"""Check that the shipped notification templates render exactly as they did at a git revision.

A change that only makes a shipped template cheaper to render (a macro written out, a
structure simplified) must not change one byte of any message. This renders every part of
the four built-in handlers' shipped templates, from the working tree and from ``REV``
(default ``main``), for every level, every event of the notification policy, as a test and
not, with and without links, with the sample reports' content and with hostile content, and
with the mail's log attachment note; it prints each difference and exits with 1 if there is
one. Run from the repository root::

    .venv/bin/python scripts/compare_template_output.py            # against main
    .venv/bin/python scripts/compare_template_output.py HEAD~3
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import io
import itertools
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def shipped_at(revision: str, folder: Path) -> Path:
    """The shipped templates of ``revision``, written out under ``folder``."""
    archive = subprocess.run(
        ["git", "archive", revision, "notification_templates"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "notification_templates"


def contexts() -> list[tuple[str, dict[str, Any]]]:
    """Every shared context to render: (a label, the context)."""
    from django.utils import timezone

    from taskmanager.notifications.context import build_context
    from taskmanager.notifications.preview.events import sample_event_context
    from taskmanager.notifications.samples import sample_report
    from taskmanager.results import Result
    from tests.notifications.hostile import HOSTILE_PIECES, hostile_lines

    started = timezone.make_aware(datetime.datetime(2026, 3, 2, 2, 0))
    found = []
    for level, event, hostile, linked in itertools.product(
        Result, ("report", "recovered", "reminder"), (False, True), (True, False)
    ):
        name = "nightly <!channel> & `import`" if hostile else "Nightly catalogue import"
        report = sample_report(level, started=started, name=name, pk=1234 if linked else None)
        if hostile:
            report.log = "\n".join(hostile_lines(count=4, length=200))
            report.extra = {"summary": "summary " + " ".join(HOSTILE_PIECES), "rows_<b>": "1 & 2"}
        context = build_context(report, handler="", level=level)
        context["now"] = started + datetime.timedelta(minutes=7)
        if event != "report":
            context.update(sample_event_context(event, report, level))
        label = f"{level} {event}{' hostile' if hostile else ''}{'' if linked else ' no links'}"
        found.append((label, context))
    return found


def render(renderer: Any, folder: str, part: str, context: dict[str, Any]) -> str:
    name, _root = renderer.resolve(folder, context["level"], part, context["event"])
    return str(renderer.render(name, context))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("revision", nargs="?", default="main", help="the git revision to compare with")
    options = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.test import override_settings

    from taskmanager.notifications import (
        LogNotificationHandler,
        MailNotificationHandler,
        SlackNotificationHandler,
        WebhookNotificationHandler,
    )
    from taskmanager.notifications.channels.mail.log_attachment import LogAttachment
    from taskmanager.notifications.rendering import Renderer, SearchRoot, shipped_templates_dir

    handlers = [
        SlackNotificationHandler("slack", options={"token": "xoxb-0", "channel": "#general"}),
        MailNotificationHandler("mail", options={"recipients": ["ops@example.com"]}),
        WebhookNotificationHandler("webhook", options={"url": "https://hooks.example.com/x"}),
        LogNotificationHandler("log"),
    ]
    attachments: list[object] = [
        None,
        LogAttachment(),
        LogAttachment(filename="nightly.log", size=4_000),
        LogAttachment(filename="nightly.log.gz", size=9_000_000, start=8_000_000, compressed=True),
    ]
    with tempfile.TemporaryDirectory() as folder:
        before = Renderer([SearchRoot(shipped_at(options.revision, Path(folder)), options.revision)])
        after = Renderer([SearchRoot(shipped_templates_dir(), "working tree")])
        cases = differences = 0
        with override_settings(UWSGI_TASKMANAGER_BASE_URL="https://tasks.example.com"):
            shared_contexts = contexts()
        for (label, shared), handler, test in itertools.product(shared_contexts, handlers, (False, True)):
            extras = attachments if handler.name == "mail" else [None]
            for attachment in extras:
                context = {**shared, "handler": handler.name, "test": test, "log_attachment": attachment}
                for part in handler.template_parts:
                    old, new = (render(each, handler.templates, part, context) for each in (before, after))
                    cases += 1
                    if new != old:
                        differences += 1
                        print(f"DIFFERENT: {handler.name} {part} {label} test={test} attachment={attachment}")
                        lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
                        sys.stdout.writelines(difflib.unified_diff(*lines))
    print(f"{cases} renders compared with {options.revision}: {differences} different")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
