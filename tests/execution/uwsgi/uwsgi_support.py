"""A real uWSGI (web workers and a spooler) for the uwsgi tests, and the test's view of its database.

:func:`uwsgi_database` gives the test process a database alias ``"uwsgi"`` on a
temporary sqlite file (migrated, with an admin/admin superuser and the sample
commands); :func:`running_uwsgi` starts ``uwsgi`` on a free loopback port with a
temporary spool directory and media folder, on that file, and kills its whole
process group at the end, whatever happened. uWSGI's log is printed at teardown:
pytest shows it when the test failed.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest
from django.core.management import call_command
from django.db import connections

ROOT = Path(__file__).resolve().parents[3]
UWSGI = Path(sys.executable).with_name("uwsgi")
ALIAS = "uwsgi"
ADMIN_PASSWORD = "admin"
T = TypeVar("T")
_template: dict[str, Path] = {}


def at_least(n: int, items: list[T]) -> list[T]:
    """``items`` once there are ``n`` of them, else nothing (for :meth:`UwsgiServer.wait_for`)."""
    return items if len(items) >= n else []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _use_database(path: Path) -> None:
    if ALIAS in connections.settings:
        connections[ALIAS].close()
        with contextlib.suppress(AttributeError):  # no connection opened in this thread
            del connections[ALIAS]
    settings = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": {"timeout": 30}}
    configured = connections.configure_settings({"default": connections.settings["default"], ALIAS: settings})
    connections.settings[ALIAS] = configured[ALIAS]


def _migrated_template(factory: pytest.TempPathFactory) -> Path:
    """A migrated database file, made once per test session and copied for each test."""
    if "path" not in _template:
        from django.contrib.auth.models import User

        from taskmanager.models import AppCommand

        path = factory.mktemp("uwsgi-template") / "template.sqlite3"
        _use_database(path)
        call_command("migrate", database=ALIAS, verbosity=0, interactive=False)
        User.objects.db_manager(ALIAS).create_superuser("admin", "admin@example.com", ADMIN_PASSWORD)
        for name in (
            "ends_ok",
            "ends_with_errors",
            "ends_with_warnings",
            "fails",
            "waits_for_file",
            "counts_its_runs",
        ):
            AppCommand.objects.using(ALIAS).create(app_name="tests.sampleapp", name=name)
        connections[ALIAS].close()
        with contextlib.closing(sqlite3.connect(path)) as db:
            # Readers (this process) never block the spooler's writes, nor the reverse.
            db.execute("PRAGMA journal_mode=WAL")
        _template["path"] = path
    return _template["path"]


@contextlib.contextmanager
def uwsgi_database(tmp_path: Path, factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh copy of the migrated database, reachable here as ``using("uwsgi")``."""
    path = tmp_path / "db.sqlite3"
    shutil.copyfile(_migrated_template(factory), path)
    _use_database(path)
    try:
        yield path
    finally:
        connections[ALIAS].close()


