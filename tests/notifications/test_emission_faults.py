"""Emission keeps one handler's faults its own: the fault matrix, Ctrl-C, runtask's exit status.

Every place a handler's own code runs (its construction, ``accepts``, ``extra_context``,
rendering, ``finish_part``, ``send``) fails in every way (an exception, ``SystemExit``, a
``KeyboardInterrupt`` of its own, a hang past its deadline) beside a healthy handler: the
healthy one delivers, the faulty one leaves a failed delivery saying why, the report and the
task are as they were, and nothing is raised out of the emission.
"""

from __future__ import annotations

import _thread
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from taskmanager.models import Delivery, Report, Task
from taskmanager.notifications.config import reset_handlers
from taskmanager.notifications.handlers import NotificationHandler
from tests.notifications import faulty

ROOT = Path(__file__).resolve().parents[2]
LOCMEM = "taskmanager.notifications.channels.locmem.LocmemTransport"
FAULTY = "tests.notifications.faulty.FaultyHandler"

#: What the delivery record of a fault at each hook starts with.
STAGE = {
    "construction": "construction failed: FaultyTransport could not be built: ",
    "accepts": "accepts failed: ",
    "extra_context": "context failed: ",
    "render": "rendering failed: ",
    "finish_part": "rendering failed: ",  # finish_part runs inside rendering
    "send": "",
}

CASES = [
    (hook, fault)
    for hook in faulty.HOOKS
    for fault in faulty.FAULTS
    # Construction runs once per process in the thread that first emits, not in a delivery
    # thread: there a KeyboardInterrupt is Ctrl-C, and a hang is not cut (docs/reliability.rst).
    if not (hook == "construction" and fault in ("interrupt", "hang"))
]


@pytest.fixture(autouse=True)
def released() -> Iterator[None]:
    faulty.release.clear()
    faulty.sent.clear()
    yield
    faulty.release.set()  # hung threads finish now (they are daemons: nothing waits for them)


def configure(settings: Any, hook: str, fault: str) -> None:
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "faulty": {
            "class": FAULTY,
            "level": "ok",
            "hook": hook,
            "fault": fault,
            "max_attempts": 1,
            # Short, so that a hang is cut quickly; the healthy handler keeps the default.
            "deadline": 0.5 if fault == "hang" else 60,
        },
        "healthy": {"transport": LOCMEM, "templates": "log", "level": "ok"},
    }


def snapshot(report: Report) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        Report.objects.filter(pk=report.pk).values().get(),
        Task.objects.filter(pk=report.task.pk).values().get(),
    )


@pytest.mark.parametrize(("hook", "fault"), CASES)
def test_a_fault_in_one_handler_is_recorded_on_its_delivery_and_the_other_still_delivers(
    settings, outbox, make_report, caplog, hook, fault
):
    configure(settings, hook, fault)
    report = make_report("errors")
    before = snapshot(report)

    with caplog.at_level(logging.ERROR, logger="taskmanager.notifications"):
        outcomes = report.emit_notifications()

    assert [m.handler for m in outbox] == ["healthy"]
    healthy = Delivery.objects.get(report=report, handler="healthy")
    assert (healthy.status, healthy.last_error) == ("sent", "")
    broken = Delivery.objects.get(report=report, handler="faulty")
    assert broken.status == "failed"
    assert not broken.permanent  # a resend tries again once it is fixed
    expected = "timed out: still " if fault == "hang" else STAGE[hook]
    assert broken.last_error.startswith(expected)
    assert faulty.SAYS[fault] in broken.last_error
    assert faulty.sent == []
    assert {o.handler: o.sent for o in outcomes} == {"healthy": True, "faulty": False}
    assert snapshot(report) == before
    assert any("'faulty'" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


def test_a_hang_is_cut_at_the_deadline_and_named_in_the_error(settings, outbox, make_report):
    configure(settings, "send", "hang")
    report = make_report("errors")
    report.emit_notifications()
    broken = Delivery.objects.get(report=report, handler="faulty")
    assert broken.last_error.startswith("timed out: still sending at its 0.5 s deadline")


class CategoryHandler(NotificationHandler):
    """The issue's example: an extra context that assumes every task has a category."""

    transport_class = faulty.FaultyTransport
    templates = "log"

    def extra_context(self, report: Any) -> dict[str, Any]:
        return {"category": report.task.category.name}


def test_an_extra_context_reading_a_missing_category_leaves_a_failed_delivery(settings, outbox, make_report):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "by_category": {"class": f"{__name__}.CategoryHandler", "level": "ok"},
        "healthy": {"transport": LOCMEM, "templates": "log", "level": "ok"},
    }
    report = make_report("failed")
    report.emit_notifications()
    assert [m.handler for m in outbox] == ["healthy"]
    broken = Delivery.objects.get(report=report, handler="by_category")
    assert broken.status == "failed"
    assert broken.last_error == "context failed: AttributeError: 'NoneType' object has no attribute 'name'"


