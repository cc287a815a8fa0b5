"""The settings reference documents every setting taskmanager reads."""

from pathlib import Path

from taskmanager.conf import DEFAULTS, PREFIX

SETTINGS_DOC = Path(__file__).resolve().parent.parent / "docs" / "settings.rst"


def test_every_setting_has_an_entry_in_the_settings_reference() -> None:
    text = SETTINGS_DOC.read_text(encoding="utf-8")

    undocumented = [name for name in DEFAULTS if f"\n``{PREFIX}{name}``\n" not in text]

    assert not undocumented, f"docs/settings.rst lacks an entry for {undocumented}"
