import datetime
import json
import re

import pytest
from django.utils import timezone

from taskmanager.notifications import Level, NotificationTemplateError, SlackNotificationHandler
from taskmanager.notifications.channels.slack.text import slack_length
from taskmanager.notifications.filters import moment
from tests.notifications.sequences import a_task, emit_sequence

TOKEN = "xoxb-test-token"
REPORT_URL = "https://tasks.example.com/admin/taskmanager/report/7/change/"
# What the default template itself writes with "<...>": Slack's date formatting and our own links.
TEMPLATE_MARKUP = re.compile(
    r"<!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^<>]*>"
    r"|<https://tasks\.example\.com/[^|<>\s]*\|(?:Open the report|View the full log)>"
)
HOSTILE_NAME = (
    "<!channel> <@U123> <http://x|y> <script>alert(1)</script> & 🎉 :tada: \r\nBcc: evil@example.com "
).ljust(250, "x")


def hostile_line(i: int) -> str:
    start = f"{i:02d} <!here> <@U123> <http://evil.test|click> <!subteam^S1> &amp; & "
    return start + "x" * (900 - len(start))


@pytest.fixture
def slack(fake_slack):
    return SlackNotificationHandler(
        "slack",
        level=Level.OK,
        options={"token": TOKEN, "channel": "#general", "base_url": fake_slack.base_url},
    )


def deliver(handler, report, **context):
    """Render ``report`` (with context overrides), send it to the fake, return what Slack accepted."""
    full = {**handler.context(report), **context}
    test = full.pop("test", False)
    handler.send(handler.render(report, context=full, test=test))


def posted(fake_slack):
    [message] = fake_slack.messages
    assert message["warnings"] == []
    return message


def mrkdwn_texts(message):
    """Every text Slack parses as mrkdwn: the top-level text and each mrkdwn text object."""
    texts = [message["text"]]
    for block in message["blocks"]:
        objects = [block["text"]] if isinstance(block.get("text"), dict) else []
        objects += block.get("fields", []) + block.get("elements", [])
        texts += [o["text"] for o in objects if o.get("type") == "mrkdwn"]
    return texts


def assert_no_content_markup(message):
    for text in mrkdwn_texts(message):
        rest = TEMPLATE_MARKUP.sub("", text)
        assert "<" not in rest, rest
        assert ">" not in rest, rest
        assert "&" not in re.sub(r"&(?:amp|lt|gt);", "", rest), rest


def blocks_of(message, kind):
    return [b for b in message["blocks"] if b["type"] == kind]


@pytest.mark.parametrize(
    ("result", "emoji", "outcome", "shows_log"),
    [
        ("ok", ":white_check_mark:", "Succeeded", False),
        ("warnings", ":warning:", "Finished with warnings", True),
        ("errors", ":x:", "Finished with errors", True),
        ("failed", ":boom:", "Failed", True),
    ],
)
def test_each_level_renders_a_message_slack_accepts(
    slack, fake_slack, make_report, result, emoji, outcome, shows_log
):
    report = make_report(result)
    deliver(slack, report, report_url=REPORT_URL)
    message = posted(fake_slack)
    header, status, facts = message["blocks"][:3]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "emoji": True, "text": f"nightly import: {result}"},
    }
    counts = f"{report.n_log_errors} error{'s' * (report.n_log_errors != 1)}, "
    counts += f"{report.n_log_warnings} warning{'s' * (report.n_log_warnings != 1)}"
    assert status["text"]["text"] == f"{emoji} *{outcome}*: {counts}"
    assert message["text"] == f"nightly import {outcome.lower()} ({counts})"
    started = timezone.localtime(report.invocation_datetime)
    assert [f["text"] for f in facts["fields"]] == [
        f"*Started*\n<!date^{int(started.timestamp())}^{{date_short_pretty}} at {{time}}"
        f"|{started:%Y-%m-%d %H:%M %Z}>",
        "*Duration*\n1 min 23 s",
        "*Log*\n3 lines",
        "*Command*\n`sample --since 2026-01-01 -v 2`",
    ]
    code = [b for b in message["blocks"] if "```" in (b.get("text") or {}).get("text", "")]
    if shows_log:
        assert (
            code[0]["text"]["text"] == "*Last 3 log lines*\n```\nline one\nWARNING careful\nERROR broken\n```"
        )
    else:
        assert code == []
    links = message["blocks"][-1]
    assert links["type"] == "context"
    assert [e["text"] for e in links["elements"]] == [
        f"<{REPORT_URL}|Open the report>",
        f"<https://tasks.example.com/taskmanager/logviewer/{report.pk}/|View the full log>",
        "Task manager · handler slack",
    ]
    assert_no_content_markup(message)


def test_an_ok_report_with_warnings_shows_its_log(slack, fake_slack, make_report):
    deliver(slack, make_report("warnings"), level="ok")
    assert any("```" in b["text"]["text"] for b in blocks_of(posted(fake_slack), "section") if "text" in b)


