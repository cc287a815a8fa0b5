"""Would a real report be sent, and why: the policy's decision per handler, read without writing."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from taskmanager.models import AppCommand, Delivery, HandlerState, Report, Task, TaskCategory
from taskmanager.notifications.channels.locmem import LocmemTransport
from taskmanager.notifications.config import get_handlers
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.policy_state import snooze
from taskmanager.notifications.preview.decisions import policy_verdicts

pytestmark = pytest.mark.django_db

LOCMEM = "taskmanager.notifications.channels.locmem.LocmemTransport"


def handler(**keys):
    return {"transport": LOCMEM, "templates": "log", "level": "errors", **keys}


@pytest.fixture
def task() -> Task:
    command, _ = AppCommand.objects.get_or_create(app_name="sampleapp", name="sample")
    return Task.objects.create(
        name="Nightly import", command=command, category=TaskCategory.objects.create(name="imports")
    )


def report_of(task: Task, result: str, minutes: float = 0) -> Report:
    started = timezone.now() + datetime.timedelta(minutes=minutes)
    return Report.objects.create(
        task=task,
        invocation_result=result,
        invocation_datetime=started,
        end_datetime=started + datetime.timedelta(seconds=30),
    )


def verdicts(report: Report) -> dict:
    return {verdict.handler: verdict for verdict in policy_verdicts(report, get_handlers())}


def test_under_every_a_report_at_the_level_would_be_sent_and_one_below_it_leaves_nothing(settings, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"ops": handler()}

    failed = verdicts(report_of(task, "failed"))["ops"]
    assert (failed.send, failed.event) == (True, "report")
    assert failed.describe() == "would send it as report"

    ok = verdicts(report_of(task, "ok"))["ops"]
    assert not ok.send
    assert not ok.leaves_record
    assert ok.describe() == "would not send it: below its level (errors): not sent, no record"


def test_under_change_a_second_failure_would_be_quiet_and_its_state_is_left_untouched(settings, outbox, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"ops": handler(notify="change")}
    first = report_of(task, "failed", -10)
    first.emit_notifications()
    second = report_of(task, "failed")
    state_before = list(HandlerState.objects.values())
    deliveries_before = Delivery.objects.count()

    verdict = verdicts(second)["ops"]

    assert not verdict.send
    assert verdict.why.startswith("quiet: still failing since ")
    assert verdict.leaves_record
    assert list(HandlerState.objects.values()) == state_before
    assert Delivery.objects.count() == deliveries_before
    assert outbox[1:] == []


def test_a_recovery_would_be_sent_although_below_the_level(settings, outbox, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"ops": handler(notify="change")}
    report_of(task, "failed", -10).emit_notifications()

    verdict = verdicts(report_of(task, "ok"))["ops"]
    assert (verdict.send, verdict.event) == (True, "recovered")


def test_a_route_that_leaves_the_task_out_says_which(settings, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "billing": handler(categories=["billing"]),
        "imports": handler(tasks=["Nightly *"]),
    }
    report = report_of(task, "failed")
    found = verdicts(report)
    assert found["billing"].describe() == 'would not send it: not routed: category "imports"'
    assert found["imports"].send


def test_a_snoozed_task_would_not_be_told_and_says_until_when(settings, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"ops": handler()}
    snooze(task, None)

    verdict = verdicts(report_of(task, "failed"))["ops"]
    assert (verdict.send, verdict.event) == (False, "report")
    assert verdict.why == "snoozed until resumed"


def test_a_run_with_notifications_off_tells_nobody(settings, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"ops": handler()}
    report = report_of(task, "failed")
    Report.objects.filter(pk=report.pk).update(notifications_disabled=True)
    report.refresh_from_db()

    assert verdicts(report)["ops"].why.startswith("notifications were off for this run")


class Declines(NotificationHandler):
    transport_class = LocmemTransport
    templates = "log"

    def accepts(self, report: Report) -> bool:
        return False


class Breaks(Declines):
    def accepts(self, report: Report) -> bool:
        raise RuntimeError("the directory is down")


def test_a_handlers_own_accepts_is_asked_last_and_its_failure_is_told(task):
    report = report_of(task, "failed")
    declines, breaks = policy_verdicts(report, [Declines("picky"), Breaks("broken")])
    assert declines.why == "its accepts() declines it (Declines)"
    assert breaks.why == "its accepts() failed: RuntimeError: the directory is down"
    assert not declines.leaves_record


def test_what_was_recorded_when_the_report_ran_is_shown_beside(settings, outbox, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"ops": handler()}
    snooze(task, timezone.now() + datetime.timedelta(hours=1))
    report = report_of(task, "failed")
    report.emit_notifications()

    (recorded,) = verdicts(report)["ops"].recorded
    assert recorded.status == "skipped"
    assert recorded.describe().startswith("skipped (snoozed until ")
    assert verdicts(report)["ops"].as_dict()["recorded"][0]["status"] == "skipped"


def test_a_report_without_a_result_tells_nobody_yet(settings, task):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"ops": handler()}
    report = report_of(task, "")
    assert "no result yet" in verdicts(report)["ops"].why


def test_the_decisions_cost_the_same_few_queries_for_one_handler_or_ten(settings, task):
    report = report_of(task, "failed")
    counts = []
    for n in (1, 10):
        settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
            f"h{i}": handler(notify="change") for i in range(n)
        }
        handlers = get_handlers()
        with CaptureQueriesContext(connection) as queries:
            policy_verdicts(report, handlers)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 3, counts
