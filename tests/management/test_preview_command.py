"""``manage.py preview_notifications``: renders handlers x levels x parts, sends only with --send."""

import datetime
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from taskmanager.models import AppCommand, Delivery, HandlerState, Report, Task
from taskmanager.notifications.checks import check_notification_settings
from taskmanager.notifications.preview import BLOCK_KIT_BUILDER
from tests.fakes import FakeSlack
from tests.fakes.webhook import Answer, WebhookReceiver

ROOT = Path(__file__).resolve().parents[2]
MAIL = "taskmanager.notifications.MailNotificationHandler"
SLACK = "taskmanager.notifications.SlackNotificationHandler"
LOG = "taskmanager.notifications.LogNotificationHandler"
WEBHOOK = "taskmanager.notifications.WebhookNotificationHandler"
LEVELS = ("ok", "warnings", "errors", "failed")
TOKEN = "xoxb-1234-5678-very-secret-token"


@pytest.fixture
def slack():
    with FakeSlack(tokens=(TOKEN,)) as fake:
        yield fake


@pytest.fixture
def handlers(settings, slack):
    """Mail (Django's locmem backend in the test settings), Slack (the fake) and an unconfigured one."""
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {"class": MAIL, "level": "errors", "recipients": "ops@example.com, dev@example.com"},
        "slack": {
            "class": SLACK,
            "level": "warnings",
            "token": TOKEN,
            "channel": "general",
            "base_url": slack.base_url,
        },
        "teams": {"class": SLACK, "webhook_url": ""},
    }
    return settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS


