from pathlib import Path

import pytest
from django.core import checks

from taskmanager.notifications.transport import Transport

LOCMEM = "taskmanager.notifications.channels.locmem.LocmemTransport"


class ChatTransport(Transport):
    """A transport with two required options, like Slack's token and channel."""

    template_parts = ("txt",)
    required_options = ("token", "room")
    secret_options = ("token",)

    def __init__(self, *, token: str = "", room: str = "", **options):
        super().__init__(**options)
        from taskmanager.notifications.exceptions import NotificationConfigurationError

        for key, value in (("token", token), ("room", room)):
            if not value:
                raise NotificationConfigurationError(f"{key!r} is required", key=key)
        self.token, self.room = token, room

    def send(self, message):
        pass


class NeedsMissingPackage(Transport):
    template_parts = ("txt",)
    extra = "notifications"

    @classmethod
    def check_dependencies(cls):
        return "the package 'not_installed_pkg' is not installed"


def run_checks(settings, handlers=None, **more):
    if handlers is not None:
        settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = handlers
    for key, value in more.items():
        setattr(settings, key, value)
    # databases=[]: the static checks only. Django 6.1 otherwise also checks every database's
    # features, a query that depends on whether an earlier test opened the connection.
    return [m for m in checks.run_checks(databases=[]) if m.id and m.id.startswith("taskmanager.")]


def ids(messages):
    return [m.id for m in messages]


def test_a_good_configuration_passes(settings):
    assert run_checks(settings, {"log": {"class": "taskmanager.notifications.LogNotificationHandler"}}) == []


def test_a_handler_that_is_not_a_dict_is_e001(settings):
    messages = run_checks(settings, {"slack": "xoxb"})
    assert ids(messages) == ["taskmanager.E001"]
    assert "'slack'" in messages[0].msg


def test_a_handler_with_neither_class_nor_transport_is_e001(settings):
    messages = run_checks(settings, {"x": {"level": "ok"}})
    assert ids(messages) == ["taskmanager.E001"]
    assert messages[0].hint


def test_an_unknown_class_path_is_e002(settings):
    messages = run_checks(settings, {"x": {"class": "taskmanager.notifications.NoSuchHandler"}})
    assert ids(messages) == ["taskmanager.E002"]
    assert "NoSuchHandler" in messages[0].msg


def test_a_class_that_is_not_a_handler_is_e002(settings):
    messages = run_checks(settings, {"x": {"class": "taskmanager.models.Task"}})
    assert ids(messages) == ["taskmanager.E002"]


def test_an_unknown_transport_path_is_e003(settings):
    messages = run_checks(settings, {"x": {"transport": "myproject.notify.Nope", "templates": "log"}})
    assert ids(messages) == ["taskmanager.E003"]
    assert "myproject.notify.Nope" in messages[0].msg


def test_an_unknown_level_is_e004_and_lists_the_levels(settings):
    messages = run_checks(settings, {"x": {"transport": LOCMEM, "templates": "log", "level": "critical"}})
    assert ids(messages) == ["taskmanager.E004"]
    assert "'critical'" in messages[0].msg
    assert "ok, warnings, errors, failed" in messages[0].hint


def test_an_unknown_option_is_e005_naming_the_handler_and_the_key(settings):
    messages = run_checks(settings, {"teams": {"transport": LOCMEM, "templates": "log", "colour": "red"}})
    assert ids(messages) == ["taskmanager.E005"]
    assert "'teams'" in messages[0].msg
    assert "'colour'" in messages[0].msg


def test_a_half_configured_handler_is_e006_naming_the_missing_option(settings):
    messages = run_checks(
        settings, {"chat": {"transport": f"{__name__}.ChatTransport", "templates": "log", "token": "t"}}
    )
    assert ids(messages) == ["taskmanager.E006"]
    assert "'room'" in messages[0].msg


def test_a_handler_left_empty_by_unset_environment_variables_is_w001_and_skipped(settings):
    handlers = {
        "chat": {"transport": f"{__name__}.ChatTransport", "templates": "log", "token": "", "room": ""}
    }
    messages = run_checks(settings, handlers)
    assert ids(messages) == ["taskmanager.W001"]
    from taskmanager.notifications.config import get_handlers

    assert get_handlers() == []


