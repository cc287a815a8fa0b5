"""Which mailer sends: Django 6.1's MAILERS and ``using``, the EMAIL_* settings on every Django,
and the mailer's secrets kept out of errors, delivery records and logs."""

import logging
import socket
import traceback
import warnings
from collections.abc import Iterator

import django
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from django.core import checks, mail
from django.core.mail.backends.base import BaseEmailBackend

from taskmanager.models import AppCommand, Delivery, Task
from taskmanager.notifications.channels.mail.transport import MailTransport
from taskmanager.notifications.checks import check_notification_settings
from taskmanager.notifications.exceptions import DeliveryError
from taskmanager.notifications.message import Message
from taskmanager.tasks import exec_command_task

MAIL = "taskmanager.notifications.MailNotificationHandler"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD = "hunter2-not-for-logs"

on_61 = pytest.mark.skipif(django.VERSION < (6, 1), reason="MAILERS is Django 6.1's")
before_61 = pytest.mark.skipif(django.VERSION >= (6, 1), reason="Django 6.1 has MAILERS")


def smtp_mailer(server, **options) -> dict:
    return {"BACKEND": SMTP, "OPTIONS": {"host": server.host, "port": server.port, "timeout": 5, **options}}


def message() -> Message:
    return Message(
        handler="mail",
        level="failed",
        parts={"subject.txt": "[failed] invoice run failed", "txt": "it failed", "html": "<p>it failed</p>"},
    )


def django_deprecations(caught: list[warnings.WarningMessage], *, ours_only: bool = False) -> list[str]:
    """Django's RemovedInDjango* warnings, optionally only those raised from taskmanager."""
    return [
        f"{w.filename}:{w.lineno}: {w.message}"
        for w in caught
        if w.category.__name__.startswith("RemovedInDjango")
        and (not ours_only or "/taskmanager/" in w.filename.replace("\\", "/"))
    ]


def handlers(settings, **options) -> None:
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {"class": MAIL, "level": "ok", "recipients": "ops@example.com", **options}
    }


def taskmanager_checks() -> list[checks.CheckMessage]:
    return check_notification_settings()


@pytest.fixture
def failing_task(db) -> Task:
    command, _ = AppCommand.objects.get_or_create(app_name="tests.sampleapp", name="fails")
    return Task.objects.create(name="invoice run", command=command)


# -- sending through a mailer ------------------------------------------------------------------


@on_61
def test_a_failing_tasks_mail_arrives_through_the_named_mailer_with_no_deprecation_warning(
    settings, smtp_server, failing_task, media_root
):
    settings.MAILERS = {"default": {"BACKEND": LOCMEM}, "alerts": smtp_mailer(smtp_server)}
    handlers(settings, level="failed", using="alerts")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = exec_command_task(failing_task)

    assert report.invocation_result == "failed"
    [received] = smtp_server.messages
    assert received.message["Subject"] == "[failed] invoice run failed"
    assert received.rcpt_tos == ["ops@example.com"]
    assert mail.outbox == []  # not through the default mailer
    assert django_deprecations(caught) == []


@on_61
def test_the_default_mailer_sends_when_using_is_left_out(settings, smtp_server, make_report):
    settings.MAILERS = {"default": smtp_mailer(smtp_server), "bulk": {"BACKEND": LOCMEM}}
    handlers(settings)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        [outcome] = make_report("errors").emit_notifications()

    assert outcome.sent, outcome.error
    assert len(smtp_server.messages) == 1
    assert django_deprecations(caught) == []


def test_a_project_still_on_the_email_settings_keeps_sending_through_them(
    settings, smtp_settings, make_report
):
    handlers(settings)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        [outcome] = make_report("errors").emit_notifications()

    assert outcome.sent, outcome.error
    assert len(smtp_settings.messages) == 1
    assert django_deprecations(caught, ours_only=True) == []


def test_using_the_default_mailer_by_name_works_on_every_django(settings, smtp_settings):
    MailTransport(recipients="ops@example.com", using="default").send(message())
    assert len(smtp_settings.messages) == 1


@on_61
def test_a_mailer_that_cannot_be_built_is_a_permanent_delivery_error(settings):
    settings.MAILERS = {"default": {"BACKEND": "no.such.EmailBackend"}}
    with pytest.raises(DeliveryError) as caught:
        MailTransport(recipients="ops@example.com").send(message())
    assert caught.value.permanent is True
    assert "mailer 'default'" in str(caught.value)
    assert "no.such.EmailBackend" in str(caught.value)


# -- manage.py check ---------------------------------------------------------------------------


@on_61
def test_check_reports_an_unknown_alias_with_the_aliases_that_exist(settings):
    settings.MAILERS = {"default": {"BACKEND": LOCMEM}, "alerts": {"BACKEND": LOCMEM}}
    handlers(settings, using="alrets")

    [problem] = taskmanager_checks()

    assert problem.id == "taskmanager.E006"
    assert "'mail'" in problem.msg
    assert "'alrets'" in problem.msg
    assert problem.hint == "MAILERS defines 'default', 'alerts'; name one of them."


