"""manage.py runtask: run a task in the foreground, print its result, exit 1 on failure."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from taskmanager.models import AppCommand, Report, Task
from tests.runs.file_project import ROOT, project_env

pytestmark = pytest.mark.usefixtures("media_root")


def make_task(name: str, command: str, arguments: str = "") -> Task:
    app_command, _ = AppCommand.objects.get_or_create(app_name="tests.sampleapp", name=command)
    return Task.objects.create(name=name, command=app_command, arguments=arguments)


def runtask(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("runtask", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_runs_a_task_by_name_and_prints_a_summary() -> None:
    task = make_task("nightly import", "ends_with_errors")
    output = runtask("nightly import")
    report = Report.objects.get(task=task)
    assert output == f"nightly import: errors (2 errors, 1 warning) - report {report.pk}\n"


@pytest.mark.django_db
def test_it_runs_a_task_by_id() -> None:
    task = make_task("42", "ends_ok")
    other = make_task("other", "ends_with_warnings")
    output = runtask(str(other.pk))
    assert output.startswith("other: warnings (0 errors, 2 warnings) - report ")
    assert not Report.objects.filter(task=task).exists()


@pytest.mark.django_db
def test_a_name_is_matched_ignoring_case_when_no_exact_match() -> None:
    make_task("Nightly Import", "ends_ok")
    assert runtask("nightly import").startswith("Nightly Import: ok (0 errors, 0 warnings) - report ")


@pytest.mark.django_db
def test_verbosity_2_adds_the_log_file_and_tail() -> None:
    make_task("warn", "ends_with_warnings")
    output = runtask("warn", "-v", "2")
    lines = output.splitlines()
    assert lines[1].startswith("log file: /")
    assert lines[-1] == "done"


@pytest.mark.django_db
def test_verbosity_0_prints_nothing() -> None:
    make_task("warn", "ends_with_warnings")
    assert runtask("warn", "-v", "0") == ""


@pytest.mark.django_db
def test_a_failed_task_exits_with_1() -> None:
    make_task("broken", "fails")
    with pytest.raises(SystemExit) as exited:
        runtask("broken")
    assert exited.value.code == 1
    assert Report.objects.get().invocation_result == "failed"


@pytest.mark.django_db
def test_an_unknown_task_is_a_command_error_naming_it() -> None:
    with pytest.raises(CommandError, match="No task has the id or name 'nope'"):
        runtask("nope")


@pytest.mark.django_db
def test_an_ambiguous_name_lists_the_matching_ids() -> None:
    first = make_task("import", "ends_ok")
    second = make_task("import", "ends_ok")
    with pytest.raises(CommandError, match=rf"2 tasks are named 'import' \(ids {first.pk}, {second.pk}\)"):
        runtask("import")


def test_runtask_never_runs_system_checks() -> None:
    from taskmanager.management.commands.runtask import Command

    assert Command.requires_system_checks == []


# -- a real manage.py process, for the exit status -------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated database file with one task per outcome, and the environment to use it."""
    env = project_env(tmp_path_factory.mktemp("runtask"))
    manage(
        env,
        "shell",
        "-c",
        "from taskmanager.models import AppCommand, Task\n"
        "for name, command in [('good', 'ends_ok'), ('bad', 'ends_with_errors'), ('broken', 'fails')]:\n"
        "    c, _ = AppCommand.objects.get_or_create(app_name='tests.sampleapp', name=command)\n"
        "    Task.objects.create(name=name, command=c)\n",
    )
    return env


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=check,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("task", "status", "result"),
    [
        ("good", 0, "ok (0 errors, 0 warnings)"),
        ("bad", 0, "errors (2 errors, 1 warning)"),
        ("broken", 1, "failed"),
    ],
)
def test_the_exit_status_of_a_real_runtask(
    project: dict[str, str], task: str, status: int, result: str
) -> None:
    done = manage(project, "runtask", task, check=False)
    assert done.returncode == status, done.stderr
    assert done.stdout.startswith(f"{task}: {result}")
    assert done.stderr == ""


def test_a_real_runtask_of_an_unknown_task_exits_with_1_and_no_traceback(project: dict[str, str]) -> None:
    done = manage(project, "runtask", "nope", check=False)
    assert done.returncode == 1
    assert done.stderr == "CommandError: No task has the id or name 'nope'.\n"
