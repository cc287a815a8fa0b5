"""The mail option ``attach_log``: the run's log attached, its end kept within
``attach_log_max_bytes``, gzip-compressed above 1 MB; sent to the real SMTP server on loopback."""

import gzip
import os
from pathlib import Path

import django
import pytest
from django.core import checks

from taskmanager.logfiles import PIECE_BYTES
from taskmanager.notifications.channels.mail.handler import MailNotificationHandler
from taskmanager.notifications.channels.mail.log_attachment import (
    COMPRESS_ABOVE,
    MB,
    build_log_attachment,
    plan_log_attachment,
    size_text,
)
from taskmanager.notifications.channels.mail.transport import MailTransport
from taskmanager.notifications.checks import check_notification_settings
from taskmanager.notifications.exceptions import NotificationConfigurationError

MAIL = "taskmanager.notifications.MailNotificationHandler"
SMTP = "django.core.mail.backends.smtp.EmailBackend"

on_61 = pytest.mark.skipif(django.VERSION < (6, 1), reason="MAILERS is Django 6.1's")


@pytest.fixture
def logged_report(make_report, tmp_path):
    """A saved report whose log file holds ``lines`` (numbered, unless given)."""

    def make(lines: list[str] | int = 3, *, name: str = "Nightly import", raw: bytes | None = None):
        if isinstance(lines, int):
            lines = [f"line {number:07d} " + "x" * 40 for number in range(1, lines + 1)]
        path = tmp_path / f"run-{len(list(tmp_path.iterdir()))}.log"
        path.write_bytes(raw if raw is not None else "".join(line + "\n" for line in lines).encode())
        return make_report("errors", name=name, logfile=str(path), n_log_lines=len(lines))

    return make


def built(plan, max_bytes: int, **options) -> tuple[str, bytes | str, str]:
    attachment = build_log_attachment(plan, max_bytes, **options)
    assert attachment is not None
    return attachment


def as_text(content: bytes | str) -> str:
    assert isinstance(content, str), "a text attachment"
    return content


def as_bytes(content: bytes | str) -> bytes:
    assert isinstance(content, bytes), "a compressed attachment"
    return content


def mail_settings(settings, **options):
    settings.DEFAULT_FROM_EMAIL = "tasks@example.com"
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {"class": MAIL, "level": "ok", "recipients": "ops@example.com", **options}
    }


def send(report):
    [outcome] = report.emit_notifications()
    assert outcome.sent, outcome.error
    return outcome


def attachments(received):
    return list(received.message.iter_attachments())


def text_part(received) -> str:
    return received.message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_part(received) -> str:
    return received.message.get_body(("html",)).get_content().replace("\r\n", "\n")


# -- sent to the SMTP server ---------------------------------------------------------------


def test_no_log_is_attached_by_default(settings, smtp_settings, logged_report):
    mail_settings(settings)
    send(logged_report(3))

    [received] = smtp_settings.messages
    assert attachments(received) == []
    assert "attached" not in text_part(received)


def test_the_log_arrives_as_a_utf8_text_file_named_for_the_task_and_the_report(
    settings, smtp_settings, logged_report
):
    mail_settings(settings, attach_log=True)
    report = logged_report(["début", "WARNING careful", "ERROR broken"])
    send(report)

    [received] = smtp_settings.messages
    [attachment] = attachments(received)
    assert attachment.get_filename() == f"nightly-import-{report.pk}.log"
    assert attachment.get_content_type() == "text/plain"
    assert attachment.get_content_charset() == "utf-8"
    assert attachment.get_content().replace("\r\n", "\n") == "début\nWARNING careful\nERROR broken\n"
    assert f"The log is attached: nightly-import-{report.pk}.log (" in text_part(received)
    assert f"The log is attached: nightly-import-{report.pk}.log (" in html_part(received)


