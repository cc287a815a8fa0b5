"""The documented Teams and Discord templates (docs/examples/notification_templates/) render
payloads of the shape and within the limits each service documents."""

import datetime
import json
from pathlib import Path

import pytest

from taskmanager.notifications.channels.webhook.handler import WebhookNotificationHandler
from taskmanager.notifications.checks import check_templates
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.samples import sample_report
from taskmanager.results import Level
from tests.fakes.webhook import WebhookReceiver
from tests.notifications.hostile import (
    HOSTILE_PIECES,
    INJECTING_NAME,
    LONG_NAME,
    hostile_fields,
    hostile_lines,
)

EXAMPLES = Path(__file__).resolve().parents[4] / "docs" / "examples" / "notification_templates"
LEVELS = ("ok", "warnings", "errors", "failed")


@pytest.fixture(autouse=True)
def example_templates(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(EXAMPLES)]


def render(folder, report, **kwargs):
    handler = WebhookNotificationHandler("team", templates=folder, options={"url": "https://example.com/x"})
    return json.loads(handler.render(report, **kwargs).parts["json"])


# -- Microsoft Teams: an Adaptive Card for a Workflows webhook ------------------------------------

TEAMS_ELEMENTS = {"TextBlock", "RichTextBlock", "FactSet", "Container"}
TEAMS_MAX_BYTES = 28 * 1024


def teams_card(payload):
    """Check the Workflows webhook envelope; return the card."""
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["version"] in ("1.2", "1.3", "1.4", "1.5")
    for action in card.get("actions", []):
        assert action["type"] == "Action.OpenUrl"
        assert action["title"]
        assert action["url"].startswith("https://")
    return card


def teams_elements(items):
    for element in items:
        assert element["type"] in TEAMS_ELEMENTS, element
        yield element
        if element["type"] == "Container":
            yield from teams_elements(element["items"])


def texts_by_kind(card):
    """Text Teams reads as Markdown (TextBlock, FactSet) and text it shows as is (TextRun)."""
    markdown, plain = [], []
    for element in teams_elements(card["body"]):
        if element["type"] == "TextBlock":
            assert isinstance(element["text"], str)
            assert element["text"]
            markdown.append(element["text"])
        elif element["type"] == "RichTextBlock":
            for run in element["inlines"]:
                assert run["type"] == "TextRun"
                assert isinstance(run["text"], str)
                assert run["text"]
                plain.append(run["text"])
        elif element["type"] == "FactSet":
            for fact in element["facts"]:
                assert isinstance(fact["title"], str)
                assert isinstance(fact["value"], str)
                markdown.extend((fact["title"], fact["value"]))
    return markdown, plain


@pytest.mark.parametrize("level", LEVELS)
def test_teams_cards_have_the_documented_shape_at_every_level(level):
    card = teams_card(render("teams", sample_report(level)))
    markdown, plain = texts_by_kind(card)
    assert level.upper() in markdown[0]
    assert "Nightly catalogue import" in plain
    titles = [action["title"] for action in card["actions"]]
    assert "Open the full log" in titles
    assert set(titles) <= {"View the report", "Open the full log"}


def test_teams_card_shows_counts_and_links(make_report):
    report = make_report("errors", extra={"summary": "imported 1,234 rows"})
    card = teams_card(render("teams", report))
    _markdown, plain = texts_by_kind(card)
    facts = {
        fact["title"]: fact["value"]
        for e in teams_elements(card["body"])
        if e["type"] == "FactSet"
        for fact in e["facts"]
    }
    assert (facts["Errors"], facts["Warnings"], facts["Duration"]) == ("2", "1", "1 min 23 s")
    assert "imported 1,234 rows" in plain
    assert "ERROR broken" in plain
    assert {a["url"] for a in card["actions"]} >= {
        f"https://tasks.example.com/taskmanager/logviewer/{report.pk}/"
    }


