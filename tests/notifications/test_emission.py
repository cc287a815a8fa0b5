import logging

import pytest

from taskmanager.models import Delivery
from taskmanager.notifications.channels.locmem import LocmemTransport
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.transport import Transport
from taskmanager.results import Result


class ExplodingTransport(Transport):
    template_parts = ("txt",)

    def send(self, message):
        raise RuntimeError("the network is on fire")


def handlers(**levels):
    return {
        name: {
            "transport": "taskmanager.notifications.channels.locmem.LocmemTransport",
            "templates": "log",
            "level": level,
        }
        for name, level in levels.items()
    }


@pytest.mark.parametrize(
    ("handler_level", "sent_for"),
    [
        ("ok", ["ok", "warnings", "errors", "failed"]),
        ("warnings", ["warnings", "errors", "failed"]),
        ("errors", ["errors", "failed"]),
        ("failed", ["failed"]),
        (20, ["errors", "failed"]),
    ],
)
def test_a_handler_emits_for_every_report_at_or_above_its_level(
    settings, outbox, make_report, handler_level, sent_for
):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = handlers(only=handler_level)
    for result in ("ok", "warnings", "errors", "failed"):
        make_report(result, name=f"task {result}").emit_notifications()
    assert [m.level for m in outbox] == sent_for


def test_messages_and_delivery_records_carry_the_reports_result(settings, outbox, make_report):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = handlers(one="ok", two="ok")
    report = make_report("warnings")
    report.emit_notifications()
    assert [message.level for message in outbox] == [Result.WARNINGS, Result.WARNINGS]
    stored = list(Delivery.objects.filter(report=report).values_list("level", flat=True))
    assert stored == ["warnings", "warnings"]
    assert all(type(level) is str for level in stored)


def test_a_failing_handler_does_not_stop_the_others_and_is_logged_by_name(
    settings, outbox, make_report, caplog
):
    config = handlers(first="ok", third="ok")
    config = {
        "first": config["first"],
        "broken": {
            "transport": f"{__name__}.ExplodingTransport",
            "templates": "log",
            "level": "ok",
            "max_attempts": 1,
        },
        "third": config["third"],
    }
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = config
    report = make_report("failed")
    with caplog.at_level(logging.ERROR, logger="taskmanager.notifications"):
        outcomes = report.emit_notifications()
    assert sorted(m.handler for m in outbox) == ["first", "third"]
    assert [(o.handler, o.sent) for o in outcomes] == [("first", True), ("broken", False), ("third", True)]
    failure = [r for r in caplog.records if "broken" in r.getMessage()]
    assert failure
    assert "the network is on fire" in failure[0].getMessage()


def test_notifications_disabled_on_the_report_send_nothing(settings, outbox, make_report):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = handlers(all="ok")
    make_report("failed", notifications_disabled=True).emit_notifications()
    assert outbox == []


def test_each_call_is_a_new_round_of_deliveries(settings, outbox, make_report):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = handlers(all="ok")
    report = make_report("errors")
    report.emit_notifications()
    report.emit_notifications()
    assert len(outbox) == 2


def test_the_settings_dict_is_never_mutated(settings, outbox, make_report):
    config = handlers(all="ok")
    config["all"]["parts"] = ["txt"]
    snapshot = {k: dict(v) for k, v in config.items()}
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = config
    make_report("ok").emit_notifications()
    assert config == snapshot


class RecordingTransport(Transport):
    """Notes, when it sends, whether the delivery records were already written."""

    template_parts = ("txt",)
    events: list[str] = []

    def send(self, message):
        self.events.append(f"sent {message.handler}")


def test_no_message_is_sent_before_every_delivery_record_is_written(settings, make_report, monkeypatch):
    import time

    from taskmanager.notifications import emission

    RecordingTransport.events = events = []
    real = emission.create_deliveries

    def slow_create(*args, **kwargs):
        time.sleep(0.2)  # the delivery threads render meanwhile, and must wait
        created = real(*args, **kwargs)
        events.append("created")
        return created

    monkeypatch.setattr(emission, "create_deliveries", slow_create)
    transport = f"{__name__}.RecordingTransport"
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        name: {"transport": transport, "templates": "log", "level": "ok"} for name in ("one", "two")
    }

    outcomes = make_report("errors").emit_notifications()

    assert [o.sent for o in outcomes] == [True, True]
    assert events[0] == "created"
    assert sorted(events[1:]) == ["sent one", "sent two"]


