"""taskmanager.execution.tasks.checks: the Tasks backend's alias, queue and abilities."""

from typing import Any

from taskmanager.execution.tasks.checks import check_tasks_backend
from tests.execution.tasks.conftest import DUMMY, IMMEDIATE


def test_django_tasks_db_with_our_queue_has_nothing_to_say() -> None:
    assert check_tasks_backend() == []


def test_an_unknown_alias_is_an_error_naming_the_known_ones(settings: Any) -> None:
    settings.UWSGI_TASKMANAGER_TASKS = {"backend": "workers"}
    [error] = check_tasks_backend()
    assert error.id == "taskmanager.E015"
    assert "The Tasks backend 'workers'" in error.msg
    assert "name one of 'default'" in str(error.hint)


def test_a_queue_the_backend_does_not_allow_is_an_error_saying_how_to_allow_it(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    [error] = check_tasks_backend()
    assert error.id == "taskmanager.E016"
    assert "does not allow the queue 'taskmanager'" in error.msg
    assert str(error.hint).startswith("""Add 'taskmanager' to TASKS["default"]["QUEUES"]""")


def test_a_backend_that_cannot_defer_is_a_warning(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE, "QUEUES": []}}
    [warning] = check_tasks_backend()
    assert warning.id == "taskmanager.W004"
    assert "scheduled and repeating tasks will not launch" in warning.msg
    assert "DatabaseBackend" in str(warning.hint)


def test_a_backend_that_never_runs_jobs_is_a_warning(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": DUMMY, "QUEUES": []}}
    [warning] = check_tasks_backend()
    assert warning.id == "taskmanager.W005"