@on_61
def test_check_reports_a_missing_default_mailer_when_using_is_left_out(settings):
    settings.MAILERS = {"alerts": {"BACKEND": LOCMEM}}
    handlers(settings)

    [problem] = taskmanager_checks()

    assert problem.id == "taskmanager.E006"
    assert "MAILERS has no mailer 'default'" in problem.msg
    assert "'alerts'" in str(problem.hint)


@on_61
def test_check_reports_a_named_mailer_when_the_project_has_no_mailers_setting(settings):
    handlers(settings, using="alerts")

    [problem] = taskmanager_checks()

    assert problem.id == "taskmanager.E006"
    assert "MAILERS setting is not defined" in problem.msg


@before_61
def test_check_reports_a_named_mailer_before_django_61(settings):
    handlers(settings, using="alerts")

    [problem] = taskmanager_checks()

    assert problem.id == "taskmanager.E006"
    assert "needs Django 6.1 or later" in problem.msg
    assert "EMAIL_BACKEND" in str(problem.hint)


def test_check_reports_a_using_that_is_not_a_string(settings):
    handlers(settings, using=["alerts"])

    [problem] = taskmanager_checks()

    assert problem.id == "taskmanager.E006"
    assert "'using' must be a string, not list" in problem.msg


@pytest.mark.parametrize("using", ["default", ""])
def test_check_accepts_the_default_mailer_on_every_django(settings, using):
    if django.VERSION >= (6, 1):
        settings.MAILERS = {"default": {"BACKEND": LOCMEM}}
    handlers(settings, using=using)
    assert taskmanager_checks() == []


# -- secrets -----------------------------------------------------------------------------------


class _Sink:
    """Accepts nothing: every login is refused before a message could be sent."""


def _echo_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    # A careless server quoting the login back in its refusal.
    login, password = (value.decode() for value in (auth_data.login, auth_data.password))
    return AuthResult(success=False, handled=False, message=f"535 5.7.8 {login}/{password} rejected")


@pytest.fixture
def echoing_server() -> Iterator[Controller]:
    """A real SMTP server (aiosmtpd) offering AUTH without TLS, refusing every login with a
    535 reply that quotes it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        _Sink(),
        hostname="127.0.0.1",
        port=port,
        authenticator=_echo_login,
        auth_require_tls=False,
        ready_timeout=10,
    )
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture(params=[pytest.param("MAILERS", marks=on_61), "EMAIL_HOST_PASSWORD"])
def password_settings(request, settings, echoing_server):
    """The SMTP login to the echoing server, as a mailer's OPTIONS or as the EMAIL_* settings."""
    if request.param == "MAILERS":
        settings.MAILERS = {
            "default": {
                "BACKEND": SMTP,
                "OPTIONS": {
                    "host": "127.0.0.1",
                    "port": echoing_server.port,
                    "username": "tasks",
                    "password": PASSWORD,
                    "timeout": 5,
                },
            }
        }
    else:
        settings.EMAIL_BACKEND = SMTP
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", echoing_server.port
        settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "tasks", PASSWORD
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
    return request.param


def test_a_535_reply_quoting_the_password_never_shows_it(password_settings):
    with pytest.raises(DeliveryError) as caught:
        MailTransport(recipients="ops@example.com").send(message())

    error = caught.value
    assert error.permanent is True
    assert "SMTP error: 535" in str(error)
    assert "tasks/[secret] rejected" in str(error)
    # Nor in the traceback a project might log: the server's reply is not chained.
    assert PASSWORD not in "".join(traceback.format_exception(error))


def test_a_535_reply_quoting_the_password_stays_out_of_the_delivery_record_and_the_logs(
    password_settings, settings, make_report, caplog
):
    handlers(settings)

    with caplog.at_level(logging.DEBUG):
        [outcome] = make_report("errors").emit_notifications()

    assert not outcome.sent
    delivery = Delivery.objects.get(handler="mail")
    assert "535" in delivery.last_error
    assert PASSWORD not in delivery.last_error
    assert PASSWORD not in outcome.error
    # The fake server's own log (aiosmtpd's "mail.log") is the server's business.
    logged = [record.getMessage() for record in caplog.records if not record.name.startswith("mail.log")]
    assert any("535" in line for line in logged)
    assert not [line for line in logged if PASSWORD in line]


class KeyedBackend(BaseEmailBackend):
    """A provider's API backend whose error quotes its key."""

    def __init__(self, *, api_key: str, **kwargs):
        super().__init__(**kwargs)
        self.api_key = api_key

    def send_messages(self, email_messages):
        raise RuntimeError(f"the provider refused key {self.api_key}")


@on_61
def test_secret_options_of_another_backend_are_masked_too(settings):
    settings.MAILERS = {
        "default": {"BACKEND": f"{__name__}.KeyedBackend", "OPTIONS": {"api_key": "key-0123456"}}
    }

    with pytest.raises(DeliveryError) as caught:
        MailTransport(recipients="ops@example.com").send(message())

    assert str(caught.value) == "RuntimeError: the provider refused key [secret]"
    assert caught.value.permanent is False
    assert "key-0123456" not in "".join(traceback.format_exception(caught.value))
