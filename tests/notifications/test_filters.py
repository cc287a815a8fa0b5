"""The Jinja filters of the notification templates."""

import datetime

import pytest

from taskmanager.notifications.filters import log_severity, moment, mrkdwn_code, ordinal, runs
from taskmanager.notifications.rendering import get_renderer
from taskmanager.runs.sink import LogSink


@pytest.mark.parametrize(
    ("line", "severity"),
    [
        ("2026-03-02 03:00:01 ERROR   stock.csv row 1,877 rejected", "error"),
        ("[ERROR] cannot connect", "error"),
        ("ERROR: cannot connect", "error"),
        ("2026-03-02 03:00:01 WARNING stock.csv: warehouse unknown", "warning"),
        ("WARNING and ERROR on one line", "error"),
        ("no errors found", ""),
        ("forewarning", ""),
        ("", ""),
        # A rule of level words, which the filter once had, disagreed with the counts on these:
        ("ERRORS: 0", "error"),
        ("error: lower case is not counted", ""),
        ("CRITICAL disk full", ""),
        ("Traceback (most recent call last):", ""),
        ("[WARN] slow answer", ""),
    ],
)
def test_log_severity_follows_the_rule_of_the_reports_counts(line, severity):
    assert log_severity(line) == severity
    sink = LogSink(None, tail_lines=0, max_line_length=0)
    sink.write_text(line + "\n")
    sink.close()
    counted = "error" if sink.n_errors else "warning" if sink.n_warnings else ""
    assert counted == severity


def test_log_severity_is_a_filter_of_the_templates():
    template = get_renderer().env.from_string("{{ line|log_severity }}")
    assert template.render(line="[WARNING] x") == "warning"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain <!channel> & more", "plain &lt;!channel&gt; &amp; more"),
        ("a ``` b", "a `\u200b`\u200b` b"),
        ("````", "`\u200b`\u200b`\u200b`"),
        ("one ` tick", "one ` tick"),
    ],
)
def test_mrkdwn_code_escapes_and_leaves_no_two_backticks_side_by_side(text, escaped):
    assert mrkdwn_code(text) == escaped


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (22, "22nd"),
        (101, "101st"),
        (1012, "1,012th"),
    ],
)
def test_ordinal_says_the_place_of_a_run(number, text):
    assert ordinal(number) == text


@pytest.mark.parametrize(
    ("count", "result", "text"),
    [
        (5, "failed", "5 failed runs"),
        (1, "failed", "1 failed run"),
        (4, "errors", "4 runs with errors"),
        (2, "warnings", "2 runs with warnings or worse"),
        (1_200, "errors", "1,200 runs with errors"),
        (3, None, "3 runs"),
        (3, "nonsense", "3 runs"),
    ],
)
def test_runs_names_a_streak_by_what_each_of_its_runs_reached(count, result, text):
    assert runs(count, result) == text


def test_moment_is_the_time_for_today_and_the_date_too_otherwise(settings):
    settings.TIME_ZONE = "Europe/Rome"
    utc = datetime.timezone.utc
    now = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=utc)
    assert moment(datetime.datetime(2026, 11, 27, 1, 0, tzinfo=utc), now) == "02:00"
    assert moment(datetime.datetime(2026, 11, 26, 1, 0, tzinfo=utc), now) == "2026-11-26 02:00"
    assert moment(None, now) == "unknown"
