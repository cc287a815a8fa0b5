import json
import os
import sys
from pathlib import Path

import pytest
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from taskmanager.notifications import rendering
from taskmanager.notifications.exceptions import NotificationTemplateError, TemplateNotFound
from taskmanager.notifications.rendering import (
    _json_dumps,
    get_renderer,
    reset_renderer,
    shipped_templates_dir,
)

CONTEXT = {"task_name": "nightly <import> & co", "level": "errors"}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def app_folder(tmp_path, settings):
    """A stand-in for an installed app's notification_templates/ folder."""
    app = tmp_path / "fakeapp"
    (app / "notification_templates").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "fakeapp"]
    yield app / "notification_templates"
    sys.path.remove(str(tmp_path))
    sys.modules.pop("fakeapp", None)


@pytest.fixture
def settings_folder(tmp_path, settings):
    folder = tmp_path / "project_templates"
    folder.mkdir()
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(folder)]
    return folder


@pytest.fixture
def shipped_folder(tmp_path, monkeypatch):
    """The shipped defaults moved to a temporary folder: no test writes into the repository's."""
    folder = tmp_path / "shipped"
    folder.mkdir()
    monkeypatch.setattr(rendering, "shipped_templates_dir", lambda: folder)
    reset_renderer()
    yield folder
    reset_renderer()


def render(folder="log", level="errors", part="txt", context=None):
    renderer = get_renderer()
    name, _root = renderer.resolve(folder, level, part)
    return renderer.render(name, context or CONTEXT)


def test_the_settings_folder_beats_an_app_folder_which_beats_the_shipped_default(settings_folder, app_folder):
    write(app_folder, "log/default.txt", "from the app")
    assert render() == "from the app"
    write(settings_folder, "log/default.txt", "from settings")
    reset_renderer()
    assert render() == "from settings"


def test_an_app_folder_beats_the_shipped_default(app_folder):
    write(app_folder, "log/errors.txt", "app errors")
    assert render(level="errors") == "app errors"
    # The app has no file for "ok": that level still comes from the shipped defaults.
    name, root = get_renderer().resolve("log", "ok", "txt")
    assert (name, root.origin) == ("log/default.txt", "shipped defaults")
    assert get_renderer().resolve("log", "errors", "txt")[1].origin == "app fakeapp"


def test_a_per_level_file_beats_default_in_the_same_folder(settings_folder):
    write(settings_folder, "teams/default.json", "default")
    write(settings_folder, "teams/failed.json", "failed")
    assert render("teams", "failed", "json") == "failed"
    assert render("teams", "errors", "json") == "default"


def test_the_first_folder_having_either_file_wins(settings_folder, app_folder):
    # The project's default.<part> restyles every level, even where a later
    # folder has a per-level file.
    write(settings_folder, "teams/default.json", "project default")
    write(app_folder, "teams/errors.json", "app errors")
    assert render("teams", "errors", "json") == "project default"


def test_an_override_can_extend_a_shipped_default_and_replace_one_block(settings_folder, shipped_folder):
    write(shipped_folder, "zz_test/default.txt", "A {% block middle %}shipped{% endblock %} Z")
    write(
        settings_folder,
        "zz_test/default.txt",
        '{% extends "shipped/zz_test/default.txt" %}{% block middle %}mine{% endblock %}',
    )
    assert render("zz_test") == "A mine Z"


def test_a_missing_part_lists_every_path_tried(settings_folder):
    with pytest.raises(TemplateNotFound) as excinfo:
        render("nowhere", "failed", "json")
    tried = excinfo.value.tried
    assert str(settings_folder / "nowhere/failed.json") in tried
    assert str(settings_folder / "nowhere/default.json") in tried
    assert str(shipped_templates_dir() / "nowhere/default.json") in tried
    assert "tried:" in str(excinfo.value)


def test_html_parts_are_escaped_and_text_parts_are_not(settings_folder):
    write(settings_folder, "x/default.html", "<b>{{ task_name }}</b>")
    write(settings_folder, "x/default.txt", "{{ task_name }}")
    assert render("x", part="html") == "<b>nightly &lt;import&gt; &amp; co</b>"
    assert render("x", part="txt") == "nightly <import> & co"


def test_json_parts_embed_values_safely_with_tojson(settings_folder):
    write(settings_folder, "x/default.json", '{"text": {{ task_name|tojson }}}')
    assert json.loads(render("x", part="json")) == {"text": "nightly <import> & co"}


JSON_VALUES = [
    "plain",
    'caffè 🎉 <b>"quoted"</b>\n\ttab \u2028',
    Markup("<i>safe</i>"),
    {"b": [1, 2.5, None, True], "a": {"z": "é", "y": []}},
    [3, "x"],
    7,
]


@pytest.mark.parametrize("value", JSON_VALUES)
@pytest.mark.parametrize(
    "options",
    [
        {"sort_keys": True},
        {"sort_keys": True, "indent": 2},
        {},
        {"separators": [",", ":"]},
        {"ensure_ascii": False},
    ],
)
def test_tojson_dumps_exactly_as_json_dumps(value, options):
    assert _json_dumps(value, **options) == json.dumps(value, **options)


@pytest.mark.parametrize("value", JSON_VALUES)
def test_the_tojson_filter_writes_what_jinja_would_with_json_dumps(value):
    template = get_renderer().env.from_string("{{ value|tojson }}")
    assert template.render(value=value) == htmlsafe_json_dumps(value, dumps=json.dumps, sort_keys=True)


