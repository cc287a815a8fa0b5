"""Delivery records, and resend_notifications re-attempting failed deliveries."""

import datetime
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from taskmanager.models import Delivery
from taskmanager.notifications import DeliveryError, Transport
from taskmanager.notifications.config import get_handler
from taskmanager.notifications.emission import prune_deliveries
from taskmanager.notifications.resend import claim, resend, resendable

sent: list = []
failures: list = []
#: What another process does while a message is being sent (each runs once, at the next send).
meanwhile: list[Callable[[], object]] = []


class FlakyTransport(Transport):
    """Fails while ``failures`` holds errors (shared by every instance), then delivers."""

    template_parts = ("txt",)
    secret_options = ("webhook_url",)

    def __init__(self, *, webhook_url: str = "", **options):
        super().__init__(**options)
        self.webhook_url = webhook_url

    def send(self, message):
        while meanwhile:
            meanwhile.pop(0)()
        if failures:
            raise failures.pop(0)
        sent.append(message)


@pytest.fixture
def flaky(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "chat": {
            "transport": f"{__name__}.FlakyTransport",
            "templates": "log",
            "level": "ok",
            "max_attempts": 1,
            "webhook_url": "https://hooks.example.com/T0/B0/s3cr3t-path",
        },
        "log": {"class": "taskmanager.notifications.LogNotificationHandler", "level": "ok"},
    }
    sent.clear()
    failures.clear()
    meanwhile.clear()
    yield
    sent.clear()
    failures.clear()
    meanwhile.clear()


def test_every_delivery_is_recorded_with_its_outcome_and_parts(flaky, make_report):
    failures.append(DeliveryError("500 from https://hooks.example.com/T0/B0/s3cr3t-path"))
    report = make_report("errors")
    report.emit_notifications()
    chat, log = Delivery.objects.get(handler="chat"), Delivery.objects.get(handler="log")
    assert (chat.status, chat.attempts, chat.permanent, chat.level) == ("failed", 1, False, "errors")
    assert chat.last_error == "500 from [secret]"
    assert chat.parts["txt"].startswith("[errors] nightly import")
    assert (log.status, log.attempts, log.last_error) == ("sent", 1, "")
    assert log.sent_at is not None


def test_resend_delivers_a_failed_delivery_once_and_never_again(flaky, make_report):
    failures.append(DeliveryError("500"))
    report = make_report("errors")
    report.emit_notifications()
    assert sent == []
    call_command("resend_notifications")
    assert len(sent) == 1
    assert sent[0].parts["txt"] == Delivery.objects.get(handler="chat").parts["txt"]
    call_command("resend_notifications")
    assert len(sent) == 1
    chat = Delivery.objects.get(handler="chat")
    assert (chat.status, chat.attempts) == ("sent", 2)


def test_resend_exits_non_zero_while_a_delivery_still_fails(flaky, make_report):
    failures.extend([DeliveryError("500"), DeliveryError("still 500")])
    make_report("errors").emit_notifications()
    with pytest.raises(CommandError, match="1 delivery still failed") as excinfo:
        call_command("resend_notifications")
    assert excinfo.value.returncode == 1
    assert Delivery.objects.get(handler="chat").last_error == "still 500"


def test_resend_filters_by_report_and_handler(flaky, make_report):
    failures.extend([DeliveryError("500"), DeliveryError("500")])
    first, second = make_report("errors", name="first"), make_report("errors", name="second")
    first.emit_notifications()
    second.emit_notifications()
    call_command("resend_notifications", report=second.pk, handler="chat")
    assert [m.report for m in sent] == [second]
    assert Delivery.objects.get(report=first, handler="chat").status == "failed"


def test_resend_since_takes_a_look_back(flaky, make_report):
    failures.append(DeliveryError("500"))
    make_report("errors").emit_notifications()
    Delivery.objects.update(created=timezone.now() - datetime.timedelta(days=3))
    call_command("resend_notifications", "--since", "2d")
    assert sent == []
    call_command("resend_notifications", "--since", "4d")
    assert len(sent) == 1


def test_a_failed_round_followed_by_a_delivered_one_is_not_resent(flaky, make_report):
    failures.append(DeliveryError("500"))
    report = make_report("errors")
    report.emit_notifications()
    report.emit_notifications()
    assert len(sent) == 1
    call_command("resend_notifications")
    assert len(sent) == 1


def pending(report, started_ago: datetime.timedelta) -> Delivery:
    """A pending record whose attempt started ``started_ago`` (its process may have died)."""
    delivery = Delivery.objects.create(report=report, handler="chat", level="errors")
    then = timezone.now() - started_ago
    Delivery.objects.filter(pk=delivery.pk).update(created=then, updated=then)
    return delivery


def test_an_abandoned_pending_delivery_is_resent(flaky, make_report):
    pending(make_report("errors"), datetime.timedelta(hours=1))
    call_command("resend_notifications")
    assert [m.handler for m in sent] == ["chat"]


def test_a_pending_delivery_is_in_progress_until_its_handlers_deadline_and_a_margin_have_passed(
    settings, flaky, make_report
):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS["chat"]["deadline"] = 3600
    delivery = pending(make_report("errors"), datetime.timedelta(minutes=30))
    call_command("resend_notifications")
    assert sent == []
    assert Delivery.objects.get(pk=delivery.pk).status == "pending"
    Delivery.objects.filter(pk=delivery.pk).update(updated=timezone.now() - datetime.timedelta(minutes=76))
    call_command("resend_notifications")
    assert [m.handler for m in sent] == ["chat"]


