"""The shipped mail/ templates, overriding them, and the documented Markdown pattern."""

import datetime
import re
from pathlib import Path

import pytest

from taskmanager.notifications.channels.mail.handler import MailNotificationHandler
from taskmanager.notifications.checks import check_templates
from taskmanager.notifications.filters import moment
from taskmanager.results import Level
from tests.notifications.html_checks import css_left_uninlined
from tests.notifications.sequences import a_task, emit_sequence

EXAMPLES = Path(__file__).resolve().parents[4] / "docs" / "examples" / "notification_templates"


def handler(**kwargs):
    return MailNotificationHandler("mail", options={"recipients": "ops@example.com"}, **kwargs)


@pytest.mark.parametrize(
    ("result", "fields", "subject"),
    [
        ("errors", {"n_log_errors": 2, "n_log_warnings": 0}, "[errors] nightly import: 2 errors"),
        ("errors", {"n_log_errors": 1, "n_log_warnings": 3}, "[errors] nightly import: 1 error, 3 warnings"),
        ("warnings", {"n_log_warnings": 1234}, "[warnings] nightly import: 1,234 warnings"),
        ("ok", {"end_datetime": None}, "[ok] nightly import: ok"),
        ("ok", {}, "[ok] nightly import: ok in 1 min 23 s"),
    ],
)
def test_the_subject_reads_naturally_for_the_counts(make_report, result, fields, subject):
    assert handler().render(make_report(result, **fields)).parts["subject.txt"] == subject


def test_a_report_rendered_at_another_level_uses_that_levels_wording(make_report):
    message = handler().render(make_report("ok"), level=Level.FAILED)
    assert message.parts["subject.txt"] == "[failed] nightly import failed"
    assert "FAILED" in message.parts["html"]


def test_the_text_part_lists_the_log_tail_as_written(make_report):
    text = handler().render(make_report("errors", log="  indented\tline\n<b>x</b> & y")).parts["txt"]
    assert "\n  indented\tline\n<b>x</b> & y\n" in text


def test_every_level_renders_its_colour_in_the_banner(make_report):
    colours = {"ok": "#dafbe1", "warnings": "#fff3c4", "errors": "#ffe4e2", "failed": "#a40e26"}
    for level, colour in colours.items():
        html = handler().render(make_report(level)).parts["html"]
        assert f"background-color: {colour}" in html, level


def test_shipped_mail_templates_pass_the_checks_at_every_level(db):
    assert check_templates([handler(level=Level.OK)]) == []


def test_an_override_can_extend_the_shipped_mail_and_replace_one_block(settings, tmp_path, make_report):
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "default.html").write_text(
        '{% extends "shipped/mail/default.html" %}\n'
        '{% block summary %}<p class="runbook">See the runbook, {{ task_name }}.</p>{% endblock %}\n'
        "{% block styles %}{{ super() }} .runbook { color: #123456; }{% endblock %}\n"
    )
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path)]
    html = handler().render(make_report("errors", name="<i>x</i>")).parts["html"]
    assert "See the runbook, &lt;i&gt;x&lt;/i&gt;." in html
    assert re.search(r'<p class="runbook" style="[^"]*color: #123456;', html)
    assert "Last 3 log lines" in html  # the rest of the layout is kept


# -- the documented Markdown pattern (docs/examples/notification_templates/markdown-mail) --------


@pytest.fixture
def markdown_mail(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(EXAMPLES)]
    return handler(templates="markdown-mail")


def test_the_markdown_body_is_the_text_part_as_written(markdown_mail, make_report):
    text = markdown_mail.render(make_report("errors", name="<b>nightly</b> & co")).parts["txt"]
    assert text.startswith("## <b>nightly</b> & co: errors\n")
    assert "The task finished with **2 errors** and **1 warning** in 1 min 23 s." in text
    assert "\n    ERROR broken\n" in text


def test_the_markdown_body_becomes_the_html_part_with_report_values_escaped(markdown_mail, make_report):
    report = make_report(
        "errors",
        name="<b>nightly</b> & co",
        log="</pre><script>alert(1)</script>",
        extra={"summary": "<img src=x onerror=alert(1)>"},
    )
    html = markdown_mail.render(report).parts["html"]
    assert "<strong>2 errors</strong>" in html
    assert "&lt;b&gt;nightly&lt;/b&gt; &amp; co: errors</h2>" in html
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>" not in html
    assert "<img" not in html
    assert css_left_uninlined(html) == []  # its own rules inlined, like the shipped layout's
    assert re.search(r'<pre style="[^"]*white-space: pre-wrap', html)


def test_the_markdown_example_keeps_the_shipped_subject(markdown_mail, make_report):
    assert (
        markdown_mail.render(make_report("failed")).parts["subject.txt"] == "[failed] nightly import failed"
    )


def test_the_markdown_example_passes_the_checks(markdown_mail):
    assert check_templates([markdown_mail]) == []


def test_dates_are_shown_in_the_projects_time_zone(make_report):
    started = datetime.datetime(2026, 7, 1, 1, 30, tzinfo=datetime.timezone.utc)
    text = handler().render(make_report("ok", invocation_datetime=started, end_datetime=started)).parts["txt"]
    assert "Started:    2026-07-01 03:30:00 CEST" in text


def test_the_html_part_colours_log_lines_by_their_level_word(make_report):
    log = "INFO no errors found\nWARNING careful\n[ERROR] <broken>\nplain"
    html = handler().render(make_report("errors", log=log)).parts["html"]
    assert "INFO no errors found" in html
    assert not re.search(r"<span[^>]*>INFO no errors found", html)
    assert re.search(r'<span class="log-warning"[^>]*>WARNING careful</span>', html)
    assert re.search(r'<span class="log-error"[^>]*>\[ERROR\] &lt;broken&gt;</span>', html)


def test_a_reminder_and_a_recovery_reach_the_smtp_server_with_the_news_first(settings, smtp_settings, db):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {
            "class": "taskmanager.notifications.MailNotificationHandler",
            "recipients": "ops@example.com",
            "notify": "change",
            "remind_every": "4h",
        }
    }
    reports = emit_sequence(a_task())
    since = moment(reports[1].invocation_datetime)
    triggered, reminder, recovered = (mail.message for mail in smtp_settings.wait_for_messages(3))
    assert triggered["Subject"] == "[failed] Nightly import failed"
    assert reminder["Subject"] == f"Still failing: Nightly import, 3rd failed run since {since}"
    recovered_news = f"Recovered: Nightly import is ok again after 4 runs with errors since {since}"
    # Longer than a header line: folded after "Subject:", the parsed value keeps the fold's space.
    assert recovered["Subject"].strip() == recovered_news
    text = recovered.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith(recovered_news + ".\n")
    assert f"The run before it: errors, started {moment(reports[4].invocation_datetime)}" in text
    assert "log lines" not in text
    html = recovered.get_body(("html",)).get_content()
    assert ">RECOVERED</span>" in html
    assert "Ok again after 4 runs with errors" in html
    reminder_html = reminder.get_body(("html",)).get_content()
    assert ">STILL FAILING</span>" in reminder_html
    assert "The 3rd failed run in a row" in reminder_html
    assert css_left_uninlined(html) == []
