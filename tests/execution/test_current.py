"""taskmanager.execution.current: the backend in use, which the models' launch and stop reach."""

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from taskmanager.execution.current import get_backend
from taskmanager.execution.inline import InlineBackend
from taskmanager.execution.tasks.backend import TasksBackend
from taskmanager.execution.uwsgi.backend import UwsgiBackend
from taskmanager.models import Task
from tests.execution.factories import make_task


def test_the_backend_in_use_is_uwsgis_spooling_through_uwsgi_by_default() -> None:
    backend = get_backend()
    assert isinstance(backend, UwsgiBackend)
    assert backend.spool_directory is None


@pytest.mark.parametrize(
    ("setting", "kind"),
    [
        ("uwsgi", UwsgiBackend),
        ("tasks", TasksBackend),
        ("inline", InlineBackend),
        ("taskmanager.execution.inline.InlineBackend", InlineBackend),
    ],
)
def test_the_setting_chooses_the_backend_by_name_or_dotted_path(
    settings: Any, setting: str, kind: type
) -> None:
    settings.UWSGI_TASKMANAGER_BACKEND = setting
    assert type(get_backend()) is kind


def test_an_unknown_backend_is_a_configuration_error_naming_the_choices(settings: Any) -> None:
    settings.UWSGI_TASKMANAGER_BACKEND = "rq"
    with pytest.raises(ImproperlyConfigured, match="use one of 'uwsgi', 'tasks', 'inline'"):
        get_backend()


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
