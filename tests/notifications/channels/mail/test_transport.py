"""MailTransport: options, finishing the parts, and delivery errors from a real SMTP server on loopback."""

import socket
import sys

import pytest
from django.core import checks

from taskmanager.notifications.channels.mail.transport import (
    MailTransport,
    has_rules_to_inline,
    one_line,
    parse_addresses,
)
from taskmanager.notifications.checks import check_notification_settings
from taskmanager.notifications.exceptions import DeliveryError, NotificationConfigurationError
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.message import Message

MAIL = "taskmanager.notifications.MailNotificationHandler"


def message(subject: str = "[errors] nightly import: 2 errors") -> Message:
    return Message(
        handler="mail",
        level="errors",
        parts={"subject.txt": subject, "txt": "two errors", "html": "<p>two errors</p>"},
    )


def ids(messages: list[checks.CheckMessage]) -> list[str]:
    return [m.id for m in messages if m.id and m.id.startswith("taskmanager.")]


# -- options -------------------------------------------------------------------------


def test_a_comma_separated_recipients_string_is_split_stripped_and_emptied():
    transport = MailTransport(recipients=" ops@example.com ,, dev@example.com ,")
    assert transport.recipients == ["ops@example.com", "dev@example.com"]


def test_a_list_of_recipients_is_taken_as_is():
    assert MailTransport(recipients=["a@example.com", "Ops <ops@example.com>"]).recipients == [
        "a@example.com",
        "Ops <ops@example.com>",
    ]


def test_a_display_name_with_a_comma_is_one_address():
    assert parse_addresses('"Doe, Jane" <jane@example.com>, ops@example.com', key="cc") == [
        '"Doe, Jane" <jane@example.com>',
        "ops@example.com",
    ]


def test_cc_and_reply_to_take_the_same_forms():
    transport = MailTransport(
        recipients="ops@example.com", cc="a@example.com, b@example.com", reply_to=["r@x.org"]
    )
    assert transport.cc == ["a@example.com", "b@example.com"]
    assert transport.reply_to == ["r@x.org"]


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"recipients": "not-an-address"}, "recipients"),
        ({"recipients": "ops@example.com, also bad"}, "recipients"),
        ({"recipients": "ops@example.com", "cc": "x@"}, "cc"),
        ({"recipients": "ops@example.com", "reply_to": "@example.com"}, "reply_to"),
        ({"recipients": "ops@example.com", "from_email": "nobody"}, "from_email"),
        ({"recipients": "ops@example.com\r\nBcc: evil@example.com"}, "recipients"),
        ({"recipients": [42]}, "recipients"),
        ({"recipients": 42}, "recipients"),
    ],
)
def test_an_invalid_address_is_a_configuration_error_naming_the_key(options, key):
    with pytest.raises(NotificationConfigurationError) as caught:
        MailTransport(**options)
    assert caught.value.key == key
    assert caught.value.check_id == "taskmanager.E006"


@pytest.mark.parametrize(
    ("options", "key", "kind"),
    [
        ({"recipients": "ops@example.com", "from_email": ["tasks@example.com"]}, "from_email", "list"),
        ({"recipients": "ops@example.com", "from_email": 42}, "from_email", "int"),
        ({"recipients": {"ops": "ops@example.com"}}, "recipients", "dict"),
        ({"recipients": b"ops@example.com"}, "recipients", "bytes"),
        ({"recipients": ["ops@example.com", None]}, "recipients", "NoneType"),
        ({"recipients": "ops@example.com", "cc": 7}, "cc", "int"),
        ({"recipients": "ops@example.com", "reply_to": [["r@example.com"]]}, "reply_to", "list"),
    ],
)
def test_an_option_of_the_wrong_type_is_a_configuration_error_with_the_key_and_a_hint(options, key, kind):
    with pytest.raises(NotificationConfigurationError) as caught:
        MailTransport(**options)
    assert caught.value.key == key
    assert kind in caught.value.message
    assert caught.value.hint


def test_a_from_email_list_is_a_check_error_not_a_crash(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {"class": MAIL, "recipients": "ops@example.com", "from_email": ["tasks@example.com"]}
    }
    [error] = check_notification_settings()
    assert error.id == "taskmanager.E006"
    assert "'mail'" in error.msg
    assert "'from_email' must be a string, not list" in error.msg


def test_the_error_quotes_the_bad_address():
    with pytest.raises(NotificationConfigurationError, match="'not-an-address' is not an email address"):
        MailTransport(recipients="not-an-address")


def test_recipients_of_only_commas_and_blanks_is_an_error_not_a_silent_no_op():
    with pytest.raises(NotificationConfigurationError, match="no address"):
        MailTransport(recipients=" , ,")