def test_teams_card_keeps_report_content_out_of_markdown_and_under_28_kb(make_report):
    fields = hostile_fields()
    payload_text = (
        WebhookNotificationHandler("team", templates="teams", options={"url": "https://example.com/x"})
        .render(make_report("errors", name=INJECTING_NAME, **fields))
        .parts["json"]
    )
    assert len(payload_text.encode()) < TEAMS_MAX_BYTES
    card = teams_card(json.loads(payload_text))
    markdown, plain = texts_by_kind(card)
    for piece in HOSTILE_PIECES:
        assert not any(piece in text for text in markdown), piece
    assert INJECTING_NAME in plain
    # The log keeps its end: the last line whole, the first cut with a marker.
    assert hostile_lines()[-1] in plain
    log_runs = [text for text in plain if text.startswith(("ERROR line", "… "))]
    assert log_runs[0].startswith("… ")
    assert sum(len(text) for text in log_runs) <= 4000 + len("… ")


def test_teams_card_of_a_test_notification_says_so(make_report):
    markdown, _plain = texts_by_kind(teams_card(render("teams", make_report("ok"), test=True)))
    assert markdown[0].startswith("TEST")


# -- Discord: an execute-webhook payload with one embed ------------------------------------------


def discord_embed(payload):
    """Check Discord's documented limits; return the embed."""
    assert set(payload) <= {"content", "embeds", "allowed_mentions", "username", "avatar_url"}
    assert payload["allowed_mentions"] == {"parse": []}
    assert 0 < len(payload["content"]) <= 2000
    [embed] = payload["embeds"]
    assert 0 < len(embed["title"]) <= 256
    assert len(embed["description"]) <= 4096
    assert len(embed["fields"]) <= 25
    for field in embed["fields"]:
        assert 0 < len(field["name"]) <= 256
        assert 0 < len(field["value"]) <= 1024
    assert len(embed["footer"]["text"]) <= 2048
    total = (
        len(embed["title"])
        + len(embed["description"])
        + sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
        + len(embed["footer"]["text"])
    )
    assert total <= 6000
    assert 0 <= embed["color"] <= 0xFFFFFF
    if "timestamp" in embed:
        assert datetime.datetime.fromisoformat(embed["timestamp"]).tzinfo is not None
    return embed


@pytest.mark.parametrize("level", LEVELS)
def test_discord_payloads_are_within_the_limits_at_every_level(level):
    payload = render("discord", sample_report(level))
    embed = discord_embed(payload)
    assert payload["content"].startswith(f"**[{level}]** Nightly catalogue import")
    assert embed["title"] == "Nightly catalogue import"
    assert embed["description"].endswith("```")


def test_discord_colours_differ_by_level():
    colours = {level: discord_embed(render("discord", sample_report(level)))["color"] for level in LEVELS}
    assert len(set(colours.values())) == 4


def test_discord_payload_stays_within_the_limits_with_hostile_content(make_report):
    payload = render("discord", make_report("errors", name=LONG_NAME, **hostile_fields()))
    embed = discord_embed(payload)
    description = embed["description"]
    # One code block that no ``` in a log line can close, ending with the log's last line.
    assert description.count("```") == 2
    assert description.endswith(hostile_lines()[-1].replace("```", "``\u200b`") + "\n```")
    assert "\n```\n…" in description  # the cut is marked
    # Markdown in the summary is escaped; mentions are disabled by allowed_mentions.
    summary = description.split("```")[0].strip()
    assert (
        summary
        == "summary <!channel\\> <@U123\\> <http://x\\|y\\> <script\\>alert(1)</script\\> & 🔥 \\`\\`\\`"
    )


def test_discord_escapes_markdown_in_the_task_name(make_report):
    payload = render("discord", make_report("failed", name="**bold** _it_ `code` [x](http://e)"))
    discord_embed(payload)
    assert payload["content"] == "**[failed]** \\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\[x\\](http://e) failed"


def test_example_templates_pass_the_checks(db):
    handlers: list[NotificationHandler] = [
        WebhookNotificationHandler(
            name, templates=name, level=Level.OK, options={"url": "https://example.com/x"}
        )
        for name in ("teams", "discord")
    ]
    assert check_templates(handlers) == []


def test_a_teams_card_posts_to_a_webhook_as_rendered(settings, make_report):
    with WebhookReceiver() as hook:
        settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
            "teams": {
                "class": "taskmanager.notifications.WebhookNotificationHandler",
                "templates": "teams",
                "level": "warnings",
                "url": hook.url,
            }
        }
        [outcome] = make_report("failed").emit_notifications()
    assert outcome.sent, outcome.error
    teams_card(json.loads(hook.requests[0].body))
