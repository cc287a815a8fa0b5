"""Fixtures of the execution tests: every run's log files go to a temporary media folder."""

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _runs_write_under_a_temporary_media_root(media_root: Path) -> None:
    """Every execution test runs tasks; their log files go under the shared ``media_root``."""