def preview(*args: str) -> str:
    out = StringIO()
    call_command("preview_notifications", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def preview_json(*args: str) -> dict:
    return json.loads(preview("--format", "json", *args))


@pytest.fixture
def report(db) -> Report:
    command = AppCommand.objects.create(app_name="sampleapp", name="sample")
    task = Task.objects.create(name="Weekly invoices", command=command, arguments="--month 2026-02")
    started = timezone.make_aware(datetime.datetime(2026, 3, 1, 4, 0))
    return Report.objects.create(
        task=task,
        invocation_result="errors",
        invocation_datetime=started,
        end_datetime=started + datetime.timedelta(seconds=41),
        log="INFO 12 invoices\nERROR invoice 7: no VAT number\nERROR invoice 9: no address",
        n_log_lines=3,
        n_log_errors=2,
        n_log_warnings=0,
    )


def test_it_renders_every_part_of_every_configured_handler_at_every_level(handlers):
    out = preview()
    for level in LEVELS:
        assert f"== mail · {level} ==" in out
        assert f"== slack · {level} ==" in out
        for part in ("mail-{}.subject.txt", "mail-{}.txt", "mail-{}.html", "slack-{}.json"):
            assert f"--- {part.format(level)} ---" in out
    assert "Nightly catalogue import" in out
    assert out.index("== mail · ok ==") < out.index("== mail · failed ==") < out.index("== slack · ok ==")


def test_it_sends_nothing_and_records_nothing(handlers, slack, db):
    preview()
    preview("--format", "json")
    assert mail.outbox == []
    assert slack.requests == []
    assert not Delivery.objects.exists()


def test_unconfigured_handlers_are_listed_as_skipped(handlers):
    out = preview()
    assert "Skipped 'teams': not configured" in out
    assert "== teams" not in out
    skipped = preview_json()["skipped"]
    assert list(skipped) == ["teams"]
    assert "taskmanager.W001" in skipped["teams"]


def test_it_renders_only_the_handlers_and_levels_named(handlers):
    out = preview("--handler", "slack", "--level", "failed", "--level", "warnings")
    assert "== slack · warnings ==" in out
    assert "== slack · failed ==" in out
    assert "== slack · ok ==" not in out
    assert "== mail" not in out
    document = preview_json("--handler", "slack", "--level", "failed")
    assert list(document["handlers"]) == ["slack"]
    assert list(document["handlers"]["slack"]["levels"]) == ["failed"]


def test_the_samples_counts_and_log_tail_match_each_level(handlers):
    levels = preview_json("--handler", "mail")["handlers"]["mail"]["levels"]
    assert "0 errors" not in levels["errors"]["parts"]["subject.txt"]
    assert "ERROR" in levels["errors"]["parts"]["txt"]
    assert "WARNING" in levels["warnings"]["parts"]["txt"]
    assert "Traceback (most recent call last)" in levels["failed"]["parts"]["txt"]
    assert "ERROR" not in levels["ok"]["parts"]["txt"]


def test_slack_json_is_pretty_printed_with_a_block_kit_builder_link(handlers):
    out = preview("--handler", "slack", "--level", "errors")
    assert '{\n  "text": ' in out
    link = next(line for line in out.splitlines() if line.startswith("Block Kit Builder: "))
    url = link.removeprefix("Block Kit Builder: ")
    assert url.startswith(BLOCK_KIT_BUILDER)
    assert " " not in url
    linked = json.loads(unquote(url.removeprefix(BLOCK_KIT_BUILDER)))
    payload = json.loads(
        preview_json("--handler", "slack", "--level", "errors")["handlers"]["slack"]["levels"]["errors"][
            "parts"
        ]["json"]
    )
    assert linked == {"blocks": payload["blocks"]}


def test_html_parts_are_summarised_not_dumped(handlers):
    out = preview("--handler", "mail", "--level", "failed")
    html_section = out.split("--- mail-failed.html ---")[1]
    assert "HTML document, " in html_section
    assert 'title "' in html_section
    assert "<html" not in out.lower()
    assert "--output DIR" in html_section


def test_output_writes_one_file_per_part_with_the_html_mail_as_a_whole_document(handlers, tmp_path):
    out = preview("--output", str(tmp_path / "previews"), "--level", "failed")
    written = sorted(path.name for path in (tmp_path / "previews").iterdir())
    assert written == ["mail-failed.html", "mail-failed.subject.txt", "mail-failed.txt", "slack-failed.json"]
    html = (tmp_path / "previews" / "mail-failed.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html")
    assert html.rstrip().endswith("</html>")
    assert f"Open it: {tmp_path / 'previews' / 'mail-failed.html'}" in out
    parts = preview_json("--level", "failed")["handlers"]
    assert (tmp_path / "previews" / "slack-failed.json").read_text() == parts["slack"]["levels"]["failed"][
        "parts"
    ]["json"]
    assert (tmp_path / "previews" / "mail-failed.subject.txt").read_text() == parts["mail"]["levels"][
        "failed"
    ]["parts"]["subject.txt"]


def test_json_format_is_one_document_of_handlers_levels_and_parts(handlers, tmp_path):
    document = preview_json("--output", str(tmp_path))
    assert document["source"] == "samples"
    assert document["levels"] == list(LEVELS)
    assert list(document["handlers"]) == ["mail", "slack"]
    mail_handler = document["handlers"]["mail"]
    assert mail_handler["templates"] == "mail"
    assert mail_handler["level"] == "errors"
    assert list(mail_handler["levels"]) == list(LEVELS)
    failed = mail_handler["levels"]["failed"]
    assert set(failed["parts"]) == {"subject.txt", "txt", "html"}
    assert failed["files"]["html"] == str(tmp_path / "mail-failed.html")
    assert failed["sends"] is True
    assert mail_handler["levels"]["warnings"]["sends"] is False
    assert failed["error"] is None
    assert document["handlers"]["slack"]["levels"]["ok"]["block_kit_builder"].startswith(BLOCK_KIT_BUILDER)


def test_the_samples_are_rendered_on_a_fixed_clock(handlers):
    first = preview("--format", "json")
    assert "2026-03-02" in first
    assert timezone.localdate().isoformat() not in first
    assert preview("--format", "json") == first


def test_a_real_report_renders_at_its_own_level(handlers, report):
    document = preview_json("--report", str(report.pk))
    assert document["source"] == "report"
    assert document["report"] == {"id": report.pk, "task": "Weekly invoices", "result": "errors"}
    assert list(document["handlers"]["mail"]["levels"]) == ["errors"]
    parts = document["handlers"]["mail"]["levels"]["errors"]["parts"]
    assert "Weekly invoices" in parts["subject.txt"]
    assert "invoice 7: no VAT number" in parts["txt"]
    assert f"/admin/taskmanager/report/{report.pk}/change/" in parts["txt"]


def test_a_real_report_renders_at_the_levels_given(handlers, report):
    out = preview("--report", str(report.pk), "--level", "ok", "--level", "failed", "--handler", "mail")
    assert "Notification previews from report" in out
    assert "== mail · ok ==" in out
    assert "== mail · failed ==" in out
    assert "== mail · errors ==" not in out
    assert "[failed] Weekly invoices" in out


def test_an_unmigrated_database_is_a_clear_error_not_a_traceback(handlers, tmp_path):
    result = run_manage(tmp_path, {"log": {"class": LOG}}, "--report", "1")
    assert result.returncode == 1
    assert result.stderr.startswith("CommandError: Cannot read report 1 from the database (no such table")
    assert "Traceback" not in result.stderr


def test_an_unknown_report_is_a_clear_error(handlers, db):
    with pytest.raises(CommandError, match=r"^No report with id 999\.$"):
        preview("--report", "999")


def test_an_unknown_handler_is_an_error_listing_the_configured_ones(handlers):
    with pytest.raises(CommandError) as info:
        preview("--handler", "sms")
    assert (
        str(info.value)
        == "No notification handler named 'sms'. Configured: mail, slack; not configured: teams."
    )


def test_an_unconfigured_handler_named_explicitly_is_an_error(handlers):
    with pytest.raises(CommandError, match="'teams' is not configured"):
        preview("--handler", "teams")


def test_no_configured_handler_is_an_error_that_says_what_to_set(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {}
    with pytest.raises(CommandError, match="UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS"):
        preview()


@pytest.fixture
def override_dir(settings, tmp_path) -> Path:
    folder = tmp_path / "notification_templates"
    (folder / "mail").mkdir(parents=True)
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(folder)]
    return folder


def test_a_template_syntax_error_names_the_file_the_folder_it_came_from_and_the_line(handlers, override_dir):
    broken = override_dir / "mail" / "errors.subject.txt"
    broken.write_text("[{{ level }}]\n{{ task_name }\n")
    with pytest.raises(CommandError) as info:
        preview("--handler", "mail", "--level", "errors")
    message = str(info.value)
    assert str(broken) in message
    assert "line 2" in message
    assert f"UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS ({override_dir})" in message
    assert "Traceback" not in message
    assert "\n" not in message


def test_a_template_runtime_error_names_the_file_the_folder_it_came_from_and_the_line(handlers, override_dir):
    broken = override_dir / "mail" / "default.txt"
    broken.write_text("{{ task_name }}\n\n{{ n_erors }} errors\n")
    out = StringIO()
    with pytest.raises(CommandError) as info:
        call_command(
            "preview_notifications", "--handler", "mail", "--level", "ok", "--level", "failed", stdout=out
        )
    assert str(info.value).startswith("2 problems:\n")
    assert (
        f"- mail at ok: template {broken}, line 3 (from UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS"
        in str(info.value)
    )
    assert "'n_erors' is undefined" in str(info.value)
    # The other parts still render, and the error shows where it happened.
    assert "== mail · failed ==\nTemplate error: template " in out.getvalue()


def test_a_configuration_error_repeats_the_system_checks_message(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"slack": {"class": SLACK, "token": TOKEN}}
    [check] = [m for m in check_notification_settings() if m.id == "taskmanager.E006"]
    with pytest.raises(CommandError) as info:
        preview()
    assert check.msg in str(info.value)
    assert check.hint is not None
    assert check.hint in str(info.value)
    assert "taskmanager.E006" in str(info.value)
    assert TOKEN not in str(info.value)


def test_send_delivers_through_the_real_transports_marked_as_a_test(handlers, slack, smtp_settings, report):
    out = preview("--send", "--report", str(report.pk))
    assert out.count("Sent as a test") == 2
    [received] = smtp_settings.messages
    assert received.message["Subject"].startswith("[TEST] [errors] Weekly invoices")
    assert sorted(received.rcpt_tos) == ["dev@example.com", "ops@example.com"]
    [posted] = slack.messages
    assert posted["text"].startswith("[TEST] Weekly invoices")
    deliveries = {d.handler: d for d in Delivery.objects.filter(report=report)}
    assert set(deliveries) == {"mail", "slack"}
    assert all(
        d.test and d.status == Delivery.STATUS_SENT and d.level == "errors" for d in deliveries.values()
    )
    assert f"recorded as delivery {deliveries['mail'].pk}" in out


def test_send_never_shows_a_webhook_urls_query_even_when_the_server_echoes_it(settings, report):
    with WebhookReceiver() as hook:
        url = hook.url + "?key=AIzaSy-chat-key-0123&token=chat-token-4567"
        settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
            "chat": {"class": WEBHOOK, "url": url, "max_attempts": 1}
        }
        hook.answer(Answer(400, b"Bad request to ", echo=True))
        out = StringIO()
        with pytest.raises(CommandError) as caught:
            call_command("preview_notifications", "--send", "--report", str(report.pk), stdout=out)
    shown = out.getvalue() + str(caught.value) + Delivery.objects.get(report=report).last_error
    assert "HTTP 400" in str(caught.value)
    for secret in ("AIzaSy-chat-key-0123", "chat-token-4567", "s3cr3t-token"):
        assert secret not in shown


