"""The command admin: the commands' help, and the toggle action."""

import pytest
from django.test import Client
from django.urls import reverse

from taskmanager.models import AppCommand
from tests.admin.pages import message_texts, page

pytestmark = pytest.mark.django_db


def test_the_command_list_and_page_show_the_commands_help(admin_client: Client, command: AppCommand) -> None:
    html = page(admin_client.get(reverse("admin:taskmanager_appcommand_changelist")))
    assert "check" in html
    assert "django.core" in html

    html = page(admin_client.get(reverse("admin:taskmanager_appcommand_change", args=(command.pk,))))
    assert "usage: manage.py check" in html
    assert "--deploy" in html


def test_a_command_that_cannot_be_loaded_says_why(admin_client: Client) -> None:
    gone = AppCommand.objects.create(app_name="removed_app", name="old_command")

    html = page(admin_client.get(reverse("admin:taskmanager_appcommand_change", args=(gone.pk,))))

    assert "This command cannot be loaded: ModuleNotFoundError" in html


def test_the_toggle_action_flips_each_selected_command(admin_client: Client, command: AppCommand) -> None:
    inactive = AppCommand.objects.create(app_name="django.core", name="diffsettings", active=False)

    response = admin_client.post(
        reverse("admin:taskmanager_appcommand_changelist"),
        {"action": "toggle_active", "_selected_action": [str(command.pk), str(inactive.pk)]},
    )

    assert response.status_code == 302
    assert message_texts(response) == ["2 commands toggled."]
    command.refresh_from_db()
    inactive.refresh_from_db()
    assert (command.active, inactive.active) == (False, True)
