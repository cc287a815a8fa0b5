"""Create the demo's four tasks and its admin user (safe to run again)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError

from taskmanager.models import AppCommand, Task, TaskCategory

# (task name, command, arguments, category)
DEMO_TASKS = [
    ("Nightly import", "nightly_import", "--rows 1000, --batch 250", "Imports"),
    ("Sync catalogue", "sync_catalogue", "", "Catalogue"),
    ("Rebuild search index", "rebuild_search_index", "", "Catalogue"),
    ("Send invoices", "send_invoices", "", "Billing"),
]

ADMIN_USERNAME = ADMIN_PASSWORD = "admin"


class Command(BaseCommand):
    help = "Create the demo's tasks and a superuser admin/admin (a local demo only)."

    def handle(self, *args: Any, **options: Any) -> None:
        commands = get_commands()
        for name, command_name, arguments, category_name in DEMO_TASKS:
            if command_name not in commands:
                raise CommandError(f"The command {command_name} is missing: is demo.demoapp installed?")
            # Same app name as collectcommands records: the one Django loads the command from.
            command, _ = AppCommand.objects.get_or_create(app_name=commands[command_name], name=command_name)
            category, _ = TaskCategory.objects.get_or_create(name=category_name)
            task, created = Task.objects.update_or_create(
                name=name, defaults={"command": command, "arguments": arguments, "category": category}
            )
            self.stdout.write(f"{'created' if created else 'kept'} task #{task.pk} {name!r}: {command_name}")

        user_model = get_user_model()
        if user_model.objects.filter(username=ADMIN_USERNAME).exists():
            self.stdout.write(f"superuser {ADMIN_USERNAME!r} exists (password left as it is)")
        else:
            user_model.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD)
            self.stdout.write(
                f"created superuser {ADMIN_USERNAME!r} with password {ADMIN_PASSWORD!r}: "
                "fine for this local demo, never for a reachable server"
            )
