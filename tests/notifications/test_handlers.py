"""NotificationHandler: the context its templates get, and the secrets it hides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from taskmanager.notifications.channels.locmem import LocmemTransport
from taskmanager.notifications.channels.webhook.transport import WebhookTransport
from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.handlers import NotificationHandler, build_transport, check_template_folder
from taskmanager.results import Result


class OnCallHandler(NotificationHandler):
    transport_class = LocmemTransport
    templates = "log"

    def extra_context(self, report: Any) -> dict[str, Any]:
        # Cannot rename the handler: its name is its own.
        return {"on_call": "ada@example.com", "handler": "someone else"}


@pytest.mark.django_db
def test_the_context_is_the_shared_one_the_handlers_extra_and_its_name(make_report: Any) -> None:
    context = OnCallHandler("pager").context(make_report("errors"))
    assert context["task_name"] == "nightly import"
    assert context["level"] is Result.ERRORS
    assert context["on_call"] == "ada@example.com"
    assert context["handler"] == "pager"


@pytest.mark.django_db
def test_the_context_is_built_at_the_level_asked(make_report: Any) -> None:
    context = OnCallHandler("pager").context(make_report("ok"), level=Result.FAILED)
    assert context["level"] is Result.FAILED


def test_a_shared_context_built_already_is_taken_as_it_is() -> None:
    shared = {"level": Result.WARNINGS, "task_name": "built once", "handler": ""}
    context = OnCallHandler("pager").context(object(), shared=shared)  # type: ignore[arg-type]
    assert context == {
        "level": Result.WARNINGS,
        "task_name": "built once",
        "on_call": "ada@example.com",
        "handler": "pager",
    }
    assert shared["handler"] == ""  # not changed for the next handler


def test_the_secrets_are_the_values_of_the_transports_secret_options() -> None:
    handler = NotificationHandler(
        "teams",
        transport_class=WebhookTransport,
        templates="webhook",
        options={
            "url": "https://teams.example/hook/abc",
            "headers": {"Authorization": "Bearer x1y2", "A": "b"},
        },
    )
    # The URL's path too: it is what authorises posting, and a server may quote it alone.
    assert handler.secrets == ["https://teams.example/hook/abc", "/hook/abc", "Bearer x1y2"]
    assert handler.redact("to https://teams.example/hook/abc with Bearer x1y2") == "to [secret] with [secret]"


def test_short_pieces_of_a_secret_url_are_words_left_in_report_content() -> None:
    handler = NotificationHandler(
        "hook",
        transport_class=WebhookTransport,
        templates="webhook",
        options={"url": "https://example.com/hook"},
    )
    # Stored parts and previews are redacted with these secrets: "/hook" in a log line stays.
    assert handler.redact("POST /hooks/deploy answered 200") == "POST /hooks/deploy answered 200"
    assert handler.redact("posted to https://example.com/hook") == "posted to [secret]"


@pytest.mark.parametrize(
    ("value", "folder"), [("teams", "teams"), ("acme/teams/", "acme/teams"), ("acme\\teams", "acme/teams")]
)
def test_a_template_folder_is_a_relative_folder_name(value: str, folder: str) -> None:
    assert check_template_folder("teams", value) == folder


@pytest.mark.parametrize("value", [3, Path("teams"), ["teams"], "/srv/teams", "../teams", "C:\\teams"])
def test_anything_else_is_a_configuration_error_naming_the_handler(value: object) -> None:
    with pytest.raises(NotificationConfigurationError) as caught:
        NotificationHandler("teams", transport_class=LocmemTransport, templates=value)  # type: ignore[arg-type]
    assert (caught.value.handler, caught.value.key, caught.value.check_id) == (
        "teams",
        "templates",
        "taskmanager.E006",
    )
    assert "UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS" in caught.value.hint


class Refusing(LocmemTransport):
    secret_options = ("parts",)

    def __init__(self, **options: Any) -> None:
        raise OSError(f"cannot open {options}")


def test_whatever_a_transports_constructor_raises_is_a_configuration_error_with_secrets_hidden() -> None:
    with pytest.raises(NotificationConfigurationError) as caught:
        build_transport("teams", Refusing, {"parts": "hunter2"})
    assert str(caught.value) == (
        "Notification handler 'teams': Refusing could not be built: "
        "OSError: cannot open {'parts': '[secret]'}"
    )


def test_accepts_answers_the_routes_of_the_handler(make_report, django_assert_num_queries):
    from taskmanager.models import TaskCategory
    from taskmanager.notifications.channels.locmem import LocmemTransport

    report = make_report("failed", name="import prices")
    report.task.category = TaskCategory.objects.create(name="billing")
    report.task.save()
    report = type(report).objects.get(pk=report.pk)

    def handler(**routes):
        return NotificationHandler(
            "h", transport_class=LocmemTransport, templates="log", handler_options=routes
        )

    with django_assert_num_queries(1):  # the task, once; no category for a route without one
        assert handler().accepts(report)
        assert handler(tasks=["import *"]).accepts(report)
        assert not handler(exclude_tasks=["import *"]).accepts(report)
    assert handler(categories=["bill*"]).accepts(report)
    assert not handler(categories=["billing"], tasks=["export *"]).accepts(report)
    assert not handler(exclude_categories=["billing"]).accepts(report)
