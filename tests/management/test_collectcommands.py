"""manage.py collectcommands: the commands table follows the installed apps."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command, get_commands

from taskmanager.models import AppCommand, Task

pytestmark = pytest.mark.django_db


def collect(*args: str) -> str:
    out = StringIO()
    call_command("collectcommands", *args, stdout=out)
    return out.getvalue()


def rows() -> set[tuple[str, str]]:
    return set(AppCommand.objects.values_list("app_name", "name"))


def test_it_adds_every_command_of_the_installed_apps() -> None:
    output = collect()
    assert rows() == {(app_name, name) for name, app_name in get_commands().items()}
    assert ("django.core", "migrate") in rows()
    assert ("tests.sampleapp", "ends_ok") in rows()
    assert ("taskmanager", "runtask") in rows()
    assert "tests.sampleapp: ends_ok\n" in output
    n = len(get_commands())
    assert output.endswith(f"{n} commands collected: {n} new, 0 reactivated, 0 deactivated.\n")


def test_excludecore_leaves_out_djangos_own_commands_only() -> None:
    collect("--excludecore")
    app_names = {app_name for app_name, _ in rows()}
    assert not any(name == "django" or name.startswith("django.") for name in app_names)
    assert {"taskmanager", "tests.sampleapp", "django.contrib.auth"} & app_names == {
        "taskmanager",
        "tests.sampleapp",
    }


def test_a_second_run_adds_nothing() -> None:
    collect()
    count = AppCommand.objects.count()
    output = collect()
    assert AppCommand.objects.count() == count
    assert output.endswith(f"{count} commands collected: 0 new, 0 reactivated, 0 deactivated.\n")


def test_a_command_that_is_gone_is_deactivated_not_deleted() -> None:
    gone = AppCommand.objects.create(app_name="tests.sampleapp", name="removed_long_ago")
    task = Task.objects.create(name="old", command=gone)
    output = collect("--excludecore")
    gone.refresh_from_db()
    assert gone.active is False
    assert Task.objects.get(pk=task.pk).command == gone
    assert "tests.sampleapp: removed_long_ago (gone, deactivated)\n" in output


def test_excluded_core_commands_are_not_deactivated() -> None:
    migrate = AppCommand.objects.create(app_name="django.core", name="migrate")
    collect("--excludecore")
    migrate.refresh_from_db()
    assert migrate.active is True


def test_a_command_that_is_back_is_reactivated() -> None:
    back = AppCommand.objects.create(app_name="tests.sampleapp", name="ends_ok", active=False)
    output = collect("--excludecore")
    back.refresh_from_db()
    assert back.active is True
    assert " 1 reactivated, " in output


def test_verbosity_0_prints_nothing() -> None:
    assert collect("-v", "0") == ""
    assert AppCommand.objects.exists()