def test_a_part_with_no_template_at_any_level_is_e007_naming_the_files_searched(settings):
    messages = run_checks(settings, {"teams": {"transport": LOCMEM, "templates": "teams"}})
    assert ids(messages) == ["taskmanager.E007"]
    assert "teams/errors.txt" in messages[0].msg
    assert "teams/default.txt" in messages[0].msg


def test_a_missing_level_file_is_e007_only_for_levels_the_handler_sends_at(settings, tmp_path):
    (tmp_path / "teams").mkdir()
    (tmp_path / "teams" / "failed.txt").write_text("x")
    handlers = {"teams": {"transport": LOCMEM, "templates": "teams", "level": "failed"}}
    assert run_checks(settings, handlers, UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS=[str(tmp_path)]) == []
    handlers["teams"]["level"] = "errors"
    messages = run_checks(settings, handlers)
    assert ids(messages) == ["taskmanager.E007"]
    assert "level errors" in messages[0].msg


def test_a_template_syntax_error_is_e008_naming_the_file_and_line(settings, tmp_path):
    (tmp_path / "log").mkdir()
    bad = tmp_path / "log" / "errors.txt"
    bad.write_text("fine\n{% for x in %}\n")
    messages = run_checks(
        settings,
        {"log": {"class": "taskmanager.notifications.LogNotificationHandler"}},
        UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS=[str(tmp_path)],
    )
    assert ids(messages) == ["taskmanager.E008"]
    assert f"{bad}, line 2" in messages[0].msg


def test_a_syntax_error_in_a_shadowed_file_is_still_found(settings, tmp_path):
    # An app's broken file hidden behind the project's is still reported: it is
    # one settings change away from being used.
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, text in ((first, "ok"), (second, "{% if %}")):
        (folder / "log").mkdir(parents=True)
        (folder / "log" / "default.txt").write_text(text)
    messages = run_checks(
        settings,
        {"log": {"class": "taskmanager.notifications.LogNotificationHandler"}},
        UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS=[str(first), str(second)],
    )
    assert ids(messages) == ["taskmanager.E008"]
    assert str(second / "log" / "default.txt") in messages[0].msg


def test_a_transport_whose_package_is_missing_is_e009_with_the_pip_extra(settings):
    messages = run_checks(
        settings, {"x": {"transport": f"{__name__}.NeedsMissingPackage", "templates": "log"}}
    )
    assert ids(messages) == ["taskmanager.E009"]
    assert "django-uwsgi-taskmanager[notifications]" in messages[0].hint


def test_a_template_folder_that_does_not_exist_is_e010(settings):
    messages = run_checks(settings, {}, UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS=["/no/such/dir"])
    assert ids(messages) == ["taskmanager.E010"]


def test_2_0_notification_settings_are_w002(settings):
    messages = run_checks(settings, {}, UWSGI_TASKMANAGER_NOTIFICATIONS_SLACK_TOKEN="xoxb")
    assert ids(messages) == ["taskmanager.W002"]


def test_handlers_setting_that_is_not_a_dict_is_e001(settings):
    messages = run_checks(settings, ["slack"])
    assert ids(messages) == ["taskmanager.E001"]


@pytest.mark.parametrize("level", ["ok", "warnings", "errors", "failed", 0, 10, 20, 30, "failure"])
def test_every_documented_level_spelling_is_accepted(settings, level):
    assert run_checks(settings, {"x": {"transport": LOCMEM, "templates": "log", "level": level}}) == []


def test_checks_do_not_mutate_the_settings_dict(settings):
    handlers = {"x": {"transport": LOCMEM, "templates": "log", "level": "ok", "parts": ["txt"]}}
    before = repr(handlers)
    assert run_checks(settings, handlers) == []
    assert repr(handlers) == before


# -- issue 13: nothing a handler's settings hold makes the checks (or start-up) raise ---------


class HalfSetTransport(Transport):
    """Raises what a custom transport raises for an option it cannot use."""

    template_parts = ("txt",)
    secret_options = ("token",)

    def __init__(self, *, token: str = "", port: str = "", **options):
        super().__init__(**options)
        self.port = int(port)  # ValueError for "smtp"

    def send(self, message):
        pass


