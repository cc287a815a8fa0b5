"""MailNotificationHandler end to end: settings -> templates -> Django's SMTP backend -> aiosmtpd."""

import re

import pytest

from taskmanager.notifications.channels.mail.handler import MailNotificationHandler
from tests.notifications.hostile import INJECTING_NAME, LONG_NAME, hostile_fields, hostile_lines
from tests.notifications.html_checks import assets, css_left_uninlined

MAIL = "taskmanager.notifications.MailNotificationHandler"


@pytest.fixture
def mail_settings(settings, smtp_settings):
    settings.DEFAULT_FROM_EMAIL = "tasks@example.com"
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {
            "class": MAIL,
            "level": "ok",
            "recipients": "ops@example.com, dev@example.com",
            "cc": "lead@example.com",
            "reply_to": "Ops desk <desk@example.com>",
            "from_email": "Task manager <tasks@example.com>",
        }
    }
    return smtp_settings


def send(report):
    [outcome] = report.emit_notifications()
    assert outcome.error == ""
    assert outcome.sent
    return outcome


def bodies(received):
    """The text and HTML parts as received, with SMTP's CRLF line ends read as LF."""
    message = received.message
    text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")


def subject(received):
    # A long non-ASCII subject is folded before its first encoded word; the parser keeps the
    # fold's space in front (mail clients drop it), so compare without it.
    return received.message["Subject"].strip()


def test_a_report_arrives_as_multipart_alternative_with_the_configured_headers(mail_settings, make_report):
    send(make_report("errors"))

    [received] = mail_settings.messages
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"] == "[errors] nightly import: 2 errors, 1 warning"
    assert message["From"] == "Task manager <tasks@example.com>"
    assert message["To"] == "ops@example.com, dev@example.com"
    assert message["Cc"] == "lead@example.com"
    assert message["Reply-To"] == "Ops desk <desk@example.com>"
    assert received.mail_from == "tasks@example.com"
    assert received.rcpt_tos == ["ops@example.com", "dev@example.com", "lead@example.com"]


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ("ok", "[ok] nightly import: ok in 1 min 23 s"),
        ("warnings", "[warnings] nightly import: 1 warning"),
        ("errors", "[errors] nightly import: 2 errors, 1 warning"),
        ("failed", "[failed] nightly import failed"),
    ],
)
def test_the_subject_says_level_task_and_outcome(mail_settings, make_report, result, expected):
    send(make_report(result))
    assert subject(mail_settings.messages[0]) == expected


def test_the_html_part_has_inlined_styles_and_keeps_only_media_queries(mail_settings, make_report):
    send(make_report("errors"))
    _text, html = bodies(mail_settings.messages[0])
    assert css_left_uninlined(html) == []
    assert "@media only screen and (max-width: 480px)" in html
    assert html.count('style="') > 20
    assert re.search(r'<pre class="log" style="[^"]*white-space: pre-wrap', html)
    assert re.search(r'<td class="banner" style="[^"]*background-color: #ffe4e2', html)


def test_the_html_part_loads_nothing_and_links_only_to_the_report_and_its_log(mail_settings, make_report):
    report = make_report("errors")
    send(report)
    _text, html = bodies(mail_settings.messages[0])
    found = assets(html)
    assert found.loading_tags == []
    log_url = f"https://tasks.example.com/taskmanager/logviewer/{report.pk}/"
    assert log_url in found.urls
    assert set(found.urls) <= {
        log_url,
        f"https://tasks.example.com/admin/taskmanager/report/{report.pk}/change/",
    }


def test_counts_duration_start_and_summary_reach_both_parts(mail_settings, make_report):
    send(make_report("errors", extra={"summary": "imported 1,234 rows, 3 skipped", "rows": 1234}))
    text, html = bodies(mail_settings.messages[0])
    for body in (text, html):
        assert "imported 1,234 rows, 3 skipped" in body
        assert "1 min 23 s" in body
        assert "CET" in body or "CEST" in body  # the start, in the project's time zone
        assert "Rows" in body
    assert "Errors:     2" in text
    assert "Warnings:   1" in text


def test_a_test_message_says_so_in_the_subject_and_a_banner(mail_settings, make_report, settings):
    handler = MailNotificationHandler("mail", options={"recipients": "ops@example.com"})
    message = handler.render(make_report("warnings"), test=True)
    handler.send(message)
    received = mail_settings.messages[0]
    text, html = bodies(received)
    assert received.message["Subject"].startswith("[TEST] [warnings] nightly import")
    assert "TEST" in text.splitlines()[0]
    assert '<td class="test"' in html


def test_the_rendered_message_is_what_is_sent(mail_settings, make_report):
    handler = MailNotificationHandler("mail", options={"recipients": "ops@example.com"})
    message = handler.render(make_report("failed"))
    handler.send(message)
    text, html = bodies(mail_settings.messages[0])
    assert text.strip() == message.parts["txt"].strip()
    assert html.strip() == message.parts["html"].strip()
    assert mail_settings.messages[0].message["Subject"] == message.parts["subject.txt"]


