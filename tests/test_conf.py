"""taskmanager.conf: UWSGI_TASKMANAGER_TASKS read into TasksOptions (errors: test_checks.py)."""

from typing import Any

from taskmanager.conf import TasksOptions, tasks_options


def test_every_tasks_option_has_a_default() -> None:
    assert tasks_options() == TasksOptions("default", "taskmanager", 5.0, 30.0, 10.0)


def test_given_options_replace_the_defaults_and_numbers_are_seconds(settings: Any) -> None:
    settings.UWSGI_TASKMANAGER_TASKS = {"backend": "workers", "heartbeat": 1, "stale_after": 5, "watchdog": 2}
    assert tasks_options() == TasksOptions("workers", "taskmanager", 1.0, 5.0, 2.0)
