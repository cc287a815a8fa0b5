import logging

import pytest

from taskmanager.notifications.transports.base import Transport


class ExplodingTransport(Transport):
    template_parts = ("txt",)

    def send(self, message):
        raise RuntimeError("the network is on fire")


def handlers(**levels):
    return {
        name: {
            "transport": "taskmanager.notifications.transports.locmem.LocmemTransport",
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