def test_a_handler_that_could_not_be_built_is_delivered_by_a_resend_once_fixed(settings, outbox, make_report):
    configure(settings, "construction", "exception")
    report = make_report("errors")
    report.emit_notifications()
    assert Delivery.objects.get(report=report, handler="faulty").status == "failed"

    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "faulty": {"class": FAULTY, "level": "ok"},  # fixed
        "healthy": {"transport": LOCMEM, "templates": "log", "level": "ok"},
    }
    call_command("resend_notifications")

    assert [m.handler for m in faulty.sent] == ["faulty"]
    assert Delivery.objects.get(report=report, handler="faulty").status == "sent"


def test_a_broken_handler_is_recorded_only_for_reports_at_its_level(settings, outbox, make_report):
    configure(settings, "construction", "exception")
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS["faulty"]["level"] = "failed"
    report = make_report("errors")
    report.emit_notifications()
    assert list(Delivery.objects.filter(report=report).values_list("handler", flat=True)) == ["healthy"]


def test_a_handler_name_too_long_for_its_record_is_skipped_and_the_others_deliver(
    settings, outbox, make_report, caplog
):
    long_name = "n" * 101
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        long_name: {"transport": LOCMEM, "templates": "log", "level": "ok"},
        "healthy": {"transport": LOCMEM, "templates": "log", "level": "ok"},
    }
    report = make_report("errors")
    with caplog.at_level(logging.ERROR, logger="taskmanager.notifications"):
        outcomes = report.emit_notifications()
    assert [o.handler for o in outcomes] == ["healthy"]
    assert [m.handler for m in outbox] == ["healthy"]
    assert any("101 characters" in r.getMessage() for r in caplog.records)


def test_ctrl_c_while_waiting_records_the_unfinished_deliveries_then_stops(settings, outbox, make_report):
    configure(settings, "send", "hang")
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS["faulty"]["deadline"] = 30
    report = make_report("errors")
    # What SIGINT does: a KeyboardInterrupt in the main thread, here while it waits for the hang
    # (once the hang has started, and a moment more: a fixed delay raced a loaded machine).
    faulty.hanging.clear()

    def interrupt_once_hanging() -> None:
        if faulty.hanging.wait(30):
            time.sleep(0.2)
            _thread.interrupt_main()

    threading.Thread(target=interrupt_once_hanging, daemon=True).start()

    with pytest.raises(KeyboardInterrupt):
        report.emit_notifications()

    broken = Delivery.objects.get(report=report, handler="faulty")
    assert (broken.status, broken.last_error) == (
        "failed",
        "interrupted (KeyboardInterrupt) before the delivery finished",
    )


def test_a_keyboard_interrupt_while_building_handlers_in_the_main_thread_is_ctrl_c(settings, make_report):
    configure(settings, "construction", "interrupt")
    reset_handlers()
    with pytest.raises(KeyboardInterrupt):
        make_report("errors").emit_notifications()


# -- runtask -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["exit", "hang"])
def test_runtask_exits_as_the_task_did_whatever_a_handler_does(tmp_path, fault):
    handlers = {
        "faulty": {"class": FAULTY, "level": "ok", "hook": "send", "fault": fault, "deadline": 2},
        "log": {"class": "taskmanager.notifications.LogNotificationHandler", "level": "ok"},
    }
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings_filedb",
        "PYTHONPATH": str(ROOT),
        "TASKMANAGER_TEST_DB": str(tmp_path / "db.sqlite3"),
        "TASKMANAGER_TEST_MEDIA_ROOT": str(tmp_path / "media"),
        "TASKMANAGER_TEST_HANDLERS": json.dumps(handlers),
    }
    manage = [sys.executable, "-m", "django"]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=120)
    create = (
        "from taskmanager.models import AppCommand, Task\n"
        "c, _ = AppCommand.objects.get_or_create(app_name='tests.sampleapp', name='ends_ok')\n"
        "Task.objects.create(name='nightly', command=c)\n"
    )
    subprocess.run([*manage, "shell", "-c", create], env=env, cwd=ROOT, check=True, timeout=120)

    # The hung send waits 60 s: a runtask still running at 45 s waited for it.
    run = subprocess.run([*manage, "runtask", "nightly"], env=env, cwd=ROOT, capture_output=True, timeout=45)

    assert run.returncode == 0, run.stderr
    show = (
        "from taskmanager.models import Delivery\n"
        "print(sorted((d.handler, d.status) for d in Delivery.objects.all()))"
    )
    shown = subprocess.run(
        [*manage, "shell", "-c", show], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert shown.stdout.strip().splitlines()[-1] == "[('faulty', 'failed'), ('log', 'sent')]"
