"""PostgreSQL for the tests marked ``postgres``: a database per test, ``db_worker`` processes, a web server.

The server is the one ``scripts/postgres.sh`` starts (the newest leg of the test command runs
pytest through it): its URL is in ``TASKMANAGER_TEST_POSTGRES``. Without it the tests skip,
saying what is missing (``TASKMANAGER_TEST_POSTGRES_MISSING``: why the script had none).

A template database is migrated once per session (with an admin/admin superuser and the sample
commands) and copied for each test (``CREATE DATABASE ... TEMPLATE``: fast), reachable here as
``using("postgres")``. The processes run ``tests.settings_postgres`` on that copy:
:class:`Workers` starts real ``manage.py db_worker`` processes, :class:`WebServer` a
``runserver`` for the admin. Their output is printed at teardown (pytest shows it when the test
failed). These fixtures are a plugin of the root conftest.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.db import connections

from tests.execution.uwsgi.uwsgi_support import free_port
from tests.settings_postgres import database_settings

ROOT = Path(__file__).resolve().parents[1]
SERVER_ENV = "TASKMANAGER_TEST_POSTGRES"
MISSING_ENV = "TASKMANAGER_TEST_POSTGRES_MISSING"
ALIAS = "postgres"
ADMIN_PASSWORD = "admin"
SAMPLE_COMMANDS = ("does_nothing", "sleeps", "ends_ok", "fails", "counts_its_runs")
T = TypeVar("T")
_names = itertools.count(1)


def url_or_skip(server: str, script: str, url_env: str, missing_env: str, run: str) -> str:
    """The URL of the ``server`` that scripts/``script`` started, from ``url_env``; skips the
    test, saying why (``missing_env``: the script's reason), when there is none."""
    url = os.environ.get(url_env)
    if url:
        return url
    why = os.environ.get(missing_env)
    if why:
        pytest.skip(f"No {server}: scripts/{script} could not start one ({why})")
    pytest.skip(
        f"No {server}: {url_env} is not set. Run through scripts/{script}, which starts one: "
        f"{run} (the test command does, on its newest leg)"
    )


def server_url() -> str:
    """The PostgreSQL server's URL; skips the test, saying why, when there is none."""
    run = "scripts/postgres.sh .venv/bin/pytest -m postgres"
    return url_or_skip("PostgreSQL", "postgres.sh", SERVER_ENV, MISSING_ENV, run)


def admin_sql(url: str, *statements: str) -> None:
    """Run statements on the server's maintenance database (CREATE/DROP DATABASE: autocommit)."""
    import psycopg  # the slow-tests group's; only these tests and benchmarks need it

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def use_database(url: str, name: str) -> None:
    """Point this process's alias ``postgres`` at database ``name`` on the server."""
    if ALIAS in connections.settings:
        connections[ALIAS].close()
        with contextlib.suppress(AttributeError):  # no connection opened in this thread
            del connections[ALIAS]
    configured = connections.configure_settings(
        {"default": connections.settings["default"], ALIAS: database_settings(url, name)}
    )
    connections.settings[ALIAS] = configured[ALIAS]


def release_database() -> None:
    if ALIAS in connections.settings:
        connections[ALIAS].close()


def wait_for(
    check: Callable[[], T], *, timeout: float = 15.0, what: str = "", log: Callable[[], str] = str
) -> T:
    """Poll ``check`` until it returns something true; fail after ``timeout`` with ``log()``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {what or check}.\n{log()}")
        time.sleep(0.1)


@dataclass
class PostgresDatabase:
    """A test's database on the server: its name, and the environment of the processes using it."""

    url: str
    name: str
    media: Path
    handlers: dict[str, Any] = field(default_factory=dict)

    def env(self, **more: str) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.settings_postgres",
            SERVER_ENV: self.url,
            "TASKMANAGER_TEST_POSTGRES_DB": self.name,
            "TASKMANAGER_TEST_MEDIA_ROOT": str(self.media),
            "TASKMANAGER_TEST_HANDLERS": json.dumps(self.handlers),
            **more,
        }

    def manage(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """``manage.py <args>`` in a fresh process on this database (a shell, a deploy step)."""
        return subprocess.run(
            [sys.executable, "-m", "django", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def migrated_template(url: str) -> str:
    """The template database, migrated once per session; its name.

    ``migrate`` runs in a process of its own whose default database is the template: some
    apps' data migrations (django_tasks_db's) read the default database whatever is migrated.
    """
    from django.contrib.auth.models import User

    from taskmanager.models import AppCommand

    name = f"taskmanager_template_{os.getpid()}"
    admin_sql(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    template = PostgresDatabase(url=url, name=name, media=Path(os.devnull))
    done = template.manage("migrate", "--no-input", "-v", "0", timeout=300)
    if done.returncode:
        raise RuntimeError(f"migrate failed on {name}:\n{done.stdout}{done.stderr}")
    use_database(url, name)
    User.objects.db_manager(ALIAS).create_superuser("admin", "admin@example.com", ADMIN_PASSWORD)
    for command in SAMPLE_COMMANDS:
        AppCommand.objects.using(ALIAS).create(app_name="tests.sampleapp", name=command)
    # A template is copied only while nobody is connected to it.
    release_database()
    return name


@pytest.fixture(scope="session")
def postgres_template(django_db_blocker: Any) -> Iterator[tuple[str, str]]:
    """(server URL, template name); skips without a server."""
    url = server_url()
    with django_db_blocker.unblock():
        name = migrated_template(url)
    yield url, name
    admin_sql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_db(
    postgres_template: tuple[str, str], django_db_blocker: Any, tmp_path: Path
) -> Iterator[PostgresDatabase]:
    """A fresh migrated database for this test, ``using("postgres")`` here."""
    url, template = postgres_template
    name = f"taskmanager_test_{os.getpid()}_{next(_names)}"
    admin_sql(url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    try:
        with django_db_blocker.unblock():
            use_database(url, name)
            yield PostgresDatabase(url=url, name=name, media=media)
            release_database()
    finally:
        # FORCE: a process the test killed may still hold a connection for a moment.
        admin_sql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- processes ------------------------------------------------------------------------------------


@dataclass
class Process:
    """A child process whose output goes to a file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def started_or_gone(self) -> bool:
        """A db_worker says so once it polls the queue (django_tasks_db's log, at INFO)."""
        return "Starting worker" in self.output() or not self.alive

    def kill9(self) -> None:
        """SIGKILL, as the OOM killer or a lost machine does: no clean-up runs."""
        with contextlib.suppress(ProcessLookupError):
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM (db_worker finishes the task it runs, then exits), then SIGKILL after ``grace``."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill9()


def start_process(name: str, args: list[str], env: dict[str, str], folder: Path) -> Process:
    log = folder / f"{name}.log"
    with open(log, "wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "django", *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return Process(name=name, popen=popen, log=log)


class WorkerPool:
    """Worker processes of an engine on a test's database: a subclass's ``start(n)`` adds them,
    ``stop()`` ends them all (also at teardown), ``output()`` tells what they said."""

    def __init__(self, database: PostgresDatabase, folder: Path) -> None:
        self.database = database
        self.folder = folder
        self.processes: list[Process] = []

    def by_pid(self, pid: int) -> Process:
        return next(process for process in self.processes if process.popen.pid == pid)

    @property
    def pids(self) -> set[int]:
        return {process.popen.pid for process in self.processes}

    def stop(self) -> None:
        # All told at once (a warm shut-down each), then each waited for.
        for process in self.processes:
            if process.alive:
                with contextlib.suppress(ProcessLookupError):
                    process.popen.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.stop()

    def output(self) -> str:
        return "\n".join(f"--- {p.name} (pid {p.popen.pid})\n{p.output()}" for p in self.processes)


class Workers(WorkerPool):
    """``db_worker`` processes on a test's database: ``start(n)``, then ``stop()`` (also at teardown)."""

    def start(self, n: int = 1, *, interval: float = 0.1) -> list[Process]:
        started = []
        for _ in range(n):
            worker_id = f"worker-{len(self.processes) + 1}"
            args = [
                "db_worker", "--queue-name", "taskmanager", "--interval", str(interval),
                "--no-startup-delay", "--worker-id", worker_id,
            ]  # fmt: skip
            process = start_process(worker_id, args, self.database.env(), self.folder)
            self.processes.append(process)
            started.append(process)
        # Up, Django set up, polling the queue: a test's clock starts after the start-up.
        for process in started:
            wait_for(process.started_or_gone, timeout=60, what=f"{process.name} to start")
            assert process.alive, process.output()
        return started


@pytest.fixture
def workers(postgres_db: PostgresDatabase, tmp_path: Path) -> Iterator[Workers]:
    """Start ``db_worker`` processes with ``workers.start(n)``; all stopped at the end."""
    pool = Workers(postgres_db, tmp_path)
    try:
        yield pool
    finally:
        pool.stop()
        print(pool.output())


class WebServer:
    """``manage.py runserver`` on a free loopback port: the web process of the admin."""

    def __init__(self, database: PostgresDatabase, folder: Path) -> None:
        self.port = free_port()
        self.process = start_process(
            "web", ["runserver", f"127.0.0.1:{self.port}", "--noreload"], database.env(), folder
        )
        wait_for(self._answers, timeout=30, what="runserver answering HTTP", log=self.process.output)

    @property
    def pid(self) -> int:
        return self.process.popen.pid

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _answers(self) -> bool:
        if not self.process.alive:
            raise AssertionError(f"runserver exited:\n{self.process.output()}")
        try:
            with urllib.request.urlopen(self.url("/admin/login/"), timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False


@pytest.fixture
def web_server(postgres_db: PostgresDatabase, tmp_path: Path) -> Iterator[WebServer]:
    server = WebServer(postgres_db, tmp_path)
    try:
        yield server
    finally:
        server.process.stop(grace=5)
        print(server.process.output())
