"""SMTPServer driven by Django's SMTP email backend, as the app's mail transport will drive it."""

import smtplib

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from tests.fakes import SMTPServer


def report_mail(
    to: list[str], cc: list[str] | None = None, bcc: list[str] | None = None
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject="[ok] Nightly import",
        body="All 12 rows imported.",
        from_email="tasks@example.com",
        to=to,
        cc=cc,
        bcc=bcc,
    )
    message.attach_alternative("<p>All <b>12</b> rows imported.</p>", "text/html")
    return message


def test_a_text_and_html_mail_arrives_as_multipart_alternative(smtp_settings: SMTPServer) -> None:
    sent = report_mail(["ops@example.com"], cc=["lead@example.com"], bcc=["audit@example.com"]).send()

    assert sent == 1
    [received] = smtp_settings.messages
    assert received.mail_from == "tasks@example.com"
    assert received.rcpt_tos == ["ops@example.com", "lead@example.com", "audit@example.com"]
    message = received.message
    assert message["Subject"] == "[ok] Nightly import"
    assert (message["From"], message["To"], message["Cc"]) == (
        "tasks@example.com",
        "ops@example.com",
        "lead@example.com",
    )
    assert message["Bcc"] is None
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert text_part is not None
    assert html_part is not None
    assert text_part.get_content().strip() == "All 12 rows imported."
    assert "<b>12</b>" in html_part.get_content()
    assert b"Subject: [ok] Nightly import" in received.raw


def test_non_ascii_text_survives_the_trip(smtp_settings: SMTPServer) -> None:
    mail.send_mail("Importazione: città ✓", "Più righe importate ✓", "tasks@example.com", ["ops@example.com"])

    message = smtp_settings.messages[0].message
    assert message["Subject"] == "Importazione: città ✓"
    assert message.get_content().strip() == "Più righe importate ✓"


def test_a_rejected_recipient_raises_recipients_refused(settings: object) -> None:
    with SMTPServer(reject_rcpt={"Bad@Example.com"}) as server:
        point_django_at(settings, server)

        with pytest.raises(smtplib.SMTPRecipientsRefused) as caught:
            report_mail(["bad@example.com"]).send()

        assert caught.value.recipients == {"bad@example.com": (550, b"5.1.1 mailbox unavailable")}
        assert server.messages == []


def test_a_mail_with_one_rejected_recipient_goes_to_the_others(settings: object) -> None:
    with SMTPServer(reject_rcpt={"bad@example.com"}) as server:
        point_django_at(settings, server)

        report_mail(["bad@example.com", "ops@example.com"]).send()

        assert server.messages[0].rcpt_tos == ["ops@example.com"]


def test_a_failed_data_command_raises_and_records_nothing(smtp_settings: SMTPServer) -> None:
    smtp_settings.fail_next_data(1, code=451)

    with pytest.raises(smtplib.SMTPDataError) as caught:
        report_mail(["ops@example.com"]).send()
    assert caught.value.smtp_code == 451
    assert smtp_settings.messages == []

    report_mail(["ops@example.com"]).send()
    assert len(smtp_settings.messages) == 1


def test_a_stopped_server_refuses_connections_and_can_start_again(smtp_settings: SMTPServer) -> None:
    port = smtp_settings.port
    smtp_settings.stop()

    with pytest.raises(ConnectionRefusedError):
        report_mail(["ops@example.com"]).send()

    smtp_settings.start()
    assert smtp_settings.port == port
    assert report_mail(["ops@example.com"]).send() == 1


def test_an_smtputf8_address_is_accepted(smtp_server: SMTPServer) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.sendmail(
            "tasks@example.com",
            ["jörg@example.com"],
            (
                "Subject: ciao\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\nè arrivato\r\n"
            ).encode(),
            mail_options=["SMTPUTF8"],
        )

    [received] = smtp_server.messages
    assert received.rcpt_tos == ["jörg@example.com"]
    assert "è arrivato".encode() in received.raw
    assert received.message.get_content().strip() == "è arrivato"


def test_wait_for_messages_says_how_many_arrived(smtp_server: SMTPServer) -> None:
    with pytest.raises(TimeoutError, match="0 message"):
        smtp_server.wait_for_messages(1, timeout=0.1)


def point_django_at(settings: object, server: SMTPServer) -> None:
    for name, value in {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": server.host,
        "EMAIL_PORT": server.port,
        "EMAIL_USE_TLS": False,
        "EMAIL_TIMEOUT": 5,
    }.items():
        setattr(settings, name, value)
