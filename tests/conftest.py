"""Fixtures shared by the whole suite. The network-edge fakes live in tests/fakes/."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from taskmanager.models import AppCommand, Report, Task
from taskmanager.notifications.channels import locmem
from tests.fakes import FakeSlack, SMTPServer

# The PostgreSQL fixtures (postgres_db, workers, web_server) for the tests marked postgres, and
# the Redis ones (rq_db, rq_workers) for those marked redis.
pytest_plugins = ["tests.postgres", "tests.rq_workers"]


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    """``MEDIA_ROOT`` in a new temporary folder, returned: runs write their log files under it.

    Not autouse: a module whose tests run tasks asks for it, with
    ``pytestmark = pytest.mark.usefixtures("media_root")`` or as a test's argument.
    """
    folder = tmp_path / "media"
    folder.mkdir()
    settings.MEDIA_ROOT = str(folder)
    return folder


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """Slack's Web API and incoming webhooks on loopback; token ``xoxb-test-token``, channel
    ``C0000000001`` (``#general``)."""
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server on loopback recording what it receives."""
    with SMTPServer() as server:
        yield server


@pytest.fixture
def smtp_settings(settings: Any, smtp_server: SMTPServer) -> SMTPServer:
    """Point Django's SMTP email backend at :func:`smtp_server`; returns the server.

    ``settings`` is pytest-django's fixture (its wrapper type is public only in recent releases).
    """
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp_server


@pytest.fixture
def outbox():
    locmem.outbox.clear()
    yield locmem.outbox
    locmem.outbox.clear()


@pytest.fixture
def make_report(db):
    """Build a saved report at a level, with a stored log tail."""
    command, _ = AppCommand.objects.get_or_create(app_name="sampleapp", name="sample")

    def make(result: str = "errors", *, name: str = "nightly import", **fields) -> Report:
        import datetime

        from django.utils import timezone

        task = Task.objects.create(name=name, command=command, arguments="--since 2026-01-01, -v 2")
        started = timezone.now()
        defaults = {
            "invocation_result": result,
            "invocation_datetime": started,
            "end_datetime": started + datetime.timedelta(seconds=83),
            "log": "line one\nWARNING careful\nERROR broken",
            "n_log_lines": 3,
            "n_log_errors": 2 if result in ("errors", "failed") else 0,
            "n_log_warnings": 1 if result != "ok" else 0,
        }
        defaults.update(fields)
        return Report.objects.create(task=task, **defaults)

    return make
