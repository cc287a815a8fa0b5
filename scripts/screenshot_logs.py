#!/usr/bin/env python
"""Screenshot the log where people look, for the docs: the mail with ``attach_log`` and the Slack
message with ``thread_log``, in headless Debian chromium.

A failed sample report (taskmanager.notifications.samples) with a 25 MB log file is rendered
with the shipped templates exactly as the handlers send it:

* ``mail-attached-log.png``: the HTML mail as a mail client shows it, under its headers and its
  attachment (the name and size of the real ``.log.gz`` it builds, cut to its last 10 MB);
* ``slack-thread-log.png``: the Slack message in its channel and the log reply in its thread,
  drawn with the admin preview's picture of Block Kit (``channels/slack/blocks_html.py``).

Run it again after changing the templates::

    DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=. .venv/bin/python scripts/screenshot_logs.py

The pages are offline: any request they make fails the run.
"""

from __future__ import annotations

import argparse
import datetime
import html
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: A fixed start time, so the images only change when the templates do.
STARTED = datetime.datetime(2026, 3, 2, 2, 0, 0, tzinfo=datetime.timezone.utc)
#: The sample's log file: long enough to be cut to the default 10 MB, and compressed.
LOG_BYTES = 25 * 1024 * 1024

_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><style>{css}</style></head>
<body>{body}</body></html>"""

_MAIL_CSS = """
body { margin: 0; background: #f3f4f6; font: 14px/1.45 -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.client { margin: 16px; border: 1px solid #d5d9de; border-radius: 8px; background: #fff; overflow: hidden; }
.headers { padding: 14px 18px 10px; border-bottom: 1px solid #e6e9ec; }
.subject { margin: 0 0 8px; font-size: 18px; font-weight: 600; color: #1f2328; }
.header { color: #59636e; }
.header b { color: #1f2328; font-weight: 600; }
.attachments { display: flex; gap: 10px; padding: 10px 18px; border-bottom: 1px solid #e6e9ec;
               background: #f6f8fa; }
.chip { display: flex; align-items: center; gap: 10px; padding: 8px 12px; border: 1px solid #d0d7de;
        border-radius: 6px; background: #fff; }
.icon { width: 30px; height: 36px; border-radius: 3px; background: #57606a; color: #fff; font-size: 9px;
        font-weight: 700; line-height: 36px; text-align: center; }
.name { font-weight: 600; color: #1f2328; }
.size { color: #59636e; font-size: 12px; }
iframe { display: block; width: 100%; border: 0; }
"""

_SLACK_CSS = """
body { margin: 0; background: #f8f8f8;
       font: 15px/1.47 "Lato", "Helvetica Neue", Helvetica, Arial, sans-serif; }
.panes { display: flex; gap: 0; margin: 16px; border: 1px solid #dddddd; border-radius: 8px;
         background: #fff; overflow: hidden; }
.pane { flex: 1; min-width: 0; }
.pane + .pane { border-left: 1px solid #dddddd; }
.title { padding: 10px 16px; border-bottom: 1px solid #dddddd; font-weight: 900; color: #1d1c1d; }
.title span { font-weight: 400; color: #616061; font-size: 13px; }
.pane .tm-slack { border: 0; border-radius: 0; }
.replies { margin: -4px 0 12px 60px; font-size: 13px; font-weight: 700; color: #1264a3; }
.replies span { color: #616061; font-weight: 400; }
.count { margin: 0 16px; padding: 6px 0; border-bottom: 1px solid #eeeeee; color: #616061; font-size: 13px; }
"""


def sample(log_dir: Path, log_bytes: int = LOG_BYTES) -> Any:
    """The failed sample report, its log file of about ``log_bytes`` written into ``log_dir``
    (Django set up)."""
    from taskmanager.notifications.samples import sample_report

    report = sample_report("failed", started=STARTED)
    lines = report.log.split("\n")
    path = log_dir / "sample.log"
    # Between "rows read" and "rows imported": chatter that makes the log long, in local time.
    local = lines[2].split(" INFO")[0].rsplit(":", 1)[0]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines[:2]) + "\n")
        written, number = 0, 0
        while written < log_bytes:
            number += 1
            second = 2 + 29 * written // log_bytes
            written += fh.write(f"{local}:{second:02d} DEBUG   cache: catalogue:sku:{number:07d} refreshed\n")
        fh.write("\n".join(lines[2:]) + "\n")
    report.logfile = str(path)
    report.n_log_lines = number + len(lines)
    return report


def _context(handler: Any, report: Any) -> dict[str, Any]:
    from taskmanager.notifications.context import base_url

    context = handler.context(report)
    context["now"] = context["ended"] + datetime.timedelta(seconds=2)
    if context["report_url"] is None and base_url():
        context["report_url"] = f"{base_url()}/admin/taskmanager/report/{report.pk}/change/"
    return dict(context)


def mail_page(report: Any, max_bytes: int | None = None) -> str:
    """A mail client's view of the mail ``attach_log`` sends for ``report`` (with the default
    ``attach_log_max_bytes`` unless given)."""
    from taskmanager.notifications.channels.mail.handler import MailNotificationHandler
    from taskmanager.notifications.channels.mail.log_attachment import size_text

    options: dict[str, Any] = {"recipients": ["ops@example.com"], "attach_log": True}
    if max_bytes is not None:
        options["attach_log_max_bytes"] = max_bytes
    handler = MailNotificationHandler("mail", options=options)
    message = handler.render(report, context=_context(handler, report))
    email = handler.transport.build(message)
    [(filename, content, _mimetype)] = email.attachments
    chip = (
        f'<div class="chip"><div class="icon">{filename.rsplit(".", 1)[-1].upper()}</div>'
        f'<div><div class="name">{html.escape(filename)}</div>'
        f'<div class="size">{size_text(len(content))}</div></div></div>'
    )
    body = (
        '<div class="client"><div class="headers">'
        f'<p class="subject">{html.escape(message.parts["subject.txt"])}</p>'
        '<div class="header"><b>Task manager</b> &lt;tasks@example.com&gt; to ops@example.com</div></div>'
        f'<div class="attachments">{chip}</div>'
        f'<iframe id="mail" srcdoc="{html.escape(message.parts["html"])}"></iframe></div>'
    )
    return _PAGE.format(css=_MAIL_CSS, body=body)


def slack_page(report: Any) -> str:
    """The Slack message ``thread_log`` sends for ``report`` in its channel, and its thread."""
    import json

    from django.template.loader import render_to_string

    from taskmanager.notifications.channels.slack.blocks_html import slack_blocks
    from taskmanager.notifications.channels.slack.handler import SlackNotificationHandler
    from taskmanager.notifications.channels.slack.thread import DEFAULT_LINES, thread_payload

    handler = SlackNotificationHandler(
        "slack", options={"token": "xoxb-screenshot", "channel": "#ops", "thread_log": True}
    )
    message = handler.render(report, context=_context(handler, report)).parts["json"]
    reply = thread_payload(report, DEFAULT_LINES)
    assert reply is not None
    drawn = [
        render_to_string("taskmanager/preview/slack_blocks.html", {"blocks": slack_blocks(part)})
        for part in (message, json.dumps(reply))
    ]
    css = (ROOT / "taskmanager" / "static" / "taskmanager" / "preview.css").read_text(encoding="utf-8")
    body = (
        '<div class="panes"><div class="pane"><div class="title"># ops</div>'
        f'{drawn[0]}<div class="replies">1 reply <span>View thread</span></div></div>'
        '<div class="pane"><div class="title">Thread <span># ops</span></div>'
        f'{drawn[0]}<div class="count">1 reply</div>{drawn[1]}</div></div>'
    )
    return _PAGE.format(css=css + _SLACK_CSS, body=body)


def screenshot_logs(out_dir: Path, *, scale: float = 1.5) -> list[Path]:
    """Write ``mail-attached-log.png`` and ``slack-thread-log.png`` into ``out_dir``."""
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        report = sample(Path(folder))
        pages = {
            "mail-attached-log.png": (mail_page(report), {"width": 720, "height": 900}),
            "slack-thread-log.png": (slack_page(report), {"width": 1280, "height": 700}),
        }
    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            requests: list[str] = []
            for name, (page_html, viewport) in pages.items():
                context = browser.new_context(viewport=viewport, device_scale_factor=scale)
                context.on("request", lambda request: requests.append(request.url))
                page = context.new_page()
                page.set_content(page_html, wait_until="load")
                # The mail's frame as tall as the mail, so that the whole of it is in the picture.
                page.evaluate(
                    "() => { const f = document.getElementById('mail');"
                    " if (f) f.style.height = f.contentDocument.body.scrollHeight + 'px'; }"
                )
                path = out_dir / name
                page.screenshot(path=str(path), full_page=True)
                context.close()
                written.append(path)
            external = [url for url in requests if not url.startswith(("about:", "data:"))]
            if external:
                raise RuntimeError(f"the pages load external assets: {external}")
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="folder for the PNGs")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    for path in screenshot_logs(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
