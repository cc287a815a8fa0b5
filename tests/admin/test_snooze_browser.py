"""Snoozing a task in headless Debian chromium (Playwright), against a live server: the list says
until when, a failing run's report shows its skipped delivery, resuming clears it.

Also takes the docs' screenshots: run with ``UPDATE_SCREENSHOTS=1`` to write
docs/images/policy-snooze.png and docs/images/policy-skipped.png (otherwise they go to the
test's tmp_path).
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from taskmanager.models import AppCommand, Delivery, Task, TaskCategory
from tests.admin.test_preview_browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


@pytest.fixture
def handlers(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "ops-log": {"class": "taskmanager.notifications.LogNotificationHandler", "level": "errors"},
    }


@pytest.fixture
def tasks() -> tuple[Task, Task]:
    imports = TaskCategory.objects.create(name="imports")
    fails = AppCommand.objects.create(app_name="tests.sampleapp", name="fails")
    ok = AppCommand.objects.create(app_name="tests.sampleapp", name="ends_ok")
    return (
        Task.objects.create(name="Nightly catalogue import", command=fails, category=imports),
        Task.objects.create(name="Weekly price export", command=ok, category=imports),
    )


def test_snooze_then_a_failing_run_is_recorded_as_skipped_then_resume(live_server, handlers, tasks, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    failing, _other = tasks
    client = Client()
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", password=None))
    session = client.cookies["sessionid"].value
    task_list = live_server.url + reverse("admin:taskmanager_task_changelist")
    row = f"#result_list tr:has(a:text-is('{failing.name}'))"
    snooze_cell = f"{row} td.field-notifications_snooze"
    listed, skipped = tmp_path / "policy-snooze.png", tmp_path / "policy-skipped.png"

    # Playwright's event loop must not run while the ORM is used: no database access below.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1600, "height": 560}, device_scale_factor=1)
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
            page = context.new_page()
            page.goto(task_list)
            page.click("#toggle-nav-sidebar")

            page.check(f"{row} input.action-select")
            page.select_option("select[name=action]", label="Snooze notifications for 1 hour")
            page.click("button[name=index]")
            message = page.locator("ul.messagelist li").first
            expect(message).to_contain_text("Notifications of 1 task snoozed until ")
            until = page.locator(snooze_cell).inner_text()
            assert re.fullmatch(r"until (\d+ \w+ )?\d\d:\d\d", until), until
            assert until in message.inner_text()
            page.screenshot(path=str(listed))

            # A failing run, launched from the list: notified through the real emission path.
            page.check(f"{row} input.action-select")
            page.select_option("select[name=action]", label="Launch selected tasks")
            page.click("button[name=index]")
            expect(page.locator("ul.messagelist")).to_contain_text("ran: FAILED")
            page.click("ul.messagelist a:text('See the report')")
            deliveries = page.locator("#deliveries-group")
            expect(deliveries).to_contain_text("ops-log")
            expect(deliveries).to_contain_text("skipped")
            expect(deliveries).to_contain_text(f"snoozed {until}")
            deliveries.screenshot(path=str(skipped))

            page.goto(task_list)
            page.check(f"{row} input.action-select")
            page.select_option("select[name=action]", label="Resume notifications")
            page.click("button[name=index]")
            expect(page.locator("ul.messagelist")).to_contain_text("Notifications of 1 task resumed")
            assert page.locator(snooze_cell).inner_text() == "-"
        finally:
            browser.close()

    delivery = Delivery.objects.get(report__task=failing)
    assert delivery.status == Delivery.STATUS_SKIPPED
    assert listed.stat().st_size > 20_000
    assert skipped.stat().st_size > 5_000
    if os.environ.get("UPDATE_SCREENSHOTS"):
        for picture in (listed, skipped):
            shutil.copyfile(picture, DOCS_IMAGES / picture.name)