@dataclass
class UwsgiServer:
    """A running uWSGI started by :func:`running_uwsgi`."""

    port: int
    spool: Path
    media: Path
    log: Path
    env: dict[str, str]
    args: list[str]
    process: subprocess.Popen[bytes] | None = None
    _logs: list[Path] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        log = self.log.with_name(f"{self.log.stem}-{len(self._logs) + 1}.log")
        self._logs.append(log)
        with open(log, "wb") as out:
            # Its own process group: killing it at the end takes the spooler and workers too.
            self.process = subprocess.Popen(
                [str(UWSGI), *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_for(self._answers, timeout=30, what="uWSGI answering HTTP")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"uWSGI exited with {self.process.returncode}:\n{self.log_text()}")
        try:
            with urllib.request.urlopen(self.url("/admin/login/"), timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def kill(self) -> None:
        """SIGKILL every process of this uWSGI at once, as a container dying does."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None
        # The workers die a moment after the master: until then they hold the port.
        self.wait_for(self._port_is_free, timeout=10, what="the killed uWSGI's port to be free")

    def _port_is_free(self) -> bool:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", self.port))
            except OSError:
                return False
            return True

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        # Whatever survived (a spooler deep in a command): gone too.
        self.kill()

    def log_text(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')}" for log in self._logs)

    def spooler_pid(self) -> int:
        """The pid of the current spooler process (the last one uWSGI spawned)."""
        pids = re.findall(r"spawned the uWSGI spooler on dir .* with pid (\d+)", self._logs[-1].read_text())
        assert pids, self.log_text()
        return int(pids[-1])

    def spool_files(self) -> list[Path]:
        return sorted(self.spool.glob("uwsgi_spoolfile_on_*"))

    def wait_for(self, check: Callable[[], T], *, timeout: float = 15.0, what: str = "") -> T:
        """Poll ``check`` until it returns something true; fail with uWSGI's log after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"Timed out after {timeout} s waiting for {what or check}.\n{self.log_text()}"
                )
            time.sleep(0.1)


@contextlib.contextmanager
def running_uwsgi(
    tmp_path: Path, database: Path, handlers: dict[str, Any] | None = None, *, spooler_processes: int = 1
) -> Iterator[UwsgiServer]:
    spool, media = tmp_path / "spool", tmp_path / "media"
    spool.mkdir()
    media.mkdir(exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.execution.uwsgi.uwsgi_settings",
        "TASKMANAGER_TEST_DB": str(database),
        "TASKMANAGER_TEST_MEDIA_ROOT": str(media),
        "TASKMANAGER_TEST_HANDLERS": json.dumps(handlers or {}),
    }
    args = [
        "--master",
        "--need-app",
        "--http", f"127.0.0.1:{port}",
        "--module", "tests.execution.uwsgi.uwsgi_wsgi:application",
        "--pythonpath", str(ROOT),
        "--processes", "2",
        "--spooler", str(spool),
        "--spooler-processes", str(spooler_processes),
        "--spooler-frequency", "1",
        "--spooler-import", "taskmanager.spooler",
    ]  # fmt: skip
    server = UwsgiServer(port=port, spool=spool, media=media, log=tmp_path / "uwsgi.log", env=env, args=args)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        # Shown by pytest when the test failed.
        print(server.log_text())


def run_manage(server: UwsgiServer, *args: str) -> subprocess.CompletedProcess[str]:
    """``manage.py <args>`` in a fresh process, on the server's database and media (a shell)."""
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )


class WebProcess(Protocol):
    """A web server the admin runs in: uWSGI here, ``runserver`` for the PostgreSQL tests."""

    def url(self, path: str) -> str: ...


class AdminClient:
    """A browser's requests to the admin: the login form with its CSRF token, then actions."""

    def __init__(self, server: WebProcess, *, timeout: float = 10.0) -> None:
        self.server = server
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def _csrf(self) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken") or ""

    def get(self, path: str) -> str:
        with self.opener.open(self.server.url(path), timeout=self.timeout) as response:
            return str(response.read().decode())

    def post(self, path: str, data: dict[str, str | list[str]]) -> tuple[int, str]:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self._csrf()}, doseq=True).encode()
        request = urllib.request.Request(self.server.url(path), data=body, method="POST")
        with self.opener.open(request, timeout=self.timeout) as response:
            return response.status, str(response.read().decode())

    def login(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:
        self.get("/admin/login/")
        _, page = self.post("/admin/login/?next=/admin/", {"username": username, "password": password})
        assert "Log out" in page or "logout" in page, page[:2000]

    def task_action(self, action: str, *task_ids: int) -> str:
        """Run an admin action on tasks from their list; returns the page it leads to."""
        status, page = self.post(
            "/admin/taskmanager/task/",
            {"action": action, "_selected_action": [str(pk) for pk in task_ids], "index": "0"},
        )
        assert status == 200, page[:2000]
        return page