def test_a_log_above_one_megabyte_arrives_gzip_compressed(settings, smtp_settings, logged_report):
    mail_settings(settings, attach_log=True)
    report = logged_report(COMPRESS_ABOVE // 54 + 10)  # 54 bytes a line
    send(report)

    [received] = smtp_settings.messages
    [attachment] = attachments(received)
    assert attachment.get_filename() == f"nightly-import-{report.pk}.log.gz"
    assert attachment.get_content_type() == "application/gzip"
    content = gzip.decompress(attachment.get_content())
    assert content == Path(report.logfile).read_bytes()
    assert len(attachment.get_content()) < len(content) / 5
    assert "gzip-compressed" in text_part(received)


def test_a_log_over_the_cap_keeps_its_end_after_a_note_and_the_mail_says_so(
    settings, smtp_settings, logged_report
):
    mail_settings(settings, attach_log=True, attach_log_max_bytes=4096)
    report = logged_report(1000)  # 54 bytes a line
    send(report)

    [received] = smtp_settings.messages
    [attachment] = attachments(received)
    content = attachment.get_content().replace("\r\n", "\n")
    assert len(content.encode()) <= 4096
    note, first, *_rest, last = content.splitlines()
    assert note.startswith("[taskmanager] The first ")
    assert "lines) of this log are left out." in note
    assert first.startswith("line 0")  # a whole line
    assert last.startswith("line 0001000 ")
    kept = len(content.encode()) - len(note) - 1
    assert note.startswith(f"[taskmanager] The first {54_000 - kept:,} bytes ({1000 - kept // 54:,} lines) ")
    for part in (text_part(received), html_part(received)):
        assert "The log is attached, cut to its end" in part
        assert "are left out" in part


@on_61
def test_the_log_is_attached_through_a_named_mailer_too(settings, smtp_server, logged_report):
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
        "alerts": {"BACKEND": SMTP, "OPTIONS": {"host": smtp_server.host, "port": smtp_server.port}},
    }
    mail_settings(settings, attach_log=True, using="alerts")
    report = logged_report(2)
    send(report)

    [received] = smtp_server.messages
    [attachment] = attachments(received)
    assert attachment.get_filename() == f"nightly-import-{report.pk}.log"


def test_a_report_without_a_log_file_gets_no_attachment_and_a_note(settings, smtp_settings, make_report):
    mail_settings(settings, attach_log=True)
    send(make_report("errors", logfile=""))

    [received] = smtp_settings.messages
    assert attachments(received) == []
    assert "No log is attached: this run kept no log file." in text_part(received)


def test_the_smtp_password_in_the_log_is_hidden(settings, smtp_settings, logged_report):
    # The backend reads the password from the settings; the server here asks for no login.
    settings.EMAIL_HOST_PASSWORD = "hunter2-not-for-logs"
    settings.EMAIL_HOST_USER = ""
    mail_settings(settings, attach_log=True)
    send(logged_report(["connecting with hunter2-not-for-logs", "\x1b[31mERROR\x1b[0m red"]))

    [received] = smtp_settings.messages
    [attachment] = attachments(received)
    assert attachment.get_content().replace("\r\n", "\n") == "connecting with [secret]\nERROR red\n"


# -- planning and building -----------------------------------------------------------------