def test_send_with_sample_reports_delivers_without_a_record(handlers, smtp_settings, db):
    preview("--send", "--handler", "mail", "--level", "failed")
    [received] = smtp_settings.messages
    assert received.message["Subject"].startswith("[TEST] [failed] Nightly catalogue import")
    assert not Delivery.objects.exists()


def test_a_failed_send_is_reported_and_exits_non_zero(handlers, settings, slack, report):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        **handlers,
        "slack": {**handlers["slack"], "token": "xoxb-0000-revoked-token"},
    }
    out = StringIO()
    with pytest.raises(CommandError, match=r"slack at errors: sending failed: .*invalid_auth"):
        call_command(
            "preview_notifications", "--send", "--report", str(report.pk), "--handler", "slack", stdout=out
        )
    assert "Sending failed (permanent failure)" in out.getvalue()
    delivery = Delivery.objects.get(report=report)
    assert (delivery.test, delivery.status, delivery.permanent) == (True, Delivery.STATUS_FAILED, True)
    assert "xoxb-0000-revoked-token" not in out.getvalue()


# -- as manage.py runs it: a separate process, both streams -----------------------------------------


def run_manage(tmp_path: Path, handlers: dict, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the command in a fresh process with ``handlers`` as the project's settings."""
    (tmp_path / "preview_settings.py").write_text(
        "from tests.settings import *  # noqa: F403\n"
        f"UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {handlers!r}\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "preview_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
    }
    return subprocess.run(
        [sys.executable, "-m", "django", "preview_notifications", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


def test_it_runs_despite_failing_system_checks_and_reports_them_without_a_traceback(tmp_path):
    handlers = {
        "log": {"class": LOG, "level": "ok"},
        "broken": {"class": LOG, "colour": "red"},
    }
    result = run_manage(tmp_path, handlers, "--level", "failed")
    assert result.returncode == 1
    assert "== log · failed ==" in result.stdout
    assert "SystemCheckError" not in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "CommandError: (taskmanager.E005) Notification handler 'broken': unknown option 'colour' for "
        "LogTransport\n  HINT: LogTransport takes: logger. The handler itself reads: notify, remind_every, "
        "tasks, exclude_tasks, categories, exclude_categories."
    )


def test_secrets_never_appear_in_any_output(tmp_path, slack):
    webhook = slack.webhook_url("T123/B456/webhook-secret-part")
    good = {
        "slack": {"class": SLACK, "token": TOKEN, "channel": "general", "base_url": slack.base_url},
        "hook": {"class": SLACK, "webhook_url": webhook},
    }
    revoked = {
        "slack": {**good["slack"], "token": "xoxb-9999-revoked-secret"},
        "hook": {"class": SLACK, "webhook_url": webhook + "-wrong"},
    }
    half = {
        "slack": {"class": SLACK, "token": TOKEN},
        "hook": {"class": SLACK, "webhook_url": webhook, "colour": 1},
    }
    runs = [
        (good, ["--level", "failed"]),
        (good, ["--format", "json"]),
        (good, ["--output", str(tmp_path / "out")]),
        (good, ["--send", "--level", "errors"]),
        (revoked, ["--send", "--level", "errors"]),
        (revoked, ["--send", "--level", "errors", "--format", "json"]),
        (half, []),
        (good, ["--handler", "nope"]),
    ]
    secrets = [TOKEN, webhook, "webhook-secret-part", "xoxb-9999-revoked-secret"]
    outputs = []
    for settings_handlers, args in runs:
        result = run_manage(tmp_path, settings_handlers, *args)
        outputs.append((args, result.returncode, result.stdout + result.stderr))
    for path in (tmp_path / "out").iterdir():
        outputs.append(([str(path)], 0, path.read_text()))
    for args, _code, text in outputs:
        for secret in secrets:
            assert secret not in text, (args, secret)
    # The runs did what they should, so the absence of secrets means something.
    assert [code for _args, code, _text in outputs[:8]] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert len(slack.messages) == 2
    assert "[secret]" in outputs[1][2]  # the JSON document's options, masked
    assert "invalid_auth" in outputs[4][2]


def test_send_retries_a_transient_failure_like_a_real_delivery(handlers, slack, report):
    slack.fail_next(1, status=500)
    out = preview("--send", "--report", str(report.pk), "--handler", "slack")
    assert "Sent as a test (2 attempt(s)" in out
    assert len(slack.messages) == 1


# -- the policy's events and decisions ------------------------------------------------------------


def test_event_renders_each_handlers_recovery_from_the_ok_sample_by_default(handlers):
    out = preview("--event", "recovered")
    assert out.startswith("Notification previews from the sample reports as recovered messages;")
    assert "== mail · recovered at ok ==" in out
    assert "== slack · recovered at ok ==" in out
    assert "== mail · ok ==" not in out
    assert "--- mail-recovered-ok.subject.txt ---" in out


def test_event_renders_a_reminder_at_the_levels_given(handlers):
    document = preview_json("--event", "reminder", "--level", "errors", "--handler", "mail")
    assert document["event"] == "reminder"
    assert document["levels"] == ["errors"]
    assert list(document["handlers"]["mail"]["levels"]) == ["errors"]


def test_event_output_files_are_named_for_the_event(handlers, tmp_path):
    preview("--event", "reminder", "--output", str(tmp_path), "--handler", "slack")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["slack-reminder-failed.json"]


def test_an_event_of_a_real_report_is_refused_as_the_policys_to_decide(handlers, report):
    with pytest.raises(CommandError, match="--event renders the sample reports"):
        preview("--event", "recovered", "--report", str(report.pk))


def test_a_real_report_says_whether_each_handler_would_send_it_and_records_nothing(handlers, report):
    out = preview("--report", str(report.pk))
    decided = out.split(f"==== Would report {report.pk} be sent if it finished now? ====")[1]
    assert "mail: would send it as report\n    when it ran: no delivery record" in decided
    assert "slack: would send it as report" in decided
    assert not HandlerState.objects.exists()
    assert not Delivery.objects.exists()


def test_the_decision_says_why_not_and_what_was_recorded_when_the_report_ran(handlers, settings, report):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS["slack"]["categories"] = ["billing"]
    Delivery.objects.create(
        report=report,
        handler="slack",
        level="errors",
        status=Delivery.STATUS_SKIPPED,
        reason="not routed: no category",
    )
    out = preview("--report", str(report.pk), "--handler", "slack")
    assert "slack: would not send it: not routed: no category" in out
    assert "when it ran: skipped (not routed: no category)" in out

    decision = preview_json("--report", str(report.pk), "--handler", "slack")["handlers"]["slack"]["decision"]
    assert decision["send"] is False
    assert decision["why"] == "not routed: no category"
    assert decision["leaves_record"] is True
    assert [r["status"] for r in decision["recorded"]] == ["skipped"]


def test_the_sample_previews_carry_no_decision(handlers):
    assert "decision" not in preview_json("--level", "errors")["handlers"]["mail"]
    assert "Would report" not in preview("--level", "errors")


def test_an_event_is_marked_as_sent_only_by_handlers_whose_policy_sends_it(handlers, settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS["mail"].update(notify="change", remind_every="4h")
    levels = {
        name: entry["levels"] for name, entry in preview_json("--event", "reminder")["handlers"].items()
    }
    assert levels["mail"]["failed"]["sends"] is True
    assert levels["slack"]["failed"]["sends"] is False
    assert 'its notify is "every"' in levels["slack"]["failed"]["why_not_sent"]
    assert 'notify is "every", not "change")' in preview("--event", "reminder", "--handler", "slack")


def test_event_renders_the_shipped_recovery_and_reminder_wording_with_the_sample_history(handlers):
    recovered = preview_json("--event", "recovered", "--handler", "mail")["handlers"]["mail"]["levels"]["ok"]
    assert recovered["parts"]["subject.txt"].startswith(
        "Recovered: Nightly catalogue import is ok again after 5 failed runs since "
    )
    assert "The run before it: failed" in recovered["parts"]["txt"]
    reminder = preview_json("--event", "reminder", "--handler", "slack")["handlers"]["slack"]["levels"]
    assert "12th failed run since" in reminder["failed"]["parts"]["json"]