class ExitingTransport(HalfSetTransport):
    def __init__(self, **options):
        raise SystemExit(2)


def test_a_transport_whose_constructor_raises_is_e006_naming_the_handler_without_a_traceback(settings):
    handlers = {
        "teams": {
            "transport": f"{__name__}.HalfSetTransport",
            "templates": "log",
            "token": "tok-s3cret",
            "port": "smtp",
        }
    }
    [message] = run_checks(settings, handlers)
    assert message.id == "taskmanager.E006"
    assert message.msg == (
        "Notification handler 'teams': HalfSetTransport could not be built: "
        "ValueError: invalid literal for int() with base 10: 'smtp'"
    )
    assert "HalfSetTransport takes: token, port" in message.hint


def test_a_transport_raising_system_exit_in_its_constructor_is_e006_and_check_goes_on(settings):
    handlers = {
        "quits": {"transport": f"{__name__}.ExitingTransport", "templates": "log"},
        "log": {"class": "taskmanager.notifications.LogNotificationHandler"},
    }
    [message] = run_checks(settings, handlers)
    assert (message.id, message.msg) == (
        "taskmanager.E006",
        "Notification handler 'quits': ExitingTransport could not be built: SystemExit: 2",
    )


def test_a_secret_in_a_constructors_error_is_hidden(settings):
    class Echoing(HalfSetTransport):
        def __init__(self, *, token: str = "", **options):
            raise ValueError(f"token {token} is not valid")

    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "teams": {"transport": Echoing, "templates": "log", "token": "tok-s3cret"}
    }
    [message] = run_checks(settings)
    assert "tok-s3cret" not in message.msg
    assert "token [secret] is not valid" in message.msg


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (
            {
                "class": "taskmanager.notifications.MailNotificationHandler",
                "recipients": "a@b.example",
                "from_email": ["a@b.example"],
            },
            "'from_email' must be a string, not list",
        ),
        (
            {"transport": LOCMEM, "templates": "log", "parts": 5},
            "'parts' must be a list of part names, not int",
        ),
        ({"transport": LOCMEM, "templates": 3}, "'templates' must be a folder name as a string, not int: 3"),
        ({"transport": LOCMEM, "templates": Path("log")}, "'templates' must be a folder name as a string"),
        ({"transport": LOCMEM, "templates": "/etc"}, "not a path outside the template folders: '/etc'"),
        ({"transport": LOCMEM, "templates": "../log"}, "not a path outside the template folders: '../log'"),
        (
            {"transport": LOCMEM, "templates": "log", "max_attempts": "3"},
            "'max_attempts' must be a whole number",
        ),
        (
            {"transport": LOCMEM, "templates": "log", "deadline": [60]},
            "'deadline' must be a number of seconds",
        ),
    ],
)
def test_an_option_of_the_wrong_type_is_e006_not_a_crash(settings, entry, words):
    [message] = run_checks(settings, {"wrong": entry})
    assert message.id == "taskmanager.E006"
    assert message.msg.startswith("Notification handler 'wrong': ")
    assert words in message.msg
    assert message.hint


def test_the_check_command_reports_wrong_types_as_system_check_errors(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"wrong": {"transport": LOCMEM, "templates": 3}}
    with pytest.raises(SystemCheckError, match=r"taskmanager\.E006"):
        # No database: Django 6.1's check would otherwise query every one (the tests' are closed).
        call_command("check", databases=[])


@pytest.mark.parametrize(
    ("entry", "key", "meant"),
    [
        (
            {"class": "taskmanager.notifications.MailNotificationHandler", "recipient": "ops@example.com"},
            "recipient",
            "recipients",
        ),
        (
            {"class": "taskmanager.notifications.MailNotificationHandler", "recipient": ""},
            "recipient",
            "recipients",
        ),
        (
            {"class": "taskmanager.notifications.SlackNotificationHandler", "token": "", "channels": "#ops"},
            "channels",
            "channel",
        ),
        ({"transport": LOCMEM, "templates": "log", "levle": "ok"}, "levle", "level"),
    ],
)
def test_a_misspelt_option_is_e005_with_the_option_it_resembles_never_w001(settings, entry, key, meant):
    [message] = run_checks(settings, {"typo": entry})
    assert message.id == "taskmanager.E005"
    assert f"unknown option {key!r}" in message.msg
    assert message.hint.startswith(f"Did you mean {meant!r}?")