def test_fail_silently_is_not_an_option():
    with pytest.raises(NotificationConfigurationError) as caught:
        MailTransport(recipients="ops@example.com", fail_silently=True)
    assert caught.value.check_id == "taskmanager.E005"


def test_the_2x_settings_with_empty_environment_variables_leave_the_handler_unconfigured(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {"class": MAIL, "level": "errors", "from_email": "", "recipients": ""}
    }
    assert ids(check_notification_settings()) == ["taskmanager.W001"]


def test_an_empty_from_email_with_recipients_set_is_fine(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {"class": MAIL, "level": "errors", "from_email": "", "recipients": "ops@example.com"}
    }
    assert ids(check_notification_settings()) == []


def test_an_invalid_recipient_is_check_error_e006(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {"class": MAIL, "recipients": "not-an-address"}
    }
    [error] = [m for m in check_notification_settings() if m.id == "taskmanager.E006"]
    assert "'mail'" in error.msg
    assert "not-an-address" in error.msg


def test_the_email_alias_is_the_mail_handler():
    from taskmanager.notifications import EmailNotificationHandler, MailNotificationHandler

    assert EmailNotificationHandler is MailNotificationHandler


# -- the subject line ---------------------------------------------------------------------


def test_one_line_collapses_newlines_and_runs_of_whitespace():
    assert one_line("  a\r\nBcc: evil@example.com\n\tb   c ") == "a Bcc: evil@example.com b c"


def test_one_line_cuts_long_subjects_with_an_ellipsis():
    line = one_line("x" * 300)
    assert len(line) == 200
    assert line.endswith("…")


def test_a_cut_subject_ends_with_a_word_then_the_ellipsis():
    assert one_line("word " * 100, max_length=11) == "word word…"


# -- delivery -----------------------------------------------------------------------------


def test_from_email_defaults_to_default_from_email(smtp_settings, settings):
    settings.DEFAULT_FROM_EMAIL = "Tasks <tasks@example.com>"
    MailTransport(recipients="ops@example.com").send(message())
    [received] = smtp_settings.messages
    assert received.mail_from == "tasks@example.com"
    assert received.message["From"] == "Tasks <tasks@example.com>"


def test_a_refused_recipient_is_a_permanent_error_with_the_smtp_reply(smtp_settings):
    smtp_settings.reject_rcpt = {"bad@example.com"}
    with pytest.raises(DeliveryError) as caught:
        MailTransport(recipients="bad@example.com").send(message())
    assert caught.value.permanent is True
    assert "550 5.1.1 mailbox unavailable for bad@example.com" in str(caught.value)
    assert smtp_settings.messages == []


def test_a_temporary_data_failure_is_transient(smtp_settings):
    smtp_settings.fail_next_data(code=451)
    with pytest.raises(DeliveryError) as caught:
        MailTransport(recipients="ops@example.com").send(message())
    assert caught.value.permanent is False
    assert "451" in str(caught.value)


def test_a_permanent_data_failure_is_permanent(smtp_settings):
    smtp_settings.fail_next_data(code=554)
    with pytest.raises(DeliveryError) as caught:
        MailTransport(recipients="ops@example.com").send(message())
    assert caught.value.permanent is True
    assert "554" in str(caught.value)


def test_an_smtp_server_that_is_down_is_transient(smtp_settings):
    smtp_settings.stop()
    with pytest.raises(DeliveryError) as caught:
        MailTransport(recipients="ops@example.com").send(message())
    assert caught.value.permanent is False
    assert "could not reach the SMTP server" in str(caught.value)


def test_an_smtp_server_that_never_answers_times_out_transiently(settings):
    # A socket that listens but never speaks: smtplib waits for the greeting until EMAIL_TIMEOUT.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        settings.EMAIL_TIMEOUT = 0.3
        with pytest.raises(DeliveryError) as caught:
            MailTransport(recipients="ops@example.com").send(message())
    assert caught.value.permanent is False
    assert "timed out" in str(caught.value)


def test_smtp_credentials_never_reach_the_error(smtp_settings, settings):
    # The fake offers no AUTH: Django's login attempt fails, which only settings can fix.
    settings.EMAIL_HOST_USER = "tasks"
    settings.EMAIL_HOST_PASSWORD = "hunter2-not-for-logs"
    with pytest.raises(DeliveryError) as caught:
        MailTransport(recipients="ops@example.com").send(message())
    assert caught.value.permanent is True
    assert "AUTH" in str(caught.value)
    assert "hunter2-not-for-logs" not in str(caught.value)
    assert "hunter2-not-for-logs" not in repr(caught.value.__cause__)


def generic_handler() -> NotificationHandler:
    """The generic handler paired with MailTransport: it finishes the parts with the transport."""
    return NotificationHandler(
        "mail", transport_class=MailTransport, templates="mail", options={"recipients": "ops@example.com"}
    )