def test_links_are_left_out_when_no_url_is_known(slack, fake_slack, make_report):
    deliver(slack, make_report("errors"), report_url=None, log_url=None)
    links = posted(fake_slack)["blocks"][-1]
    assert links["elements"] == [{"type": "mrkdwn", "text": "Task manager · handler slack", "verbatim": True}]


def test_a_test_message_says_so(slack, fake_slack, make_report):
    deliver(slack, make_report("errors"), test=True)
    message = posted(fake_slack)
    assert message["text"].startswith("[TEST] ")
    assert message["blocks"][0]["text"]["text"] == "[TEST] nightly import: errors"


def test_the_commands_summary_is_shown_escaped(slack, fake_slack, make_report):
    deliver(slack, make_report("ok", extra={"summary": "imported 1,234 rows <!channel> & 3 skipped"}))
    message = posted(fake_slack)
    assert message["blocks"][3]["text"]["text"] == "imported 1,234 rows &lt;!channel&gt; &amp; 3 skipped"


def test_three_backticks_in_a_log_line_cannot_close_the_code_block(slack, fake_slack, make_report):
    lines = ["ERROR query: ``` *drop* <!channel> ````", "```", "after"]
    deliver(slack, make_report("errors", log="\n".join(lines)))
    sections = [b["text"]["text"] for b in blocks_of(posted(fake_slack), "section") if "text" in b]
    [log] = [text for text in sections if text.startswith("*Last ")]
    # The block's own fences are the only runs of backticks Slack sees...
    assert log.count("``") == 2
    assert log.startswith("*Last 3 log lines*\n```\n")
    assert log.endswith("\n```")
    # ...and a reader sees the lines as written (the breaks are zero-width spaces).
    code = log.split("```\n", 1)[1].rsplit("\n```", 1)[0]
    assert code.replace("\u200b", "") == "\n".join(lines).replace("<", "&lt;").replace(">", "&gt;")


def test_hostile_report_content_cannot_ping_link_or_break_the_message(slack, fake_slack, make_report):
    lines = [hostile_line(i) for i in range(10)]
    report = make_report(
        "failed",
        name=HOSTILE_NAME,
        log="\n".join(lines),
        n_log_lines=10,
        extra={"summary": "<!everyone> <#C1> done & dusted"},
    )
    deliver(slack, report, report_url=REPORT_URL)
    message = posted(fake_slack)  # accepted: the fake validates blocks as Slack does
    assert_no_content_markup(message)
    header = message["blocks"][0]["text"]["text"]
    assert slack_length(header) <= 150
    assert "\r" not in header
    assert "\n" not in header
    assert header.startswith("<!channel> <@U123> <http://x|y>")  # plain_text: shown, never parsed
    for block in blocks_of(message, "section"):
        if "text" in block:
            assert slack_length(block["text"]["text"]) <= 3000
    assert "&lt;!channel&gt; &lt;@U123&gt; &lt;http://x|y&gt; &lt;script&gt;" in message["text"]
    assert "\r" not in message["text"]
    assert "Bcc: evil@example.com" in message["text"]
    log = next(
        b["text"]["text"] for b in blocks_of(message, "section") if "```" in b.get("text", {}).get("text", "")
    )
    assert log.startswith("*Last 10 log lines*\n```\n… ")
    last = lines[-1].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert log.endswith(last + "\n```")
    assert "&lt;!here&gt;" in log
    assert "<!here>" not in log


@pytest.fixture
def project_templates(settings, tmp_path):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path)]
    (tmp_path / "slack").mkdir()
    return tmp_path / "slack"


def test_a_project_replaces_one_block_by_extending_the_shipped_template(
    slack, fake_slack, make_report, project_templates
):
    (project_templates / "default.json").write_text(
        '{% extends "shipped/slack/default.json" %}\n{% block log %}{% endblock %}\n'
    )
    deliver(slack, make_report("errors"))
    message = posted(fake_slack)
    assert not any("```" in json.dumps(b) for b in message["blocks"])
    assert message["blocks"][0]["text"]["text"] == "nightly import: errors"
    assert message["blocks"][-1]["type"] == "context"


def test_a_per_level_template_can_change_the_emoji_without_copying_the_layout(
    slack, fake_slack, make_report, project_templates
):
    (project_templates / "failed.json").write_text(
        '{% extends "shipped/slack/default.json" %}\n{% set status_emoji = {"failed": ":fire:"} %}\n'
    )
    deliver(slack, make_report("failed"))
    assert posted(fake_slack)["blocks"][1]["text"]["text"].startswith(":fire: *Failed*")


def test_a_sixty_block_template_is_cut_to_fifty_in_the_preview_and_in_slack(
    slack, fake_slack, make_report, project_templates
):
    (project_templates / "default.json").write_text(
        '{"text": {{ task_name|mrkdwn|tojson }}, "blocks": ['
        '{% for i in range(59) %}{"type": "section", "text": {"type": "mrkdwn", "text": "block {{ i }}"}},'
        '{% endfor %}{"type": "context", "elements": [{"type": "mrkdwn", "text": "<https://x.test/r|Report>"}]}]}'
    )
    report = make_report("errors")
    preview = json.loads(slack.render(report).parts["json"])
    assert len(preview["blocks"]) == 50
    slack.send(slack.render(report))
    message = posted(fake_slack)
    assert message["blocks"] == preview["blocks"]
    assert message["blocks"][-1]["elements"][0]["text"] == "<https://x.test/r|Report>"
    assert "11 more blocks left out" in message["blocks"][-2]["elements"][0]["text"]


