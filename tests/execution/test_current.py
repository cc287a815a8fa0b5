"""taskmanager.execution.current: the backend in use, which the models' launch and stop reach."""

from pathlib import Path

import pytest

from taskmanager.execution.current import get_backend
from taskmanager.execution.uwsgi.backend import UwsgiBackend
from taskmanager.models import Task
from tests.execution.factories import make_task


def test_the_backend_in_use_is_uwsgis_spooling_through_uwsgi() -> None:
    backend = get_backend()
    assert isinstance(backend, UwsgiBackend)
    assert backend.spool_directory is None


@pytest.mark.django_db
def test_a_tasks_launch_and_stop_go_to_the_backend_in_use(tmp_path: Path) -> None:
    task = make_task("ends_with_warnings")
    report = task.launch()  # no spooler in the tests: run here
    assert report is not None
    assert report.invocation_result == "warnings"
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_SCHEDULED, spooler_id=str(tmp_path / "gone"))
    task.stop()
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == ("idle", "")
