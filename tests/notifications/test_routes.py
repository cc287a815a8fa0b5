"""Routes: which tasks a handler hears of, by name and category patterns."""

import pytest

from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.routes import Route, parse_patterns


@pytest.mark.parametrize(
    ("route", "task", "category", "refusal"),
    [
        (Route(), "anything", None, None),
        (Route(tasks=("import *",)), "import prices", None, None),
        (Route(tasks=("import *",)), "Import prices", None, 'not routed: task "Import prices"'),
        (Route(tasks=("import ?rices",)), "import prices", "billing", None),
        (Route(exclude_tasks=("*test*",)), "import test", None, 'not routed: task "import test" is excluded'),
        (Route(categories=("bill*",)), "x", "billing", None),
        (Route(categories=("bill*",)), "x", "reports", 'not routed: category "reports"'),
        (Route(categories=("*",)), "x", None, "not routed: no category"),
        (Route(exclude_categories=("*",)), "x", None, None),
        (
            Route(exclude_categories=("billing",)),
            "x",
            "billing",
            'not routed: category "billing" is excluded',
        ),
    ],
)
def test_a_route_lets_a_task_through_or_says_why_not(route, task, category, refusal):
    assert route.refusal(task, category) == refusal
    assert route.accepts(task, category) is (refusal is None)


def test_tasks_and_categories_combine_with_and():
    route = Route(tasks=("import *",), categories=("billing",))
    assert route.accepts("import prices", "billing")
    assert route.refusal("import prices", "reports") == 'not routed: category "reports"'
    assert route.refusal("export prices", "billing") == 'not routed: task "export prices"'


def test_a_list_and_its_exclusions_combine_with_and():
    route = Route(tasks=("import *",), exclude_tasks=("* (test)",))
    assert route.accepts("import prices", None)
    assert route.refusal("import x (test)", None) == 'not routed: task "import x (test)" is excluded'
    assert route.refusal("export prices", None) == 'not routed: task "export prices"'
    route = Route(categories=("bill*",), exclude_categories=("billing-test",))
    assert route.accepts("x", "billing")
    assert route.refusal("x", "billing-test") == 'not routed: category "billing-test" is excluded'
    assert route.refusal("x", "reports") == 'not routed: category "reports"'


def test_an_empty_list_routes_nothing_and_an_absent_one_everything():
    assert Route(tasks=()).refusal("import", None) == 'not routed: task "import"'
    assert Route().is_open
    assert not Route(tasks=()).is_open


def test_patterns_are_a_list_of_strings():
    assert parse_patterns("tasks", ["a", "b*"]) == ("a", "b*")
    assert parse_patterns("tasks", None) is None
    with pytest.raises(NotificationConfigurationError, match="must be a list"):
        parse_patterns("tasks", "import *")
    with pytest.raises(NotificationConfigurationError, match="holds None"):
        parse_patterns("tasks", [None])


@pytest.mark.parametrize(
    ("key", "example"),
    [
        ("tasks", '\'tasks\': ["import *", "Nightly backup"]'),
        ("categories", '\'categories\': ["billing", "import*"]'),
        ("exclude_categories", '\'exclude_categories\': ["billing", "sandbox*"]'),
    ],
)
def test_a_refused_pattern_list_names_and_shows_the_names_its_key_takes(key, example):
    with pytest.raises(NotificationConfigurationError) as refused:
        parse_patterns(key, "billing")
    assert example in refused.value.hint
    assert ("Nightly backup" in refused.value.hint) is key.endswith("tasks")
    names = "task names" if key.endswith("tasks") else "category names"
    assert f"{key!r} must be a list of {names}" in str(refused.value)


def test_a_route_asks_for_the_category_only_when_categories_decide():
    assert not Route().asks_category
    assert not Route(tasks=("import*",), exclude_tasks=("import-old",)).asks_category
    assert Route(categories=("billing",)).asks_category
    assert Route(exclude_categories=("sandbox*",)).asks_category
    assert Route(categories=()).asks_category  # an empty list routes nothing: the category decides
