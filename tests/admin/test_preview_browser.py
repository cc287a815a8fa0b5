"""The "Preview notifications" page in headless Debian chromium (Playwright), against a live server.

Also takes the docs' screenshot: run with ``UPDATE_SCREENSHOTS=1`` to write
docs/images/preview-admin.png (otherwise it goes to the test's tmp_path).
"""

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from taskmanager.models import Report
from taskmanager.notifications.preview import SAMPLE_STARTED
from taskmanager.notifications.samples import sample_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "preview-admin.png"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def handlers(settings):
    # Viewing sends nothing, so Slack needs no server: the token is never used.
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {
            "class": "taskmanager.notifications.MailNotificationHandler",
            "level": "warnings",
            "recipients": "ops@example.com",
        },
        "slack": {
            "class": "taskmanager.notifications.SlackNotificationHandler",
            "level": "errors",
            "token": "xoxb-browser-test-token",
            "channel": "#ops",
        },
    }


def saved_sample(level: str) -> Report:
    """The built-in sample report, saved with its task and command (it is built unsaved)."""
    report = sample_report(level, started=SAMPLE_STARTED)
    task = report.task
    task.command.save()
    task.save()
    report.task = task
    report.pk = None
    report.save()
    return report


def test_the_preview_page_shows_the_mail_in_its_iframe_and_the_slack_picture(live_server, handlers, tmp_path):
    from playwright.sync_api import sync_playwright

    report = saved_sample("errors")
    client = Client()
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", password=None))
    session = client.cookies["sessionid"].value
    change_url = live_server.url + reverse("admin:taskmanager_report_change", args=(report.pk,))
    screenshot = tmp_path / "preview-admin.png"

    # Playwright's event loop must not run while the ORM is used: no database access below.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1360, "height": 900}, device_scale_factor=1)
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
            page = context.new_page()
            page.goto(change_url)
            page.click("text=Preview notifications")
            page.wait_for_url("**/preview/")
            assert page.locator("#content h1").inner_text() == "Preview notifications"

            mail_frame = page.frame_locator("#handler-mail iframe.tm-preview-mail")
            assert mail_frame.locator("h1.task").inner_text() == "Nightly catalogue import"
            assert mail_frame.locator(".badge").inner_text().strip().lower() == "errors"
            assert "prices.csv row 4,017" in mail_frame.locator("body").inner_text()
            # The sandbox keeps the mail's own document apart: no scripts, no same origin.
            assert page.locator("#handler-mail iframe").get_attribute("sandbox") == ""

            slack = page.locator("#handler-slack .tm-slack")
            assert slack.locator(".tm-slack-header").inner_text() == "Nightly catalogue import: errors"
            assert "currency 'EUR ' is not ISO 4217" in slack.locator(".tm-slack-code").inner_text()
            builder = page.locator("#handler-slack a.tm-preview-builder")
            assert (builder.get_attribute("href") or "").startswith(
                "https://app.slack.com/block-kit-builder/#"
            )
            assert page.locator("input[value='Send now']").count() == 2

            # The docs' picture: the page without the admin's model sidebar, for room.
            page.click("#toggle-nav-sidebar")
            page.screenshot(path=str(screenshot), full_page=True)

            # Another level, chosen on the page: the mail is rendered again at it.
            page.click(".tm-preview-level-failed")
            page.wait_for_url("**/preview/?level=failed")
            mail_frame = page.frame_locator("#handler-mail iframe.tm-preview-mail")
            assert mail_frame.locator(".badge").inner_text().strip().lower() == "failed"
        finally:
            browser.close()

    assert screenshot.stat().st_size > 50_000
    if os.environ.get("UPDATE_SCREENSHOTS"):
        DOCS_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, DOCS_IMAGE)
