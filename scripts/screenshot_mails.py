#!/usr/bin/env python
"""Screenshot the default HTML notification mail at every level, for the docs.

Renders a sample report (taskmanager.notifications.samples) at ok, warnings, errors
and failed with the shipped ``mail`` templates, exactly as the mail handler sends
it (styles inlined), and photographs each in headless Debian chromium::

    DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=. .venv/bin/python scripts/screenshot_mails.py

writes docs/images/mail-ok.png, mail-warnings.png, mail-errors.png, mail-failed.png.
The page is offline: any request it makes (a remote image, a web font) fails the run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEVELS = ("ok", "warnings", "errors", "failed")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Wide enough for the 600px card and its margins, as a desktop mail client shows it.
VIEWPORT = {"width": 680, "height": 900}
#: A fixed start time, so the images only change when the templates do.
STARTED = datetime.datetime(2026, 3, 2, 2, 0, 0, tzinfo=datetime.timezone.utc)


def render_mails(levels: tuple[str, ...] = LEVELS) -> dict[str, str]:
    """The HTML part of the default mail for a sample report at each level (Django set up)."""
    from taskmanager.notifications.channels.mail.handler import MailNotificationHandler
    from taskmanager.notifications.context import base_url
    from taskmanager.notifications.samples import sample_report

    handler = MailNotificationHandler("mail", options={"recipients": ["ops@example.com"]})
    pages = {}
    for level in levels:
        report = sample_report(level, started=STARTED)
        context = handler.context(report)
        # The footer's send time: fixed too, so that reruns give identical images.
        context["now"] = context["ended"] + datetime.timedelta(seconds=2)
        if context["report_url"] is None and base_url():
            # The docs show a project with the admin installed (its report page is the link).
            context["report_url"] = f"{base_url()}/admin/taskmanager/report/{report.pk}/change/"
        pages[level] = handler.render(report, context=context).parts["html"]
    return pages


def screenshot_mails(out_dir: Path, levels: tuple[str, ...] = LEVELS, *, scale: float = 1.5) -> list[Path]:
    """Write ``mail-<level>.png`` for each level into ``out_dir``; return the paths."""
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    pages = render_mails(levels)
    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT, device_scale_factor=scale)
            requests: list[str] = []
            context.on("request", lambda request: requests.append(request.url))
            for level, html in pages.items():
                page = context.new_page()
                page.set_content(html, wait_until="load")
                path = out_dir / f"mail-{level}.png"
                page.screenshot(path=str(path), full_page=True)
                page.close()
                written.append(path)
            external = [url for url in requests if not url.startswith(("about:", "data:"))]
            if external:
                raise RuntimeError(f"the mail loads external assets: {external}")
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="folder for the PNGs")
    parser.add_argument("--level", action="append", choices=LEVELS, help="only these levels (repeatable)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    for path in screenshot_mails(args.out, tuple(args.level or LEVELS)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
