"""taskmanager.execution.checks: the choice of backend and UWSGI_TASKMANAGER_TASKS in manage.py check."""

from importlib.util import find_spec
from typing import Any

import pytest

from taskmanager.execution import checks


def ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


def test_the_default_backend_has_nothing_to_say() -> None:
    assert checks.check_execution_settings() == []


def test_an_unknown_backend_names_the_choices(settings: Any) -> None:
    settings.UWSGI_TASKMANAGER_BACKEND = "celery"
    [error] = checks.check_execution_settings()
    assert error.id == "taskmanager.E012"
    assert "'uwsgi', 'tasks', 'inline'" in error.msg
    assert "Backend subclass" in str(error.hint)


def test_a_dotted_path_that_is_not_a_backend_is_an_error(settings: Any) -> None:
    settings.UWSGI_TASKMANAGER_BACKEND = "taskmanager.models.Task"
    [error] = checks.check_execution_settings()
    assert error.id == "taskmanager.E012"
    assert "is not a subclass of taskmanager.execution.backend.Backend" in error.msg


def test_a_dotted_path_that_cannot_be_imported_is_an_error(settings: Any) -> None:
    settings.UWSGI_TASKMANAGER_BACKEND = "myproject.backends.Nowhere"
    [error] = checks.check_execution_settings()
    assert "cannot import 'myproject.backends.Nowhere'" in error.msg


def test_the_tasks_framework_is_found_here() -> None:
    assert checks.tasks_framework_installed() == bool(find_spec("django.tasks") or find_spec("django_tasks"))


@pytest.mark.parametrize(
    ("tasks", "says"),
    [
        (
            {"heartbeat": 0},
            'UWSGI_TASKMANAGER_TASKS["heartbeat"] must be a number of seconds above 0, not 0.',
        ),
        ({"watchdog": "10"}, 'UWSGI_TASKMANAGER_TASKS["watchdog"] must be a number of seconds above 0'),
        ({"queue": ""}, 'UWSGI_TASKMANAGER_TASKS["queue"] must be a non-empty string'),
        ({"stale": 30}, "UWSGI_TASKMANAGER_TASKS has unknown keys: stale (known: backend, queue,"),
        (
            {"heartbeat": 30},
            'UWSGI_TASKMANAGER_TASKS["stale_after"] (30) must be longer than its "heartbeat" (30)',
        ),
        ([], "UWSGI_TASKMANAGER_TASKS must be a dict, not list."),
    ],
)
def test_bad_tasks_options_are_an_error_naming_the_key(settings: Any, tasks: Any, says: str) -> None:
    settings.UWSGI_TASKMANAGER_TASKS = tasks
    [error] = checks.check_execution_settings()
    assert error.id == "taskmanager.E014"
    assert says in error.msg
    assert "heartbeat, stale_after, watchdog (seconds)" in str(error.hint)


def test_the_tasks_backend_adds_its_own_checks(settings: Any) -> None:
    settings.UWSGI_TASKMANAGER_BACKEND = "tasks"
    settings.UWSGI_TASKMANAGER_TASKS = {"queue": "elsewhere"}
    assert ids(checks.check_execution_settings()) == ["taskmanager.E016"]
