"""A project on a database file, for the runs tests that run ``manage.py`` in another process.

Its settings are tests/settings_filedb.py: the database file and the media folder come
from the environment :func:`project_env` makes.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def project_env(folder: Path, **variables: str) -> dict[str, str]:
    """The environment of a project in ``folder``, migrated, with ``variables`` added."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings_filedb",
        "PYTHONPATH": str(ROOT),
        "TASKMANAGER_TEST_DB": str(folder / "db.sqlite3"),
        "TASKMANAGER_TEST_MEDIA_ROOT": str(folder / "media"),
        **variables,
    }
    manage(env, "migrate", "-v", "0")
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )


def start_manage(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """``manage.py <args>`` started in the background, its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "django", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def add_task(env: dict[str, str], name: str, command: str, arguments: str = "") -> None:
    """A task of the sample app's ``command``."""
    code = (
        "from taskmanager.models import AppCommand, Task\n"
        f"command, _ = AppCommand.objects.get_or_create(app_name='tests.sampleapp', name={command!r})\n"
        f"Task.objects.create(name={name!r}, command=command, arguments={arguments!r})\n"
    )
    manage(env, "shell", "-c", code)


def database(env: dict[str, str]) -> sqlite3.Connection:
    """Another connection to the project's database file, in autocommit mode."""
    return sqlite3.connect(env["TASKMANAGER_TEST_DB"], isolation_level=None, timeout=30)