def test_a_subject_with_line_breaks_is_sent_as_one_line_even_without_the_mail_handler(
    smtp_settings, make_report
):
    handler = generic_handler()
    handler.send(handler.render(make_report("errors", name="nightly\r\nBcc: evil@example.com")))
    [received] = smtp_settings.messages
    assert received.message["Subject"] == "[errors] nightly Bcc: evil@example.com: 2 errors, 1 warning"
    assert received.message["Bcc"] is None
    assert received.rcpt_tos == ["ops@example.com"]


def test_html_from_a_handler_that_does_not_inline_is_inlined_when_finished():
    html = (
        "<html><head><style>p { color: #123456 } @media (max-width: 480px) { p { color: red } }</style>"
        "</head><body><p>x</p></body></html>"
    )
    finished = generic_handler().finish_part("html", html)
    assert '<p style="color: #123456;">x</p>' in finished
    assert "@media (max-width: 480px)" in finished


def test_finishing_makes_the_subject_one_line_and_leaves_the_text_part_alone():
    transport = MailTransport(recipients="ops@example.com")
    assert transport.finish_part("subject.txt", "nightly\r\nBcc: evil@example.com") == (
        "nightly Bcc: evil@example.com"
    )
    assert transport.finish_part("txt", "  two\r\nlines ") == "  two\r\nlines "


def test_send_takes_the_parts_as_finished(smtp_settings):
    html = "<html><head><style>p { color: red }</style></head><body><p>x</p></body></html>"
    MailTransport(recipients="ops@example.com").send(
        Message(handler="mail", level="ok", parts={"subject.txt": "s", "txt": "x", "html": html})
    )
    sent = smtp_settings.messages[0].message.get_body(("html",)).get_content()
    assert "<style>p { color: red }</style>" in sent
    assert "<p>x</p>" in sent


def test_a_subject_built_by_hand_with_a_line_break_is_refused_permanently_and_nothing_is_sent(smtp_settings):
    with pytest.raises(DeliveryError) as caught:
        MailTransport(recipients="ops@example.com").send(message("nightly\r\nBcc: evil@example.com"))
    assert caught.value.permanent is True
    # Django's words for it: "can't contain newlines" before 6.0, "linefeed or carriage return" since.
    assert "the message cannot be sent: Header values" in str(caught.value)
    assert smtp_settings.messages == []


def test_a_missing_css_inline_is_check_error_e009_naming_the_extra(settings, monkeypatch):
    monkeypatch.setitem(sys.modules, "css_inline", None)  # makes "import css_inline" fail
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {"class": MAIL, "recipients": "ops@example.com"}
    }
    [error] = [m for m in check_notification_settings() if m.id == "taskmanager.E009"]
    assert "css-inline" in error.msg
    assert 'pip install "django-uwsgi-taskmanager[notifications]"' in (error.hint or "")


@pytest.mark.parametrize(
    "address", ["ops@example.com", "Ops <ops@example.com>", "ops@localhost", "ops@exämple.de", "o.p+s@a.b.c"]
)
def test_ordinary_addresses_pass_the_light_check(address):
    assert MailTransport(recipients=address).recipients == [address]


@pytest.mark.parametrize(
    "address", ["ops@example..com", "ops@.example.com", "ops@example.com.", "o ps@x.org"]
)
def test_malformed_addresses_fail_the_light_check(address):
    with pytest.raises(NotificationConfigurationError, match="is not an email address"):
        MailTransport(recipients=address)


@pytest.mark.parametrize(
    ("html", "inline"),
    [
        ('<p style="color: red">no style block</p>', False),
        ("<style>\n</style><p>an empty block</p>", False),
        ("<style>@media (max-width: 480px) { .a { color: red !important; } }</style>", False),
        ("<STYLE type='text/css'>@media print { p { color: red } } .a { color: red; }</STYLE>", True),
        ("<style>.a { color: red; }</style><style>@media print { p { x: y } }</style>", True),
    ],
)
def test_only_style_rules_outside_media_queries_call_for_inlining(html, inline):
    assert has_rules_to_inline(html) is inline


@pytest.mark.parametrize("result", ["ok", "warnings", "errors", "failed"])
def test_the_shipped_html_needs_no_inlining_at_any_level(db, make_report, result):
    transport = MailTransport(recipients="ops@example.com")
    handler = NotificationHandler(
        "mail", transport_class=MailTransport, templates="mail", options={"recipients": "ops@example.com"}
    )
    html = handler.render(make_report(result), test=True).parts["html"]

    assert not has_rules_to_inline(html)
    assert transport.finish_part("html", html) == html
