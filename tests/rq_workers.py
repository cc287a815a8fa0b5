"""RQ on Redis for the tests marked ``redis``: the Tasks backend's second engine, with ``rqworker``s.

The Redis server is the one ``scripts/redis.sh`` starts (the newest leg of the test command
runs pytest through it, inside ``scripts/postgres.sh``): its URL is in
``TASKMANAGER_TEST_REDIS``. Without it the tests skip, saying what is missing
(``TASKMANAGER_TEST_REDIS_MISSING``: why the script had none).

The database is a test's PostgreSQL copy (``postgres_db`` of ``tests/postgres.py``); the queue
is on Redis, emptied for each test. The processes run ``tests.settings_rq``: :class:`RQWorkers`
starts django-rq's ``manage.py rqworker`` the way django-tasks-rq needs it (its job class, and
RQ's scheduler for the deferred jobs), :func:`shell` runs ``manage.py shell -c`` (launches,
stops) on the same settings. These fixtures are a plugin of the root conftest.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import ROOT, PostgresDatabase, Process, WorkerPool, start_process, url_or_skip, wait_for

SERVER_ENV = "TASKMANAGER_TEST_REDIS"
MISSING_ENV = "TASKMANAGER_TEST_REDIS_MISSING"
SETTINGS = "tests.settings_rq"
QUEUE = "taskmanager"


def redis_url() -> str:
    """The Redis server's URL; skips the test, saying why, when there is none."""
    run = "scripts/postgres.sh scripts/redis.sh .venv/bin/pytest -m redis"
    return url_or_skip("Redis", "redis.sh", SERVER_ENV, MISSING_ENV, run)


def rq_env(database: PostgresDatabase, url: str) -> dict[str, str]:
    """The environment of a process on the test's database with the queue on Redis."""
    return database.env(DJANGO_SETTINGS_MODULE=SETTINGS, **{SERVER_ENV: url})


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The server's URL; skips without one (session-scoped: asked before PostgreSQL's template)."""
    return redis_url()


@pytest.fixture
def rq_db(redis_server: str, postgres_db: PostgresDatabase) -> PostgresDatabase:
    """The test's PostgreSQL database, and an empty Redis (``FLUSHDB``) for its queue."""
    import redis  # the slow-tests group's (django-tasks-rq's); only these tests need it

    with redis.Redis.from_url(redis_server) as server:
        server.flushdb()
    return postgres_db


def shell(database: PostgresDatabase, code: str) -> str:
    """``manage.py shell -c code`` on the RQ settings (a launch from a deploy script); its output."""
    done = subprocess.run(
        [sys.executable, "-m", "django", "shell", "-c", code],
        cwd=ROOT,
        env=rq_env(database, redis_url()),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


class RQWorkers(WorkerPool):
    """``rqworker`` processes on a test's database and Redis: ``start(n)``, ``stop()`` (also at teardown)."""

    def start(self, n: int = 1) -> list[Process]:
        started = []
        for _ in range(n):
            name = f"rq-worker-{len(self.processes) + 1}"
            # django-tasks-rq's job class runs our task functions; RQ's scheduler (one worker
            # holds its lock at a time) moves deferred jobs to the queue when they are due.
            args = ["rqworker", "--job-class", "django_tasks_rq.Job", "--with-scheduler", "--name", name]
            process = start_process(name, [*args, QUEUE], rq_env(self.database, redis_url()), self.folder)
            self.processes.append(process)
            started.append(process)
        # Up and listening on the queue: a test's clock starts after the start-up.
        for process in started:
            wait_for(
                lambda p=process: "Listening on" in p.output() or not p.alive,  # type: ignore[misc]
                timeout=60,
                what=f"{process.name} to start",
            )
            assert process.alive, process.output()
        return started

    def ran(self, job: str) -> dict[str, int]:
        """How many jobs whose call starts with ``job`` (RQ's log line) each worker started."""
        return {p.name: p.output().count(f"{QUEUE}: {job}") for p in self.processes}


@pytest.fixture
def rq_workers(rq_db: PostgresDatabase, tmp_path: Path) -> Iterator[RQWorkers]:
    """Start ``rqworker`` processes with ``rq_workers.start(n)``; all stopped at the end."""
    pool = RQWorkers(rq_db, tmp_path)
    try:
        yield pool
    finally:
        pool.stop()
        print(pool.output())
