"""taskmanager.testing: the snapshot helper projects use to catch changes in their notifications."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from taskmanager.testing import assert_notifications_match_snapshots, render_notification_snapshots

EXPECTED_FILES = sorted(
    f"{handler}-{level}.{part}"
    for level in ("ok", "warnings", "errors", "failed")
    for handler, parts in (("mail", ("subject.txt", "txt", "html")), ("slack", ("json",)), ("log", ("txt",)))
    for part in parts
)


@pytest.fixture(autouse=True)
def handlers(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {
            "class": "taskmanager.notifications.MailNotificationHandler",
            "recipients": "ops@example.com",
        },
        "slack": {
            "class": "taskmanager.notifications.SlackNotificationHandler",
            "token": "xoxb-snapshot-secret",
            "channel": "#ops",
        },
        "log": {"class": "taskmanager.notifications.LogNotificationHandler"},
        "teams": {"class": "taskmanager.notifications.WebhookNotificationHandler", "url": ""},
    }


@pytest.fixture
def snapshots(tmp_path) -> Path:
    folder = tmp_path / "notification_snapshots"
    assert_notifications_match_snapshots(folder, update=True)
    return folder


@pytest.fixture
def override(settings, tmp_path) -> Path:
    folder = tmp_path / "templates"
    (folder / "mail").mkdir(parents=True)
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(folder)]
    return folder


def test_update_writes_one_file_per_handler_level_and_part(tmp_path):
    written = assert_notifications_match_snapshots(tmp_path / "snaps", update=True)
    assert sorted(path.name for path in written) == EXPECTED_FILES
    assert sorted(path.name for path in (tmp_path / "snaps").iterdir()) == EXPECTED_FILES
    assert "[failed] Nightly catalogue import" in (tmp_path / "snaps" / "mail-failed.subject.txt").read_text()


def test_it_passes_when_every_stored_file_matches(snapshots):
    assert assert_notifications_match_snapshots(snapshots, update=False) == []


def test_a_changed_template_fails_with_a_unified_diff(snapshots, override):
    (override / "mail" / "default.subject.txt").write_text("{{ level|upper }}: {{ task_name }}\n")
    with pytest.raises(AssertionError) as info:
        assert_notifications_match_snapshots(snapshots, update=False)
    message = str(info.value)
    assert f"--- {snapshots / 'mail-errors.subject.txt'} (stored)\n" in message
    assert "+++ mail-errors.subject.txt (rendered now)\n" in message
    assert "-[errors] Nightly catalogue import: 2 errors, 1 warning\n" in message
    assert "+ERRORS: Nightly catalogue import\n" in message
    assert message.count("(rendered now)") == 4  # the subject at each level, nothing else
    assert "UPDATE_SNAPSHOTS=1" in message
    # Nothing was written: the stored files still say what was reviewed.
    assert (snapshots / "mail-errors.subject.txt").read_text().startswith("[errors]")


def test_a_missing_snapshot_fails_and_is_named(snapshots):
    (snapshots / "slack-ok.json").unlink()
    with pytest.raises(AssertionError, match=r"Missing snapshots:\n  .*slack-ok\.json"):
        assert_notifications_match_snapshots(snapshots, update=False)


def test_update_rewrites_only_the_files_that_changed(snapshots, override):
    (override / "mail" / "ok.txt").write_text("All good: {{ task_name }}\n")
    written = assert_notifications_match_snapshots(snapshots, update=True)
    assert [path.name for path in written] == ["mail-ok.txt"]
    assert (snapshots / "mail-ok.txt").read_text() == "All good: Nightly catalogue import\n"
    assert assert_notifications_match_snapshots(snapshots, update=False) == []


def test_update_defaults_to_the_update_snapshots_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("UPDATE_SNAPSHOTS", "0")
    with pytest.raises(AssertionError, match="Missing snapshots"):
        assert_notifications_match_snapshots(tmp_path)
    monkeypatch.setenv("UPDATE_SNAPSHOTS", "1")
    assert len(assert_notifications_match_snapshots(tmp_path)) == len(EXPECTED_FILES)


def test_the_output_does_not_depend_on_the_clock(monkeypatch):
    before = render_notification_snapshots()
    later = datetime.datetime(2031, 7, 14, 23, 59, tzinfo=datetime.timezone.utc)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert render_notification_snapshots() == before


def test_handlers_and_levels_narrow_what_is_compared(tmp_path):
    written = assert_notifications_match_snapshots(
        tmp_path, handlers=["slack"], levels=["failed", "ok"], update=True
    )
    assert sorted(path.name for path in written) == ["slack-failed.json", "slack-ok.json"]


def test_a_template_error_fails_naming_the_file_and_line(tmp_path, override):
    broken = override / "mail" / "default.txt"
    broken.write_text("{{ task_name }}\n{{ task_nme }}\n")
    with pytest.raises(AssertionError) as info:
        assert_notifications_match_snapshots(tmp_path, update=True)
    assert f"mail at ok: template {broken}, line 2 (from UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS" in str(
        info.value
    )
    assert not list(tmp_path.glob("*.txt"))


def test_a_difference_in_the_final_newline_alone_is_explained(snapshots):
    stored = snapshots / "log-ok.txt"
    stored.write_text(stored.read_text().removesuffix("\n"))
    with pytest.raises(AssertionError, match=r"\(they differ in line endings or the final newline\)"):
        assert_notifications_match_snapshots(snapshots, update=False)