def test_a_handler_name_longer_than_a_delivery_record_holds_is_e001(settings):
    [message] = run_checks(settings, {"n" * 101: {"transport": LOCMEM, "templates": "log"}})
    assert message.id == "taskmanager.E001"
    assert "its name is 101 characters long; a delivery record holds at most 100" in message.msg


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("/srv/templates", "must be a list of folders, not a single str: '/srv/templates'"),
        (Path("/srv/templates"), "must be a list of folders, not a single PosixPath"),
        ({"dir": "/srv"}, "must be a list of folders, not dict"),
        ([5], "holds 5 (int), which is not a folder path"),
    ],
)
def test_template_dirs_that_are_not_a_list_of_paths_are_e010_not_a_crash(settings, value, words):
    messages = run_checks(settings, {}, UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS=value)
    assert ids(messages)[0] == "taskmanager.E010"
    assert words in messages[0].msg


# -- check --deploy renders every handler at every level it sends at -------------------------


def deploy_checks(settings, handlers, **more):
    if handlers is not None:
        settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = handlers
    for key, value in more.items():
        setattr(settings, key, value)
    messages = checks.run_checks(include_deployment_checks=True, tags=["taskmanager"])
    return [m for m in messages if m.id and m.id.startswith("taskmanager.")]


@pytest.fixture
def folder(tmp_path, settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path)]
    return tmp_path


SLACK = {"class": "taskmanager.notifications.SlackNotificationHandler", "token": "xoxb-1", "channel": "#ops"}


def test_deploy_names_a_missing_extended_template_with_its_file_and_line(settings, folder):
    (folder / "slack").mkdir()
    template = folder / "slack" / "failed.json"
    template.write_text('{#- a comment -#}\n{% extends "shipped/slack/defualt.json" %}\n')
    messages = deploy_checks(settings, {"slack": SLACK})
    assert ids(messages) == ["taskmanager.E011"]
    assert messages[0].msg.startswith(
        f"Notification handler 'slack' cannot render the sample report at level failed: {template}, line 2: "
        "Template 'shipped/slack/defualt.json' (used by 'slack/failed.json') not found"
    )
    assert "preview_notifications --handler slack --level failed" in messages[0].hint


def test_deploy_names_an_undefined_variable_with_its_file_and_line(settings, folder):
    (folder / "log").mkdir()
    template = folder / "log" / "default.txt"
    template.write_text("{{ task_name }}\n{{ taks_name }}\n")
    messages = deploy_checks(settings, {"log": {"class": "taskmanager.notifications.LogNotificationHandler"}})
    assert ids(messages) == ["taskmanager.E011"]
    # The folder's own default.txt serves the policy's recovery and reminder too.
    assert messages[0].msg == (
        "Notification handler 'log' cannot render the sample report at level errors, failed, "
        f"ok as a recovery, errors as a reminder: {template}, line 2: "
        "UndefinedError: 'taks_name' is undefined (from "
        f"UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS ({folder}))"
    )


def test_deploy_reports_output_its_transport_cannot_use(settings, folder):
    (folder / "webhook").mkdir()
    template = folder / "webhook" / "default.json"
    template.write_text('{"text": {{ task_name }}}\n')  # not |tojson: invalid JSON
    handlers = {"hook": {"class": "taskmanager.notifications.WebhookNotificationHandler", "url": "http://x/"}}
    messages = deploy_checks(settings, handlers)
    assert ids(messages) == ["taskmanager.E011"]
    assert f"{template}: the rendered 'json' part is not usable" in messages[0].msg


def test_deploy_reports_a_handler_whose_own_context_fails_on_the_sample(settings):
    handlers = {"by_category": {"class": "tests.notifications.test_emission_faults.CategoryHandler"}}
    messages = deploy_checks(settings, handlers)
    assert ids(messages) == ["taskmanager.E011"]
    assert "context failed: AttributeError: 'NoneType' object has no attribute 'name'" in messages[0].msg