def test_a_template_that_is_not_json_is_an_error_naming_the_file(slack, make_report, project_templates):
    (project_templates / "default.json").write_text('{"text": {{ task_name|tojson }},}\n')
    with pytest.raises(NotificationTemplateError) as caught:
        slack.render(make_report("errors"), strict=True)
    assert caught.value.filename == str(project_templates / "default.json")
    assert "not valid JSON" in str(caught.value)
    assert "UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS" in str(caught.value)


def test_at_run_time_a_template_that_is_not_json_falls_back_to_the_shipped_one(
    slack, make_report, project_templates
):
    (project_templates / "default.json").write_text('{"text": {{ task_name|tojson }},}\n')
    message = slack.render(make_report("errors"))
    assert json.loads(message.parts["json"])["blocks"][0]["type"] == "header"
    assert "not valid JSON" in message.problems[0]


def test_a_report_without_an_end_still_renders(slack, fake_slack, make_report):
    report = make_report("failed", end_datetime=None)
    report.invocation_datetime = timezone.now() - datetime.timedelta(minutes=5)
    deliver(slack, report)
    facts = posted(fake_slack)["blocks"][2]["fields"]
    assert facts[1]["text"] == "*Duration*\nunknown"


def test_a_block_can_be_added_after_the_shipped_one_with_super(
    slack, fake_slack, make_report, project_templates
):
    # The example of docs/handlers/slack.rst.
    (project_templates / "failed.json").write_text(
        '{% extends "shipped/slack/default.json" %}\n'
        "{% block status %}\n"
        "{{ super() }}\n"
        '    {"type": "actions", "elements": [\n'
        '      {"type": "button", "text": {"type": "plain_text", "text": "Runbook"},\n'
        '       "url": "https://wiki.example.com/runbooks/{{ task.pk }}"}\n'
        "    ]},\n"
        "{% endblock %}\n"
    )
    report = make_report("failed")
    deliver(slack, report)
    blocks = posted(fake_slack)["blocks"]
    assert blocks[1]["text"]["text"].startswith(":boom: *Failed*")
    assert blocks[2]["elements"][0]["url"] == f"https://wiki.example.com/runbooks/{report.task.pk}"


def test_what_was_cut_is_logged(slack, make_report, caplog):
    report = make_report("errors", log="\n".join("z" * 900 for _ in range(10)), n_log_lines=10)
    with caplog.at_level("INFO", logger="taskmanager.notifications"):
        slack.render(report)
    assert (
        "Slack message for #general made to fit: block 3 (section): text cut from 9,037 to 3,000 characters"
        in caplog.text
    )


def test_a_reminder_and_a_recovery_reach_slack_with_the_news_first(settings, fake_slack, db):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "slack": {
            "class": "taskmanager.notifications.SlackNotificationHandler",
            "token": TOKEN,
            "channel": "#general",
            "base_url": fake_slack.base_url,
            "notify": "change",
            "remind_every": "4h",
        }
    }
    reports = emit_sequence(a_task())
    since = moment(reports[1].invocation_datetime)
    triggered, reminder, recovered = fake_slack.wait_for_messages(3)
    assert all(message["warnings"] == [] for message in (triggered, reminder, recovered))
    assert triggered["text"] == "Nightly import failed (1 error, 0 warnings)"
    assert reminder["text"] == f"Still failing: Nightly import, 3rd failed run since {since}"
    assert reminder["blocks"][0]["text"]["text"] == "Still failing: Nightly import"
    assert reminder["blocks"][1]["text"]["text"] == f":repeat: *Still failing*: 3rd failed run since {since}"
    recovered_news = f"Recovered: Nightly import is ok again after 4 runs with errors since {since}"
    assert recovered["text"] == recovered_news
    assert recovered["blocks"][1]["text"]["text"] == (
        f":white_check_mark: *Recovered*: {recovered_news.removeprefix('Recovered: ')}\n"
        f"Previous run: errors, started {moment(reports[4].invocation_datetime)}"
    )
    assert not any("```" in json.dumps(block) for block in recovered["blocks"])  # no log of a good run


def test_a_recovery_with_no_streak_to_tell_says_only_that_the_task_is_ok_again(
    slack, fake_slack, make_report
):
    # After a snooze during which the failing streak ended, the streak is no longer known.
    deliver(slack, make_report("ok"), event="recovered", streak=0, failing_since=None, previous=None)
    message = posted(fake_slack)
    assert message["text"] == "Recovered: nightly import is ok again"
    assert (
        message["blocks"][1]["text"]["text"] == ":white_check_mark: *Recovered*: nightly import is ok again"
    )
