"""taskmanager.execution.checks: the choice of backend and UWSGI_TASKMANAGER_TASKS in manage.py check."""

import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import django
import pytest

from taskmanager.execution import checks

ROOT = Path(__file__).resolve().parents[2]


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


# A process where the backport cannot be imported, as Django 5.2 without django-tasks.
NO_FRAMEWORK = """
import sys
sys.modules["django_tasks"] = None
import django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "taskmanager"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    UWSGI_TASKMANAGER_BACKEND="tasks",
)
django.setup()
from taskmanager.execution.checks import check_execution_settings
for message in check_execution_settings():
    print(message.id, message.msg, message.hint, sep="|")
"""


@pytest.mark.skipif(
    django.VERSION >= (6, 0), reason="Django 6 has django.tasks: the framework is always there"
)
def test_the_tasks_backend_without_a_tasks_framework_says_what_to_install() -> None:
    run = subprocess.run(
        [sys.executable, "-c", NO_FRAMEWORK], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    [line] = run.stdout.splitlines()
    check_id, message, hint = line.split("|")
    assert check_id == "taskmanager.E013"
    assert message.startswith('UWSGI_TASKMANAGER_BACKEND = "tasks" needs Django\'s Tasks framework')
    assert 'pip install "django-uwsgi-taskmanager[tasks]" (django-tasks)' in hint