def test_when_the_records_cannot_be_written_nothing_is_sent(settings, make_report, outbox, monkeypatch):
    from django.db import DatabaseError

    from taskmanager.models import Delivery
    from taskmanager.notifications import emission

    def failing_create(*args, **kwargs):
        raise DatabaseError("database is locked")

    monkeypatch.setattr(emission, "create_deliveries", failing_create)
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = handlers(one="ok", two="ok")
    report = make_report("errors")

    with pytest.raises(DatabaseError):
        report.emit_notifications()

    assert outbox == []
    assert not Delivery.objects.filter(report=report).exists()


def delivery_inserts(queries):
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('INSERT INTO "taskmanager_delivery"')
    ]


def test_the_records_of_one_round_are_written_in_one_statement(settings, make_report, outbox):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = handlers(one="ok", two="ok", three="ok")
    report = make_report("errors")

    with CaptureQueriesContext(connection) as queries:
        outcomes = report.emit_notifications()

    [insert] = delivery_inserts(queries)
    assert insert.count("VALUES") == 1
    assert all(o.delivery_id for o in outcomes)
    assert len({o.delivery_id for o in outcomes}) == 3


def test_without_bulk_ids_the_records_are_written_in_one_transaction(
    settings, make_report, outbox, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = handlers(one="ok", two="ok", three="ok")
    report = make_report("errors")

    with CaptureQueriesContext(connection) as queries:
        outcomes = report.emit_notifications()

    sql = [q["sql"] for q in queries.captured_queries]
    inserts = [i for i, q in enumerate(sql) if q.startswith('INSERT INTO "taskmanager_delivery"')]
    assert len(inserts) == 3
    assert any("SAVEPOINT" in q for q in sql[: inserts[0]]), "the inserts are not inside one atomic block"
    assert not any("RELEASE" in q for q in sql[inserts[0] : inserts[-1]])
    assert len({o.delivery_id for o in outcomes}) == 3


def test_emissions_share_the_delivery_threads_of_the_process():
    from taskmanager.notifications.emission import delivery_pool

    assert delivery_pool() is delivery_pool()


def test_a_forked_child_delivers_with_threads_of_its_own():
    import os

    from taskmanager.notifications.emission import delivery_pool

    assert delivery_pool().submit(sum, [1, 2]).result(timeout=5) == 3  # the parent's threads, idle
    pid = os.fork()
    if pid == 0:  # the child: the parent's threads do not exist here
        try:
            ok = delivery_pool().submit(sum, [3, 4]).result(timeout=5) == 7
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


class ContextHandler(NotificationHandler):
    """A handler whose own context() adds to what its templates get."""

    transport_class = LocmemTransport
    templates = "log"

    def context(self, report, **kwargs):
        return {**super().context(report, **kwargs), "built_by": f"{self.name}.context"}


@pytest.mark.parametrize("names", [["one"], ["one", "two"]])
def test_each_handlers_context_comes_from_its_own_context_method(settings, outbox, make_report, names):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        name: {"class": f"{__name__}.ContextHandler", "level": "ok"} for name in names
    }
    make_report("errors").emit_notifications()
    contexts = sorted((m.context["handler"], m.context["built_by"]) for m in outbox)
    assert contexts == [(name, f"{name}.context") for name in names]


class BrokenRenderHandler(NotificationHandler):
    """A handler whose own code (not a template) breaks while rendering."""

    def render(self, report, **kwargs):
        raise KeyError("a bug in the handler")


def test_a_handler_that_cannot_render_is_recorded_failed_and_the_others_still_send(
    settings, make_report, outbox
):
    from taskmanager.models import Delivery

    config = handlers(first="ok")
    config["broken"] = {**config["first"], "class": f"{__name__}.BrokenRenderHandler"}
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = config
    report = make_report("errors")

    outcomes = report.emit_notifications()

    assert [(o.handler, o.sent) for o in outcomes] == [("first", True), ("broken", False)]
    assert "rendering failed: KeyError" in outcomes[1].error
    assert [m.handler for m in outbox] == ["first"]
    broken = Delivery.objects.get(report=report, handler="broken")
    assert (broken.status, broken.parts) == ("failed", {})
    assert "a bug in the handler" in broken.last_error
