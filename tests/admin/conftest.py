"""Fixtures of the admin's tests: a logged-in superuser or staff member, and a task of a command
every project has."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from taskmanager.models import AppCommand, Task, TaskCategory


@pytest.fixture
def admin_client(client: Client) -> Client:
    # No password: hashing one costs half a second per test.
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", password=None))
    return client


@pytest.fixture
def staff_client(client: Client) -> Callable[..., Client]:
    """``staff_client("view_delivery", "view_report")``: logged in as a staff member who has
    exactly these permissions of the app."""

    def login(*codenames: str) -> Client:
        user = User.objects.create_user("staff", "staff@example.com", password=None, is_staff=True)
        permissions = Permission.objects.filter(content_type__app_label="taskmanager", codename__in=codenames)
        assert permissions.count() == len(codenames), codenames
        user.user_permissions.set(permissions)
        client.force_login(user)
        return client

    return login


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