def test_the_shipped_templates_render_for_every_built_in_handler_at_every_level(settings):
    handlers = {
        "slack": {**SLACK, "level": "ok"},
        "mail": {
            "class": "taskmanager.notifications.MailNotificationHandler",
            "recipients": "a@b.example",
            "level": "ok",
        },
        "hook": {
            "class": "taskmanager.notifications.WebhookNotificationHandler",
            "url": "http://x/",
            "level": "ok",
        },
        "log": {"class": "taskmanager.notifications.LogNotificationHandler", "level": "ok"},
    }
    assert deploy_checks(settings, handlers) == []


def test_plain_check_does_not_render(settings, folder):
    (folder / "log").mkdir()
    (folder / "log" / "default.txt").write_text("{{ taks_name }}\n")
    assert run_checks(settings, {"log": {"class": "taskmanager.notifications.LogNotificationHandler"}}) == []


# -- a file no level uses --------------------------------------------------------------------


def test_a_misspelt_template_file_name_is_w003_with_the_name_it_resembles(settings, folder):
    (folder / "slack").mkdir()
    (folder / "slack" / "default.json").write_text('{% extends "shipped/slack/default.json" %}')
    (folder / "slack" / "faild.json").write_text('{% extends "shipped/slack/default.json" %}')
    messages = run_checks(settings, {"slack": SLACK})
    assert ids(messages) == ["taskmanager.W003"]
    assert messages[0].msg.startswith(f"Notification template {folder / 'slack' / 'faild.json'} is not used")
    assert "named <level>.<part>, default.<part> or <event>.<part>" in messages[0].msg
    assert messages[0].hint == "Did you mean 'failed.json'?"


def test_a_file_another_template_includes_is_not_w003(settings, folder):
    (folder / "log").mkdir()
    (folder / "log" / "default.txt").write_text('{% include "log/signature.txt" %}')
    (folder / "log" / "signature.txt").write_text("-- the ops team")
    assert run_checks(settings, {"log": {"class": "taskmanager.notifications.LogNotificationHandler"}}) == []


def test_files_that_are_not_a_parts_template_are_not_w003(settings, folder):
    (folder / "log").mkdir()
    (folder / "log" / "default.txt").write_text("{{ task_name }}")
    (folder / "log" / "README.md").write_text("our templates")
    assert run_checks(settings, {"log": {"class": "taskmanager.notifications.LogNotificationHandler"}}) == []


def test_deploy_renders_a_projects_recovery_template_and_names_it(settings, folder):
    (folder / "slack").mkdir()
    template = folder / "slack" / "recovered.json"
    template.write_text('{% extends "shipped/slack/recovered.json" %}\n{% set x = streek + 1 %}\n')
    messages = deploy_checks(settings, {"slack": {**SLACK, "notify": "change"}})
    assert ids(messages) == ["taskmanager.E011"]
    assert messages[0].msg.startswith(
        "Notification handler 'slack' cannot render the sample report at level ok as a recovery: "
        f"{template}, line 2: UndefinedError: 'streek' is undefined"
    )
    assert "--level ok --event recovered" in messages[0].hint


def test_the_shipped_recovery_and_reminder_templates_pass_the_deploy_checks(settings):
    handlers = {
        "slack": {**SLACK, "notify": "change", "remind_every": "1h"},
        "mail": {"class": "taskmanager.notifications.MailNotificationHandler", "recipients": "a@example.com"},
        "hook": {
            "class": "taskmanager.notifications.WebhookNotificationHandler",
            "url": "https://x.example.com",
        },
        "log": {"class": "taskmanager.notifications.LogNotificationHandler", "level": "failed"},
    }
    assert deploy_checks(settings, handlers) == []


def test_a_recovered_file_is_no_misspelt_template(settings, folder):
    (folder / "slack").mkdir()
    (folder / "slack" / "recovered.json").write_text('{% extends "shipped/slack/recovered.json" %}')
    (folder / "slack" / "reminder.json").write_text('{% extends "shipped/slack/reminder.json" %}')
    assert run_checks(settings, {"slack": SLACK}) == []
