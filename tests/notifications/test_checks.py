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
