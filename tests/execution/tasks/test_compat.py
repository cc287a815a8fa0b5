"""taskmanager.execution.tasks.compat: django.tasks on Django 6.x, the django_tasks backport on 5.2."""

import django

from taskmanager.execution.tasks import compat


def test_the_framework_is_djangos_own_from_6_0_and_the_backport_before() -> None:
    expected = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
    assert expected == compat.FRAMEWORK
    assert compat.task_backends.__module__.startswith(expected)
