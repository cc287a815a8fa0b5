"""What every page of the app's admin shares: the collapsed list filters."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from taskmanager.models import AppCommand, Task
from tests.admin.pages import page

pytestmark = pytest.mark.django_db


def test_the_filter_collapse_script_follows_the_setting(admin_client: Client, task: Task, settings) -> None:
    url = reverse("admin:taskmanager_task_changelist")
    assert "taskmanager/filter_collapse.js" in page(admin_client.get(url))

    settings.UWSGI_TASKMANAGER_USE_FILTER_COLLAPSE = False
    assert "taskmanager/filter_collapse.js" not in page(admin_client.get(url))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_filters_start_collapsed_except_the_active_one_in_a_browser(live_server, client: Client) -> None:
    from playwright.sync_api import sync_playwright

    command = AppCommand.objects.create(app_name="django.core", name="check")
    Task.objects.create(name="nightly import", command=command, cached_last_invocation_result="ok")
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", password=None))
    session = client.cookies["sessionid"].value
    url = live_server.url + reverse("admin:taskmanager_task_changelist")

    # Playwright's loop must not be running while the ORM is used: no DB access below.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            context = browser.new_context()
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
            browser_page = context.new_page()
            browser_page.goto(url + "?cached_last_invocation_result__exact=ok")

            def is_open(title: str) -> bool:
                return browser_page.eval_on_selector(f'details[data-filter-title="{title}"]', "d => d.open")

            assert is_open("last result")
            assert not is_open("status")
            assert not is_open("app name")

            # What the user opens stays open on the next page (Django's filters.js memory).
            browser_page.click('details[data-filter-title="status"] > summary')
            browser_page.goto(url)
            assert is_open("status")
            assert not is_open("last result")
        finally:
            browser.close()
