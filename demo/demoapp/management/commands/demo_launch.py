"""Launch the demo's four tasks on the backend in use, as the admin's Launch action does."""

from typing import Any

from django.core.management.base import BaseCommand

from taskmanager.models import Task

from .demo_setup import DEMO_TASKS


class Command(BaseCommand):
    help = "Launch the demo's tasks (with the Tasks backend: enqueue them for a worker)."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, *_ in DEMO_TASKS:
            task = Task.objects.get(name=name)
            report = task.launch()
            if report is None:
                task.refresh_from_db()
                self.stdout.write(f"launched {name!r}: {task.get_status_display().lower()}, for a worker")
            else:
                self.stdout.write(f"ran {name!r} here: {report.invocation_result}")
