"""The deliveries admin: list, inline on the report, and the Resend action."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from taskmanager.models import Delivery
from taskmanager.notifications import DeliveryError
from tests.notifications import test_resend as flaky_module
from tests.notifications.sequences import a_task, report_of
from tests.notifications.test_resend import failures, sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def flaky(settings):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "chat": {
            "transport": f"{flaky_module.__name__}.FlakyTransport",
            "templates": "log",
            "level": "ok",
            "max_attempts": 1,
            "webhook_url": "https://hooks.example.com/T0/B0/s3cr3t-path",
        },
    }
    sent.clear()
    failures.clear()
    yield
    sent.clear()
    failures.clear()


@pytest.fixture
def failed_delivery(flaky, make_report):
    failures.append(DeliveryError("Slack: 500 from https://hooks.example.com/T0/B0/s3cr3t-path"))
    make_report("errors").emit_notifications()
    return Delivery.objects.get()


def test_the_delivery_list_shows_status_and_error_without_secrets(admin_client, failed_delivery):
    response = admin_client.get(reverse("admin:taskmanager_delivery_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Slack: 500 from [secret]" in page
    assert "s3cr3t-path" not in page


def test_a_long_error_is_cut_in_the_list_to_120_characters(admin_client, failed_delivery):
    failed_delivery.last_error = "x" * 200
    failed_delivery.save()
    page = admin_client.get(reverse("admin:taskmanager_delivery_changelist")).content.decode()
    assert "x" * 119 + "…" in page
    assert "x" * 120 not in page


def test_a_delivery_page_shows_the_rendered_parts(admin_client, failed_delivery):
    response = admin_client.get(reverse("admin:taskmanager_delivery_change", args=(failed_delivery.pk,)))
    assert response.status_code == 200
    assert "[errors] nightly import" in response.content.decode()


def test_deliveries_are_inline_on_the_report(admin_client, failed_delivery):
    response = admin_client.get(reverse("admin:taskmanager_report_change", args=(failed_delivery.report.pk,)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "chat" in page
    assert "tm-badge-failed" in page


def test_the_resend_action_delivers_once_and_says_so(admin_client, failed_delivery):
    url = reverse("admin:taskmanager_delivery_changelist")
    data = {"action": "resend_deliveries", "_selected_action": [failed_delivery.pk]}
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert len(sent) == 1
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == "sent"
    response = admin_client.post(url, data, follow=True)
    assert len(sent) == 1
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("was not resent" in t for t in texts)


def test_under_uwsgi_the_resend_action_queues_on_the_spooler(
    admin_client, failed_delivery, monkeypatch, tmp_path
):
    from taskmanager.admin import deliveries
    from taskmanager.execution.uwsgi import jobs, spoolfiles
    from taskmanager.execution.uwsgi.backend import UwsgiBackend

    # The uWSGI backend of a spooler serving tmp_path, as the web workers of an instance see it.
    monkeypatch.setattr(deliveries, "get_backend", lambda: UwsgiBackend(spool_directory=str(tmp_path)))
    url = reverse("admin:taskmanager_delivery_changelist")
    response = admin_client.post(
        url, {"action": "resend_deliveries", "_selected_action": [failed_delivery.pk]}, follow=True
    )
    assert any("queued for resending where tasks run" in str(m) for m in get_messages(response.wsgi_request))
    assert sent == []
    [spool_file] = list(tmp_path.iterdir())
    jobs.run_resend_job(spoolfiles.read_spool_file(str(spool_file)))
    assert len(sent) == 1
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == "sent"


# -- permissions -------------------------------------------------------------------------------


def resend_action(client, delivery):
    url = reverse("admin:taskmanager_delivery_changelist")
    return client.post(url, {"action": "resend_deliveries", "_selected_action": [delivery.pk]}, follow=True)


def test_a_staff_member_who_may_only_view_deliveries_cannot_resend_them(staff_client, failed_delivery):
    client = staff_client("view_delivery")
    page = client.get(reverse("admin:taskmanager_delivery_changelist")).content.decode()
    assert "resend_deliveries" not in page
    resend_action(client, failed_delivery)
    assert sent == []
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == "failed"


def test_resending_needs_the_change_delivery_permission(staff_client, failed_delivery):
    client = staff_client("view_delivery", "change_delivery")
    assert (
        "resend_deliveries" in client.get(reverse("admin:taskmanager_delivery_changelist")).content.decode()
    )
    resend_action(client, failed_delivery)
    assert len(sent) == 1
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == "sent"


def test_the_change_permission_still_edits_nothing_on_a_delivery(staff_client, failed_delivery):
    client = staff_client("view_delivery", "change_delivery")
    url = reverse("admin:taskmanager_delivery_change", args=(failed_delivery.pk,))
    client.post(url, {"handler": "other", "status": "sent"})
    failed_delivery.refresh_from_db()
    assert (failed_delivery.handler, failed_delivery.status) == ("chat", "failed")


def test_the_rendered_parts_are_hidden_from_who_may_not_read_reports(staff_client, failed_delivery):
    # The parts quote the run's log tail: the log viewer refuses this user, so must the parts.
    client = staff_client("view_delivery")
    response = client.get(reverse("admin:taskmanager_delivery_change", args=(failed_delivery.pk,)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Slack: 500 from [secret]" in page  # the record itself is shown
    assert "Rendered parts" not in page
    assert "[errors] nightly import" not in page
    assert client.get(reverse("log_viewer", args=(failed_delivery.report.pk,))).status_code == 403


def test_the_rendered_parts_are_shown_to_who_may_read_reports(staff_client, failed_delivery):
    client = staff_client("view_delivery", "view_report")
    page = client.get(
        reverse("admin:taskmanager_delivery_change", args=(failed_delivery.pk,))
    ).content.decode()
    assert "Rendered parts" in page
    assert "[errors] nightly import" in page


@pytest.fixture
def quiet_delivery(settings):
    """A task under ``notify: "change"`` that failed twice: the second report is skipped."""
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "ops": {
            "transport": "taskmanager.notifications.channels.locmem.LocmemTransport",
            "templates": "log",
            "notify": "change",
        }
    }
    task = a_task()
    report_of(task, "failed", -10).emit_notifications()
    report = report_of(task, "failed")
    report.emit_notifications()
    return Delivery.objects.get(report=report)


def test_the_report_page_shows_a_skipped_delivery_and_why_nobody_was_told(admin_client, quiet_delivery):
    assert quiet_delivery.status == Delivery.STATUS_SKIPPED
    page = admin_client.get(reverse("admin:taskmanager_report_change", args=(quiet_delivery.report.pk,)))
    text = page.content.decode()
    assert 'tm-badge-none">skipped<' in text
    assert "quiet: still failing since " in text


def test_the_delivery_list_shows_the_event_and_the_reason_and_filters_on_the_event(
    admin_client, quiet_delivery
):
    url = reverse("admin:taskmanager_delivery_changelist")
    page = admin_client.get(url).content.decode()
    assert "triggered" in page
    assert "quiet: still failing since " in page
    only_triggered = admin_client.get(url, {"event": "triggered"}).content.decode()
    assert "quiet: still failing" not in only_triggered