def test_a_pending_delivery_of_a_handler_no_longer_configured_waits_the_longest_deadline(flaky, make_report):
    delivery = pending(make_report("errors"), datetime.timedelta(minutes=30))
    Delivery.objects.filter(pk=delivery.pk).update(handler="gone")
    assert list(resendable()) == []
    Delivery.objects.filter(pk=delivery.pk).update(updated=timezone.now() - datetime.timedelta(minutes=76))
    assert list(resendable()) == [delivery]


def test_a_failed_round_is_not_resent_while_another_round_of_its_report_is_in_progress(flaky, make_report):
    failures.append(DeliveryError("500"))
    report = make_report("errors")
    report.emit_notifications()
    pending(report, datetime.timedelta(seconds=5))
    call_command("resend_notifications")
    assert sent == []


def test_attempts_count_every_attempt_even_when_another_resend_ran_since_the_listing(flaky, make_report):
    failures.extend([DeliveryError("500"), DeliveryError("still 500")])
    make_report("errors").emit_notifications()
    listed = list(resendable())
    resend(resendable())
    assert Delivery.objects.filter(handler="chat", status="failed", attempts=2).exists()
    resend(listed)
    assert len(sent) == 1
    assert Delivery.objects.get(handler="chat").attempts == 3


def test_a_record_is_claimed_before_it_is_sent_and_a_second_claim_fails(flaky, make_report):
    failures.append(DeliveryError("500"))
    make_report("errors").emit_notifications()
    chat = get_handler("chat")
    first, second = Delivery.objects.get(handler="chat"), Delivery.objects.get(handler="chat")
    assert claim(first, chat)
    assert (first.status, first.attempts) == ("pending", 1)
    assert not claim(second, chat)
    assert list(resendable()) == []


def test_a_record_another_resend_claims_after_the_listing_is_left_to_it(flaky, make_report):
    failures.extend([DeliveryError("500"), DeliveryError("500")])
    first, second = make_report("errors", name="first"), make_report("errors", name="second")
    first.emit_notifications()
    second.emit_notifications()
    listed = list(resendable(handler="chat"))
    other = Delivery.objects.get(report=second, handler="chat")
    # While this resend sends the first report's message, another one claims the second's.
    meanwhile.append(lambda: claim(other, get_handler("chat")))
    results = resend(listed)
    assert [(r.delivery.report, r.busy) for r in results] == [(first, False), (second, True)]
    assert [m.report for m in sent] == [first]
    assert Delivery.objects.get(pk=other.pk).status == "pending"


def test_the_command_reports_a_record_another_resend_has_as_skipped_not_failed(flaky, make_report, capsys):
    failures.extend([DeliveryError("500"), DeliveryError("500")])
    first, second = make_report("errors", name="first"), make_report("errors", name="second")
    first.emit_notifications()
    second.emit_notifications()
    other = Delivery.objects.get(report=second, handler="chat")
    meanwhile.append(lambda: claim(other, get_handler("chat")))
    call_command("resend_notifications", handler="chat")
    out = capsys.readouterr().out
    assert f"skipped delivery {other.pk} (chat, report {second.pk}): another resend has it" in out
    assert [m.report for m in sent] == [first]


def test_a_record_whose_rendering_breaks_after_its_claim_is_recorded_failed(flaky, make_report, monkeypatch):
    failures.append(DeliveryError("500"))
    make_report("errors").emit_notifications()
    Delivery.objects.update(parts={})
    handler = get_handler("chat")
    monkeypatch.setattr(handler, "render", lambda report: 1 / 0)
    resend(resendable())
    chat = Delivery.objects.get(handler="chat")
    assert (chat.status, chat.last_error) == (
        "failed",
        "rendering failed: ZeroDivisionError: division by zero",
    )


def test_a_record_whose_rendering_raises_system_exit_is_recorded_failed_and_the_resend_goes_on(
    flaky, make_report, monkeypatch
):
    failures.append(DeliveryError("500"))
    make_report("errors").emit_notifications()
    Delivery.objects.update(parts={})

    def exits(report):
        raise SystemExit(3)

    monkeypatch.setattr(get_handler("chat"), "render", exits)
    resend(resendable())
    chat = Delivery.objects.get(handler="chat")
    assert (chat.status, chat.last_error) == ("failed", "rendering failed: SystemExit: 3")


def test_records_older_than_the_retention_are_pruned(settings, flaky, make_report):
    make_report("errors").emit_notifications()
    old = Delivery.objects.filter(handler="log")
    old.update(created=timezone.now() - datetime.timedelta(days=91))
    assert prune_deliveries() == 1
    assert list(Delivery.objects.values_list("handler", flat=True)) == ["chat"]
    settings.UWSGI_TASKMANAGER_DELIVERY_RETENTION_DAYS = None
    Delivery.objects.update(created=timezone.now() - datetime.timedelta(days=900))
    assert prune_deliveries() == 0


def test_an_unreadable_since_is_a_clear_error(flaky):
    with pytest.raises(CommandError, match="cannot read 'yesterday'"):
        call_command("resend_notifications", "--since", "yesterday")
