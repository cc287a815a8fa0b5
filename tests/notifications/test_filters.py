"""The Jinja filters of the notification templates."""

import pytest

from taskmanager.notifications.filters import log_severity
from taskmanager.notifications.rendering import get_renderer


@pytest.mark.parametrize(
    ("line", "severity"),
    [
        ("2026-03-02 03:00:01 ERROR   stock.csv row 1,877 rejected", "error"),
        ("[ERROR] cannot connect", "error"),
        ("ERROR: cannot connect", "error"),
        ("error: lower case counts too", "error"),
        ("CRITICAL disk full", "error"),
        ("Traceback (most recent call last):", "error"),
        ("2026-03-02 03:00:01 WARNING stock.csv: warehouse unknown", "warning"),
        ("[WARN] slow answer", "warning"),
        ("WARNING and ERROR on one line", "error"),
        ("no errors found", ""),
        ("ERRORS: 0", ""),
        ("forewarning", ""),
        ("", ""),
    ],
)
def test_log_severity_reads_the_level_word_a_line_carries(line, severity):
    assert log_severity(line) == severity


def test_log_severity_is_a_filter_of_the_templates():
    template = get_renderer().env.from_string("{{ line|log_severity }}")
    assert template.render(line="[WARN] x") == "warning"