def test_comma_separated_recipients_from_an_environment_variable_all_receive(
    settings, smtp_settings, make_report, monkeypatch
):
    monkeypatch.setenv("TASKMANAGER_MAIL_TO", " ops@example.com,dev@example.com , ")
    import os

    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {
            "class": MAIL,
            "level": "errors",
            "from_email": "",
            "recipients": os.environ["TASKMANAGER_MAIL_TO"],
        }
    }
    send(make_report("failed"))
    assert smtp_settings.messages[0].rcpt_tos == ["ops@example.com", "dev@example.com"]


# -- hostile report content -----------------------------------------------------------------


def test_a_task_name_with_crlf_and_bcc_adds_no_header_and_no_recipient(mail_settings, make_report):
    send(make_report("errors", name=INJECTING_NAME))
    [received] = mail_settings.messages
    message = received.message
    assert message["Bcc"] is None
    assert received.rcpt_tos == ["ops@example.com", "dev@example.com", "lead@example.com"]
    assert subject(received) == "[errors] nightly import Bcc: evil@example.com: 2 errors, 1 warning"
    header_block = received.raw.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"^bcc:", header_block, re.IGNORECASE | re.MULTILINE)
    assert b"evil@example.com" not in b"".join(
        line for line in header_block.split(b"\r\n") if not line.lower().startswith(b"subject:")
    )


def test_a_250_character_task_name_gives_a_one_line_subject_of_at_most_200(mail_settings, make_report):
    send(make_report("errors", name=LONG_NAME))
    line = subject(mail_settings.messages[0])
    assert len(line) == 200
    assert line.endswith("…")
    assert "\n" not in line
    _text, html = bodies(mail_settings.messages[0])
    assert LONG_NAME in html  # the body keeps the whole name


def test_hostile_log_lines_are_escaped_in_html_and_exact_in_text(mail_settings, make_report):
    lines = hostile_lines()
    send(make_report("errors", **hostile_fields()))
    text, html = bodies(mail_settings.messages[0])

    for line in lines:
        assert line in text.splitlines()
    assert "<script>" not in html
    assert "<!channel>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;http://x|y&gt;" in html
    assert " &amp; " in html
    assert "🔥" in html
    assert assets(html).loading_tags == []
    # The summary is escaped too, and the text part keeps it as written.
    assert "summary <!channel> <@U123> <http://x|y> <script>alert(1)</script> & 🔥 ```" in text
    assert "summary &lt;!channel&gt; &lt;@U123&gt;" in html


def test_terminal_escapes_and_control_characters_stay_out_of_both_parts(mail_settings, make_report):
    send(make_report("errors", log="\x1b[1;31mERROR\x1b[0m disk full\x07\x1b]0;pwned\x07"))
    text, html = bodies(mail_settings.messages[0])
    assert "ERROR disk full" in text.splitlines()
    for part in (text, html):
        assert "\x1b" not in part
        assert "\x07" not in part
        assert "pwned" not in part


def test_a_two_megabyte_summary_is_cut_in_both_parts(mail_settings, make_report):
    send(make_report("errors", extra={"summary": "s" * 2_000_000}))
    text, html = bodies(mail_settings.messages[0])
    assert len(text) < 10_000
    assert "s" * 2000 + "… [1,998,000 more characters]" in text
    assert "s" * 2001 not in html


def test_long_log_lines_wrap_inside_the_pre_block(mail_settings, make_report):
    send(make_report("errors", **hostile_fields()))
    _text, html = bodies(mail_settings.messages[0])
    pre_style = re.search(r'<pre class="log" style="([^"]*)"', html)
    assert pre_style
    assert "white-space: pre-wrap" in pre_style.group(1)
    assert "overflow-wrap: anywhere" in pre_style.group(1)


def count_calls(monkeypatch, names):
    from taskmanager.notifications.channels.mail import transport

    calls: dict[str, int] = dict.fromkeys(names, 0)
    for name in calls:
        original = getattr(transport, name)

        def counting(text, *args, _name=name, _original=original):
            calls[_name] += 1
            return _original(text, *args)

        monkeypatch.setattr(transport, name, counting)
    return calls


def test_one_emission_makes_the_subject_one_line_and_inlines_nothing_in_the_shipped_html(
    mail_settings, make_report, monkeypatch
):
    calls = count_calls(monkeypatch, ("one_line", "inline_css"))

    [outcome] = make_report("errors").emit_notifications()

    assert outcome.sent, outcome.error
    assert calls == {"one_line": 1, "inline_css": 0}  # its styles are written inline already
    _text, html = bodies(mail_settings.messages[0])
    assert html.strip() == outcome.message.parts["html"].strip()


def test_an_override_that_brings_style_rules_is_inlined_once(
    mail_settings, make_report, monkeypatch, settings, tmp_path
):
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "default.html").write_text(
        '{% extends "shipped/mail/default.html" %}\n'
        "{% block styles %}.footer { color: #123456 !important; } .brand { border: 0; }{% endblock %}\n"
    )
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path)]
    calls = count_calls(monkeypatch, ("inline_css",))

    [outcome] = make_report("errors").emit_notifications()

    assert outcome.sent, outcome.error
    assert calls == {"inline_css": 1}
    html = outcome.message.parts["html"]
    assert css_left_uninlined(html) == []
    assert re.search(r'<td class="footer" style="[^"]*color: #123456 !important', html)
    assert "@media only screen and (max-width: 480px)" in html  # kept for the clients that read it
