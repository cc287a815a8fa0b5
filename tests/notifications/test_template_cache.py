"""Compiled templates are kept on disk between processes (UWSGI_TASKMANAGER_TEMPLATE_CACHE)."""

from taskmanager.notifications.rendering import get_renderer, reset_renderer


def render(context):
    renderer = get_renderer()
    return renderer.render(renderer.resolve("x", "ok", "txt")[0], context)


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_compiled_templates_are_written_to_the_cache_folder(settings, tmp_path):
    cache = tmp_path / "cache"
    settings.UWSGI_TASKMANAGER_TEMPLATE_CACHE = str(cache)
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path / "templates")]
    write(tmp_path / "templates", "x/default.txt", "hello {{ name }}")
    assert render({"name": "ada"}) == "hello ada"
    assert len(list(cache.iterdir())) == 1


def test_a_new_process_renders_from_the_cache_and_an_edit_is_seen(settings, tmp_path):
    settings.UWSGI_TASKMANAGER_TEMPLATE_CACHE = str(tmp_path / "cache")
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path / "templates")]
    write(tmp_path / "templates", "x/default.txt", "one {{ name }}")
    assert render({"name": "a"}) == "one a"
    reset_renderer()  # as a fresh process would
    assert render({"name": "b"}) == "one b"
    write(tmp_path / "templates", "x/default.txt", "two {{ name }}")
    reset_renderer()
    assert render({"name": "c"}) == "two c"
    assert len(list((tmp_path / "cache").iterdir())) == 1  # the entry was replaced


def test_none_turns_the_cache_off(settings):
    settings.UWSGI_TASKMANAGER_TEMPLATE_CACHE = None
    assert get_renderer().env.bytecode_cache is None
