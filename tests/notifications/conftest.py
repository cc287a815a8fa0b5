import pytest

from taskmanager.models import AppCommand, Report, Task
from taskmanager.notifications.transports import locmem


@pytest.fixture
def outbox():
    locmem.outbox.clear()
    yield locmem.outbox
    locmem.outbox.clear()


@pytest.fixture
def make_report(db):
    """Build a saved report at a level, with a stored log tail."""
    command, _ = AppCommand.objects.get_or_create(app_name="sampleapp", name="sample")

    def make(result: str = "errors", *, name: str = "nightly import", **fields) -> Report:
        import datetime

        from django.utils import timezone

        task = Task.objects.create(name=name, command=command, arguments="--since 2026-01-01, -v 2")
        started = timezone.now()
        defaults = {
            "invocation_result": result,
            "invocation_datetime": started,
            "end_datetime": started + datetime.timedelta(seconds=83),
            "log": "line one\nWARNING careful\nERROR broken",
            "n_log_lines": 3,
            "n_log_errors": 2 if result in ("errors", "failed") else 0,
            "n_log_warnings": 1 if result != "ok" else 0,
        }
        defaults.update(fields)
        return Report.objects.create(task=task, **defaults)

    return make
