"""Fixtures of the admin's tests: a logged-in superuser, and a task of a command every project has."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from taskmanager.models import AppCommand, Task, TaskCategory


@pytest.fixture
def admin_client(client: Client) -> Client:
    # No password: hashing one costs half a second per test.
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", password=None))
    return client


@pytest.fixture
def command() -> AppCommand:
    # A command every Django project has, so launching works without sample apps.
    return AppCommand.objects.create(app_name="django.core", name="check")


@pytest.fixture
def task(command: AppCommand) -> Task:
    category = TaskCategory.objects.create(name="imports")
    return Task.objects.create(
        name="nightly import", command=command, category=category, arguments="--deploy", note="runs at 2am"
    )
