"""taskmanager.results: the one result type, ok < warnings < errors < failed, and the line rule."""

from __future__ import annotations

import json

import pytest
from django.template import Context, Template

from taskmanager.notifications import Level as PublicLevel
from taskmanager.notifications.rendering import get_renderer
from taskmanager.results import (
    Level,
    Result,
    level_of_result,
    line_result,
    line_severity,
    parse_level,
    parse_result,
)


def test_results_are_ordered_by_seriousness() -> None:
    assert Result.OK < Result.WARNINGS < Result.ERRORS < Result.FAILED
    assert sorted([Result.FAILED, Result.OK, Result.ERRORS, Result.WARNINGS]) == list(Result)
    assert max(Result.WARNINGS, Result.ERRORS) is Result.ERRORS
    assert Result.ERRORS >= Result.ERRORS
    assert not Result.OK >= Result.ERRORS  # alphabetically "ok" >= "errors"


def test_a_result_compares_in_order_with_a_plain_result_name() -> None:
    assert Result.WARNINGS < "errors"
    assert "errors" > Result.WARNINGS  # noqa: SIM300 (the string on the left is the point)
    assert not "ok" >= Result.ERRORS  # noqa: SIM300
    assert Result.FAILED >= "failed"


@pytest.mark.parametrize("other", ["ERRORS", "zebra", "", 20, None])
def test_ordering_against_anything_but_a_result_name_is_refused(other: object) -> None:
    with pytest.raises(TypeError):
        _ = Result.OK < other  # noqa: SIM300


def test_a_result_is_its_name() -> None:
    assert Result.ERRORS == "errors"
    assert hash(Result.ERRORS) == hash("errors")
    assert {"errors": 1}[Result.ERRORS] == 1
    assert str(Result.ERRORS) == "errors"
    assert f"{Result.ERRORS}" == "errors"
    assert f"[{Result.OK:>4}]" == "[  ok]"
    assert "%s" % Result.FAILED == "failed"  # noqa: UP031
    assert Result.WARNINGS.label == "warnings"
    assert Result.names() == ["ok", "warnings", "errors", "failed"]


def test_json_gives_the_name() -> None:
    assert json.dumps({Result.OK: Result.FAILED}) == '{"ok": "failed"}'


def test_templates_give_the_name_and_compare_it() -> None:
    jinja = get_renderer().env.from_string(
        '{{ level }} {{ level|upper }} {{ "[" ~ level ~ "]" }} {{ {"level": level}|tojson }} '
        '{{ level == "errors" }} {{ level >= "warnings" }}'
    )
    assert jinja.render(level=Result.ERRORS) == 'errors ERRORS [errors] {"level": "errors"} True True'
    django = Template("{{ level }} {% if level == 'errors' %}yes{% endif %}")
    assert django.render(Context({"level": Result.ERRORS})) == "errors yes"


def test_2x_ranks_are_kept() -> None:
    assert [result.rank for result in Result] == [0, 10, 20, 30]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("errors", Result.ERRORS),
        (" ERRORS ", Result.ERRORS),
        ("Warnings", Result.WARNINGS),
        (Result.OK, Result.OK),
        (0, Result.OK),
        (10, Result.WARNINGS),
        (20, Result.ERRORS),
        (30, Result.FAILED),
        ("warning", Result.WARNINGS),
        ("error", Result.ERRORS),
        ("failure", Result.FAILED),
        ("fail", Result.FAILED),
    ],
)
def test_parsing_takes_names_2x_integers_and_2x_spellings(value: object, expected: Result) -> None:
    assert parse_result(value) is expected
    assert Result(value) is expected


@pytest.mark.parametrize("value", ["loud", "", 15, True, None, 2.0])
def test_parsing_anything_else_is_a_value_error(value: object) -> None:
    with pytest.raises(ValueError, match="unknown level"):
        parse_result(value)
    with pytest.raises(ValueError, match="not a valid Result"):
        Result(value)


def test_level_is_3_0s_name_of_the_same_type() -> None:
    assert Level is Result
    assert PublicLevel is Result
    assert parse_level is parse_result
    assert Result["ERRORS"] is Result.ERRORS  # by its Python name, as 3.0 looked a Level up


@pytest.mark.parametrize(
    ("stored", "expected"),
    [("ok", Result.OK), ("failed", Result.FAILED), ("", None), (None, None), ("unknown", None)],
)
def test_the_result_a_report_stores(stored: str | None, expected: Result | None) -> None:
    # The field's "" (no result yet) and a value 3.x does not know are no result.
    assert level_of_result(stored) is expected


@pytest.mark.parametrize(
    ("line", "result", "severity"),
    [
        ("2026-03-02 03:00:01 ERROR   stock.csv row 1,877 rejected", Result.ERRORS, "error"),
        ("[ERROR] cannot connect", Result.ERRORS, "error"),
        ("WARNING and ERROR on one line", Result.ERRORS, "error"),
        ("ERRORS: 0", Result.ERRORS, "error"),
        ("2026-03-02 03:00:01 WARNING stock.csv: warehouse unknown", Result.WARNINGS, "warning"),
        ("FOREWARNINGS", Result.WARNINGS, "warning"),
        ("error: lower case is not counted", None, ""),
        ("[WARN] not the word", None, ""),
        ("CRITICAL is a logging level, not a word of the rule", None, ""),
        ("", None, ""),
    ],
)
def test_a_lines_severity_is_2x_rule(line: str, result: Result | None, severity: str) -> None:
    assert line_result(line) is result
    assert line_severity(line) == severity
