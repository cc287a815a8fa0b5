import json
import sys

from taskmanager.notifications import SlackNotificationHandler
from taskmanager.notifications.channels.slack.transport import SlackTransport
from taskmanager.notifications.checks import check_notification_settings
from taskmanager.notifications.config import get_handlers

TOKEN = "xoxb-test-token"
CLASS = "taskmanager.notifications.SlackNotificationHandler"


def checks():
    return [(m.id, m.msg, m.hint) for m in check_notification_settings()]


def test_it_is_a_public_name_with_the_slack_transport_and_templates():
    from taskmanager.notifications.channels.slack.handler import SlackNotificationHandler as Defined

    assert SlackNotificationHandler is Defined
    assert SlackNotificationHandler.transport_class is SlackTransport
    assert SlackNotificationHandler.templates == "slack"


def test_a_configured_handler_passes_the_checks_at_every_level(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "slack": {"class": CLASS, "level": "ok", "token": TOKEN, "channel": "#general"}
    }
    assert checks() == []
    [handler] = get_handlers()
    assert isinstance(handler.transport, SlackTransport)
    assert handler.transport.channels == ["#general"]


def test_empty_settings_leave_it_unconfigured_with_a_warning_and_skipped(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "slack": {"class": CLASS, "level": "errors", "token": "", "channel": "", "webhook_url": ""}
    }
    [(check_id, msg, _hint)] = checks()
    assert check_id == "taskmanager.W001"
    assert "'slack'" in msg
    assert get_handlers() == []


def test_a_token_without_a_channel_is_an_error_naming_channel(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "slack": {"class": CLASS, "token": TOKEN, "channel": ""}
    }
    [(check_id, msg, hint)] = checks()
    assert check_id == "taskmanager.E006"
    assert "'channel'" in msg
    assert "'slack'" in msg
    assert TOKEN not in msg + hint


def test_a_missing_slack_sdk_is_an_error_whose_hint_names_the_extra(settings, monkeypatch):
    # No real way to uninstall a package for one test: hide it from the import system.
    monkeypatch.setitem(sys.modules, "slack_sdk", None)
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "slack": {"class": CLASS, "token": TOKEN, "channel": "#general"}
    }
    [(check_id, msg, hint)] = checks()
    assert check_id == "taskmanager.E009"
    assert "slack_sdk" in msg
    assert 'pip install "django-uwsgi-taskmanager[notifications]"' in hint


def test_a_finished_task_reaches_slack_through_the_settings(settings, fake_slack, make_report):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "slack": {
            "class": CLASS,
            "level": "warnings",
            "token": TOKEN,
            "channel": "#general",
            "base_url": fake_slack.base_url,
        }
    }
    make_report("ok").emit_notifications()
    outcomes = make_report("errors", name="nightly export").emit_notifications()
    assert [(o.handler, o.sent, o.error) for o in outcomes] == [("slack", True, "")]
    [message] = fake_slack.messages
    assert message["blocks"][0]["text"]["text"] == "nightly export: errors"


def test_a_delivery_failure_is_reported_by_emission_without_the_token(
    settings, fake_slack, make_report, caplog
):
    secret = "xoxb-not-the-right-one"
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "slack": {"class": CLASS, "token": secret, "channel": "#general", "base_url": fake_slack.base_url}
    }
    [outcome] = make_report("failed").emit_notifications()
    assert outcome.sent is False
    assert "invalid_auth" in str(outcome.error)
    assert secret not in caplog.text
    assert any("invalid_auth" in r.getMessage() and "slack" in r.getMessage() for r in caplog.records)


def test_a_payload_that_fits_is_kept_as_the_template_laid_it_out(make_report):
    from taskmanager.notifications.rendering import get_renderer

    handler = SlackNotificationHandler("slack", options={"token": TOKEN, "channel": "#general"})
    report = make_report("errors")
    context = {**handler.context(report), "test": False}
    renderer = get_renderer()
    rendered = renderer.render(renderer.resolve("slack", "errors", "json")[0], context)

    assert handler.render(report, context=context).parts["json"] == rendered


def test_a_payload_made_to_fit_is_written_out_again(make_report):
    handler = SlackNotificationHandler("slack", options={"token": TOKEN, "channel": "#general"})
    long_lines = "\n".join(f"{n} " + "y" * 900 for n in range(10))  # a 9,000-character log tail
    report = make_report("errors", log=long_lines, n_log_lines=10)

    payload = json.loads(handler.render(report).parts["json"])

    [log] = [b for b in payload["blocks"] if "```" in b.get("text", {}).get("text", "")]
    assert len(log["text"]["text"]) <= 3000
    assert "earlier characters" in log["text"]["text"]


def counted(monkeypatch, module, name):
    """Replace ``module.name`` with a wrapper counting its calls; the list of calls."""
    calls = []
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_one_emission_parses_fits_and_checks_the_payload_once(settings, fake_slack, make_report, monkeypatch):
    from taskmanager.notifications.channels.slack import transport

    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "slack": {"class": CLASS, "token": TOKEN, "channel": "#general", "base_url": fake_slack.base_url}
    }
    parsed, fitted, checked = (
        counted(monkeypatch, transport, name) for name in ("parse_payload", "fit_payload", "check_payload")
    )
    long_lines = "\n".join(f"{n} " + "y" * 900 for n in range(10))  # made to fit: written out again

    [outcome] = make_report("errors", log=long_lines, n_log_lines=10).emit_notifications()

    assert outcome.sent, outcome.error
    assert (len(parsed), len(fitted), len(checked)) == (1, 1, 1)
    [posted] = fake_slack.messages
    assert posted["raw"]["blocks"] == json.loads(outcome.message.parts["json"])["blocks"]


def test_the_generic_handler_finishes_with_the_slack_transport_too(make_report):
    from taskmanager.notifications import NotificationHandler

    handler = NotificationHandler(
        "slack", transport_class=SlackTransport, templates="slack", options={"token": TOKEN, "channel": "#a"}
    )
    long_lines = "\n".join(f"{n} " + "y" * 900 for n in range(10))
    payload = json.loads(handler.render(make_report("errors", log=long_lines, n_log_lines=10)).parts["json"])
    [log] = [b for b in payload["blocks"] if "```" in b.get("text", {}).get("text", "")]
    assert "earlier characters" in log["text"]["text"]
