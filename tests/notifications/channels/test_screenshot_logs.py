"""scripts/screenshot_logs.py: the docs' pictures of the log attached to a mail and replied in a
Slack thread, in headless chromium."""

import pytest

from tests import screenshots
from tests.screenshots import png_size


def load_script():
    return screenshots.load_script("screenshot_logs")


def test_the_mail_page_shows_the_attachment_and_the_note_of_the_cut(tmp_path):
    script = load_script()
    report = script.sample(tmp_path, log_bytes=64 * 1024)

    page = script.mail_page(report, max_bytes=16 * 1024)

    assert "nightly-catalogue-import-1234.log</div>" in page
    assert "The log is attached, cut to its end" in page
    assert "[failed] Nightly catalogue import failed" in page


def test_the_slack_page_shows_the_message_and_the_log_reply_in_its_thread(tmp_path):
    script = load_script()
    report = script.sample(tmp_path, log_bytes=64 * 1024)

    page = script.slack_page(report)

    assert page.count('class="tm-slack"') == 3  # the message, again atop its thread, the reply
    assert "Last 50 log lines" in page
    assert "CommandError: prices.csv" in page


@pytest.mark.browser
def test_it_writes_the_two_screenshots(tmp_path):
    written = load_script().screenshot_logs(tmp_path)

    assert sorted(path.name for path in written) == ["mail-attached-log.png", "slack-thread-log.png"]
    for path in written:
        width, height = png_size(path)
        assert width > 900, path.name
        assert height > 1500, path.name  # the whole page, not a blank viewport
        assert path.stat().st_size > 50_000, path.name  # content, not a flat colour