def test_a_log_over_ten_megabytes_by_default_is_cut_to_them_and_compressed(logged_report):
    report = logged_report(10 * MB // 54 + 1000)
    transport = MailTransport(recipients="ops@example.com", attach_log=True)
    plan = plan_log_attachment(report, transport.attach_log_max_bytes)

    assert plan.cut
    assert plan.compressed
    name, content, mimetype = built(plan, transport.attach_log_max_bytes)
    assert (name, mimetype) == (f"nightly-import-{report.pk}.log.gz", "application/gzip")
    text = gzip.decompress(as_bytes(content))
    assert 10 * MB - 300 < len(text) <= 10 * MB
    assert text.endswith(Path(report.logfile).read_bytes()[-1000:])


def test_a_log_ending_in_one_line_longer_than_the_cap_keeps_the_end_of_that_line(logged_report):
    report = logged_report(raw=b"first\n" + "é".encode() * 10_000 + b"tail")
    plan = plan_log_attachment(report, 2048)

    _name, attached, _mimetype = built(plan, 2048)
    content = as_text(attached)
    note, line = content.splitlines()
    assert note.startswith("[taskmanager] The first ")
    assert line.endswith("éééétail")
    assert "\ufffd" not in line  # not started inside a character
    assert len(content.encode()) <= 2048


def test_hidden_secrets_longer_than_they_were_never_push_it_over_the_cap(logged_report):
    report = logged_report(["pw=abcd"] * 300)  # 2,400 bytes; each "abcd" becomes "[secret]"
    plan = plan_log_attachment(report, 3000)
    assert not plan.cut

    _name, attached, _mimetype = built(plan, 3000, secrets=["abcd"])
    content = as_text(attached)
    assert len(content.encode()) <= 3000
    assert content.startswith("[taskmanager] The first ")
    assert content.endswith("pw=[secret]\n")


def test_a_log_file_removed_after_rendering_leaves_the_mail_without_attachment(logged_report):
    report = logged_report(3)
    plan = plan_log_attachment(report, MB)
    os.remove(report.logfile)
    assert build_log_attachment(plan, MB) is None


def test_a_task_name_that_is_all_symbols_gives_a_plain_file_name(logged_report):
    report = logged_report(1, name="*** ///")
    assert plan_log_attachment(report, MB).filename == f"task-{report.pk}.log"


@pytest.mark.parametrize(
    ("size", "text"), [(1, "1 byte"), (900, "900 bytes"), (3482, "3.4 KB"), (10 * MB, "10.0 MB")]
)
def test_sizes_read_in_bytes_kilobytes_and_megabytes(size, text):
    assert size_text(size) == text


# -- options and checks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"attach_log": "yes"}, "attach_log"),
        ({"attach_log": 1}, "attach_log"),
        ({"attach_log_max_bytes": "10MB"}, "attach_log_max_bytes"),
        ({"attach_log_max_bytes": 0}, "attach_log_max_bytes"),
        ({"attach_log_max_bytes": 100}, "attach_log_max_bytes"),
        ({"attach_log_max_bytes": 2.5e6}, "attach_log_max_bytes"),
        ({"attach_log_max_bytes": True}, "attach_log_max_bytes"),
    ],
)
def test_a_wrong_option_is_a_configuration_error_naming_it(options, key):
    with pytest.raises(NotificationConfigurationError) as caught:
        MailTransport(recipients="ops@example.com", **options)
    assert caught.value.key == key
    assert caught.value.hint


def test_check_reports_a_wrong_option_with_a_hint(settings):
    mail_settings(settings, attach_log=True, attach_log_max_bytes="10MB")

    [error] = [m for m in check_notification_settings() if m.level >= checks.ERROR]
    assert error.id == "taskmanager.E006"
    assert "'attach_log_max_bytes'" in error.msg
    assert "e.g. 'attach_log_max_bytes'" in str(error.hint)


def test_the_handler_tells_its_templates_nothing_is_attached_without_the_option(logged_report):
    handler = MailNotificationHandler("mail", options={"recipients": "ops@example.com"})
    assert handler.context(logged_report(1))["log_attachment"] is None


def test_a_log_file_gone_after_rendering_sends_the_mail_and_notes_it(settings, smtp_settings, logged_report):
    handler = MailNotificationHandler("mail", options={"recipients": "ops@example.com", "attach_log": True})
    report = logged_report(3)
    message = handler.render(report)
    os.remove(report.logfile)

    note = handler.send(message)

    assert note == "sent without the log attached: its log file could not be read"
    [received] = smtp_settings.messages
    assert attachments(received) == []


@pytest.mark.parametrize("offset", [-20, -7, -1, 0, 1])
def test_a_secret_across_two_pieces_of_a_long_line_is_still_hidden(logged_report, offset):
    # The reader hands a long line over in pieces of 64 kB: the secret straddles two of them.
    secret = "hunter2-not-for-logs"
    line = "x" * (PIECE_BYTES + offset - len(secret) // 2) + secret + "y" * 100_000
    report = logged_report([line, "ERROR after it"])

    _name, attached, _mimetype = built(plan_log_attachment(report, MB), MB, secrets=[secret])

    content = as_text(attached)
    assert content.count("[secret]") == 1
    assert "hunter" not in content
    assert "for-logs" not in content
    assert content.endswith("y\nERROR after it\n")


def test_an_escape_sequence_across_two_pieces_is_left_out_whole(logged_report):
    line = "x" * (PIECE_BYTES - 3) + "\x1b[31mred\x1b[0m" + "y" * 10
    report = logged_report([line])

    _name, attached, _mimetype = built(plan_log_attachment(report, MB), MB)

    assert as_text(attached) == "x" * (PIECE_BYTES - 3) + "red" + "y" * 10 + "\n"
