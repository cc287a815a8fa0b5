"""The category admin: tasks counted in the list and listed on the page."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from taskmanager.models import Task, TaskCategory
from tests.admin.pages import page

pytestmark = pytest.mark.django_db


def test_the_category_list_counts_tasks_and_the_page_lists_them(admin_client: Client, task: Task) -> None:
    TaskCategory.objects.create(name="exports")

    html = page(admin_client.get(reverse("admin:taskmanager_taskcategory_changelist")))
    assert re.search(r"imports</a></th><td class=\"field-n_tasks\">1</td>", html)
    assert re.search(r"exports</a></th><td class=\"field-n_tasks\">0</td>", html)

    html = page(admin_client.get(reverse("admin:taskmanager_taskcategory_change", args=(task.category_id,))))
    assert "nightly import" in html
