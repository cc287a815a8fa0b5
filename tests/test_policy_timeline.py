"""docs/policy_timeline.py: the picture of a night under each ``notify`` setting is what the policy
decides, and the committed SVG is up to date."""

import datetime
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def timeline() -> ModuleType:
    spec = importlib.util.spec_from_file_location("policy_timeline", ROOT / "docs" / "policy_timeline.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def rows(timeline: ModuleType) -> dict[str, list[str]]:
    """Each setting's row as words: the event sent, ``quiet`` or ``-``."""
    drawn = timeline.timeline(timeline.policy_decide(), datetime.datetime(2026, 3, 2, 1, 0))
    return {
        label: [cell.event or ("quiet" if cell.skipped else "-") for cell in cells] for label, cells in drawn
    }


def test_the_picture_shows_what_the_policy_decides_for_each_setting(timeline: ModuleType) -> None:
    # ok, errors, failed, failed, failed, failed an hour after the last message, errors, ok
    assert rows(timeline) == {
        'notify: "every"': ["-", "report", "report", "report", "report", "report", "report", "-"],
        'notify: "change"': ["-", "triggered", "worse", "quiet", "quiet", "quiet", "quiet", "recovered"],
        'notify: "change", remind_every: "1h"': [
            "-",
            "triggered",
            "worse",
            "quiet",
            "quiet",
            "reminder",
            "quiet",
            "recovered",
        ],
    }


def test_the_committed_picture_is_up_to_date(timeline: ModuleType, capsys) -> None:
    assert timeline.main(["--check"]) == 0, capsys.readouterr().out


def test_the_picture_is_the_same_bytes_from_one_drawing_to_the_next(timeline: ModuleType) -> None:
    start = datetime.datetime(2026, 3, 2, 1, 0)
    decide = timeline.policy_decide()
    assert timeline.draw(timeline.timeline(decide, start), start) == timeline.draw(
        timeline.timeline(decide, start), start
    )
