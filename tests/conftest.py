"""Fixtures shared by the whole suite. The network-edge fakes live in tests/fakes/."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes import FakeSlack, SMTPServer


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
