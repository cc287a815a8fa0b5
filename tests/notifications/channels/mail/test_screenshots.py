"""scripts/screenshot_mails.py: the docs' screenshots of the default HTML mail, in headless chromium."""

import importlib.util
import struct
from pathlib import Path

import pytest

from tests.notifications.html_checks import css_left_uninlined

SCRIPT = Path(__file__).resolve().parents[4] / "scripts" / "screenshot_mails.py"


def load_script():
    spec = importlib.util.spec_from_file_location("screenshot_mails", SCRIPT)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


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