def test_the_mrkdwn_filter_escapes_slack_control_characters(settings_folder):
    write(settings_folder, "x/default.txt", "{{ '<!channel> <@U1> <http://x|y> & more'|mrkdwn }}")
    assert render("x") == "&lt;!channel&gt; &lt;@U1&gt; &lt;http://x|y&gt; &amp; more"


def test_the_markdown_filter_renders_html(settings_folder):
    write(settings_folder, "x/default.html", "{{ '**bold** and <tag>'|markdown }}")
    assert "<strong>bold</strong>" in render("x", part="html")


def test_a_typo_in_a_variable_is_an_error_naming_the_file_and_line(settings_folder):
    path = write(settings_folder, "x/default.txt", "line one\n{{ task_nmae }}\n")
    with pytest.raises(NotificationTemplateError) as excinfo:
        render("x")
    assert excinfo.value.filename == str(path)
    assert excinfo.value.lineno == 2
    assert "task_nmae" in str(excinfo.value)
    assert "UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS" in str(excinfo.value)


def test_a_syntax_error_names_the_file_and_line(settings_folder):
    path = write(settings_folder, "x/default.txt", "ok\nok\n{% if %}\n")
    with pytest.raises(NotificationTemplateError) as excinfo:
        render("x")
    assert excinfo.value.filename == str(path)
    assert excinfo.value.lineno == 3


def test_templates_are_compiled_once(settings_folder):
    write(settings_folder, "x/default.txt", "{{ task_name }}")
    renderer = get_renderer()
    first = renderer.compile("x/default.txt")
    assert renderer.compile("x/default.txt") is first


def test_an_edited_template_is_rendered_as_it_was_loaded_unless_debug_reloads_it(settings, settings_folder):
    path = write(settings_folder, "x/default.txt", "first {{ task_name }}")
    assert get_renderer().render("x/default.txt", CONTEXT) == "first nightly <import> & co"
    path.write_text("second")
    assert get_renderer().render("x/default.txt", CONTEXT) == "first nightly <import> & co"

    settings.DEBUG = True
    path.write_text("third")
    assert get_renderer().render("x/default.txt", CONTEXT) == "third"
    path.write_text("fourth")
    # Jinja checks the file's modification time: make it differ from the last write's.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    assert get_renderer().render("x/default.txt", CONTEXT) == "fourth"


def test_templates_see_jinjas_globals_and_a_context_value_beats_a_global(settings_folder):
    write(settings_folder, "x/default.txt", "{{ range(3)|list }} {{ namespace(a=1).a }} {{ dict }}")
    compiled = get_renderer().compile("x/default.txt")
    assert type(compiled.globals) is dict
    assert get_renderer().render("x/default.txt", {"dict": "ours"}) == "[0, 1, 2] 1 ours"


@pytest.mark.parametrize("as_given", [str, Path])
def test_one_template_folder_given_alone_is_searched_as_a_folder_not_as_its_characters(
    settings, tmp_path, as_given
):
    write(tmp_path, "log/default.txt", "ours")
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = as_given(tmp_path)
    assert rendering.search_roots()[0].path == Path(tmp_path)
    assert get_renderer().render("log/default.txt", CONTEXT) == "ours"


def test_template_folder_entries_that_are_not_paths_are_left_out(settings, tmp_path):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [5, str(tmp_path), None]
    assert rendering.template_dirs() == [str(tmp_path)]


def test_a_missing_extended_template_names_the_file_and_line_that_extends_it(settings, tmp_path):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path)]
    template = write(tmp_path, "slack/default.json", '\n{% extends "shipped/slack/defualt.json" %}')
    with pytest.raises(TemplateNotFound) as caught:
        get_renderer().render("slack/default.json", CONTEXT)
    assert (caught.value.filename, caught.value.lineno) == (str(template), 2)


def test_a_recovery_or_a_reminder_tries_its_own_template_before_the_levels(settings_folder):
    write(settings_folder, "teams/default.json", "default")
    write(settings_folder, "teams/ok.json", "ok")
    write(settings_folder, "teams/recovered.json", "recovered")
    renderer = get_renderer()
    assert renderer.resolve("teams", "ok", "json", "recovered")[0] == "teams/recovered.json"
    assert renderer.resolve("teams", "ok", "json", "reminder")[0] == "teams/ok.json"
    assert renderer.resolve("teams", "ok", "json", "triggered")[0] == "teams/ok.json"
    assert renderer.resolve("teams", "ok", "json")[0] == "teams/ok.json"


def test_a_projects_default_serves_recoveries_too_unless_it_has_a_recovered_file(settings_folder):
    # The first folder having any candidate wins, as for levels.
    write(settings_folder, "log/default.txt", "project default")
    assert get_renderer().resolve("log", "ok", "txt", "recovered")[0] == "log/default.txt"
    write(settings_folder, "log/recovered.txt", '{% extends "shipped/log/recovered.txt" %}')
    reset_renderer()
    name, root = get_renderer().resolve("log", "ok", "txt", "recovered")
    assert (name, root.path) == ("log/recovered.txt", settings_folder)


def test_a_missing_event_template_lists_it_among_the_paths_tried(settings_folder):
    with pytest.raises(TemplateNotFound) as caught:
        get_renderer().resolve("nowhere", "ok", "json", "reminder")
    assert caught.value.tried[0] == str(settings_folder / "nowhere" / "reminder.json")
