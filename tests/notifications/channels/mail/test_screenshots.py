"""scripts/screenshot_mails.py: the docs' screenshots of the default HTML mail, in headless chromium."""

import pytest

from tests import screenshots
from tests.notifications.html_checks import css_left_uninlined
from tests.screenshots import png_size


def load_script():
    return screenshots.load_script("screenshot_mails")


@pytest.mark.browser
def test_it_writes_a_screenshot_of_the_mail_at_every_level(tmp_path):
    written = load_script().screenshot_mails(tmp_path)
    assert sorted(p.name for p in written) == [
        "mail-errors.png",
        "mail-failed.png",
        "mail-ok.png",
        "mail-warnings.png",
    ]
    sizes = {path.name: png_size(path) for path in written}
    for name, (width, height) in sizes.items():
        assert width > 300, name
        assert height > 600, name  # the whole mail, not a blank viewport
        assert (tmp_path / name).stat().st_size > 20_000, name  # content, not a flat colour


def test_the_rendered_pages_differ_by_level_and_are_inlined():
    pages = load_script().render_mails()
    assert set(pages) == {"ok", "warnings", "errors", "failed"}
    assert len(set(pages.values())) == 4
    for html in pages.values():
        assert css_left_uninlined(html) == []
        assert "Nightly catalogue import" in html
