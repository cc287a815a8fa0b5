"""``manage.py collectcommands``: keep the table of runnable commands in step with the code."""

from __future__ import annotations

from typing import Any

from django.core.management import BaseCommand, get_commands
from django.core.management.base import CommandParser
from django.db import transaction

from taskmanager.models import AppCommand


def is_django_core(app_name: str) -> bool:
    # 2.x tested startswith("django"), which also skipped django_extensions & co.
    return app_name == "django" or app_name.startswith("django.")


class Command(BaseCommand):
    help = (
        "Add every management command of the installed apps to the commands tasks can run; "
        "deactivate (never delete) those that are gone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--excludecore",
            action="store_true",
            help="Leave out Django's own commands (apps named django.*).",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        available = {(app_name, name) for name, app_name in get_commands().items()}
        wanted = sorted(
            (app_name, name)
            for app_name, name in available
            if not (options["excludecore"] and is_django_core(app_name))
        )
        verbose = options["verbosity"] >= 1
        added = reactivated = deactivated = 0
        for app_name, name in wanted:
            command, created = AppCommand.objects.get_or_create(app_name=app_name, name=name)
            if created:
                added += 1
            elif not command.active:
                command.active = True
                command.save(update_fields=["active"])
                reactivated += 1
            if verbose:
                self.stdout.write(f"{app_name}: {name}")
        # Tasks point at these rows: a command that is gone is kept, inactive.
        for command in AppCommand.objects.filter(active=True).order_by("app_name", "name"):
            if (command.app_name, command.name) not in available:
                command.active = False
                command.save(update_fields=["active"])
                deactivated += 1
                if verbose:
                    self.stdout.write(f"{command.app_name}: {command.name} (gone, deactivated)")
        if verbose:
            self.stdout.write(
                f"{len(wanted)} commands collected: {added} new, {reactivated} reactivated, "
                f"{deactivated} deactivated."
            )
