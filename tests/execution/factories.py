"""Tasks of the sample app's commands, for the execution tests."""

from typing import Any

from taskmanager.models import AppCommand, Task


def make_task(command: str = "ends_ok", **fields: Any) -> Task:
    """A task running ``tests.sampleapp``'s ``command``, named after it unless ``name`` is given."""
    app_command, _ = AppCommand.objects.get_or_create(app_name="tests.sampleapp", name=command)
    fields.setdefault("name", command)
    return Task.objects.create(command=app_command, **fields)
