"""Keys a handler reads itself (``handler_options``): declared, checked, kept from the transport."""

import datetime
from typing import Any

import pytest
from django.core import checks

from taskmanager.notifications.channels.locmem import LocmemTransport
from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.handler_options import HandlerOption, declared_options, parse_options
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.policy import Notify
from taskmanager.notifications.routes import Route

LOCMEM = "taskmanager.notifications.channels.locmem.LocmemTransport"


def positive(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"must be a whole number above 0, not {value!r}")
    return value


class PagingHandler(NotificationHandler):
    """A project's handler with a key of its own."""

    transport_class = LocmemTransport
    templates = "log"
    handler_options = {
        "escalate_after": HandlerOption(positive, default=3, hint="Give e.g. 'escalate_after': 3.")
    }


def run_checks(settings, handlers):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = handlers
    return [m for m in checks.run_checks(databases=[]) if m.id and m.id.startswith("taskmanager.")]


def test_a_subclass_adds_its_keys_to_the_policys_own():
    assert list(declared_options(PagingHandler)) == [
        "notify",
        "remind_every",
        "tasks",
        "exclude_tasks",
        "categories",
        "exclude_categories",
        "escalate_after",
    ]


def test_a_key_of_the_handler_reaches_it_checked_and_never_the_transport(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "pager": {"class": f"{__name__}.PagingHandler", "escalate_after": 5, "notify": "change"}
    }
    from taskmanager.notifications.config import get_handler

    handler = get_handler("pager")
    assert handler.own_options["escalate_after"] == 5
    assert handler.policy.notify is Notify.CHANGE
    assert handler.options == {}


def test_an_absent_key_takes_its_default():
    handler = PagingHandler("pager")
    assert handler.own_options["escalate_after"] == 3
    assert handler.own_options["notify"] is Notify.EVERY
    assert handler.route == Route()


def test_a_bad_value_of_a_subclass_key_is_e012_with_its_hint(settings):
    messages = run_checks(settings, {"pager": {"class": f"{__name__}.PagingHandler", "escalate_after": 0}})
    assert [m.id for m in messages] == ["taskmanager.E017"]
    assert messages[0].msg == (
        "Notification handler 'pager': 'escalate_after': must be a whole number above 0, not 0"
    )
    assert messages[0].hint == "Give e.g. 'escalate_after': 3."


@pytest.mark.parametrize(
    ("keys", "check_id", "message"),
    [
        ({"notify": "on change"}, "taskmanager.E017", "unknown 'notify' value 'on change'"),
        (
            {"notify": "change", "remind_every": "soon"},
            "taskmanager.E017",
            "'remind_every' must be a duration",
        ),
        ({"remind_every": "4h"}, "taskmanager.E018", "'remind_every' works only with 'notify'"),
        ({"tasks": "Nightly import"}, "taskmanager.E017", "'tasks' must be a list"),
        ({"categories": ["billing", 3]}, "taskmanager.E017", "'categories' holds 3"),
        ({"exclude_tasks": {"a": 1}}, "taskmanager.E017", "'exclude_tasks' must be a list"),
        ({"exclude_categories": [""]}, "taskmanager.E017", "'exclude_categories' holds ''"),
    ],
)
def test_the_policy_keys_are_checked(settings, keys, check_id, message):
    messages = run_checks(settings, {"ops": {"transport": LOCMEM, "templates": "log", **keys}})
    assert [m.id for m in messages] == [check_id]
    assert messages[0].msg.startswith(f"Notification handler 'ops': {message}")
    assert messages[0].hint


def test_good_policy_keys_pass_the_checks(settings):
    entry = {
        "transport": LOCMEM,
        "templates": "log",
        "notify": "change",
        "remind_every": 3600,
        "tasks": ["import *"],
        "exclude_tasks": [],
        "categories": ("billing",),
        "exclude_categories": ["billing-test"],
    }
    assert run_checks(settings, {"ops": entry}) == []


def test_a_misspelt_policy_key_is_e005_naming_the_key_it_resembles(settings):
    messages = run_checks(settings, {"ops": {"transport": LOCMEM, "templates": "log", "notfy": "change"}})
    assert [m.id for m in messages] == ["taskmanager.E005"]
    assert messages[0].msg == "Notification handler 'ops': unknown option 'notfy' for LocmemTransport"
    assert messages[0].hint.startswith("Did you mean 'notify'?")


def test_an_unknown_key_resembling_nothing_lists_the_handlers_own_keys_beside_the_transports(settings):
    # "channel" is meant as a route: the hint must not say the transport's options are all there is.
    messages = run_checks(settings, {"ops": {"transport": LOCMEM, "templates": "log", "channel": ["a"]}})
    assert [m.id for m in messages] == ["taskmanager.E005"]
    assert messages[0].hint == (
        "LocmemTransport takes: parts. The handler itself reads: notify, remind_every, tasks, "
        "exclude_tasks, categories, exclude_categories."
    )


def test_a_handler_built_by_hand_with_a_key_it_does_not_declare_is_refused():
    with pytest.raises(NotificationConfigurationError, match="declares no option 'escalate'") as caught:
        parse_options(PagingHandler, {"escalate": 1})
    assert "escalate_after" in caught.value.hint


def test_remind_every_is_kept_as_a_duration():
    handler = NotificationHandler(
        "ops",
        transport_class=LocmemTransport,
        templates="log",
        handler_options={"notify": "change", "remind_every": "30m"},
    )
    assert handler.policy.remind_every == datetime.timedelta(minutes=30)
