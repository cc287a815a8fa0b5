"""Snoozing a task's notifications from the admin: the actions, their messages, the list's column
and the task page's line."""

import datetime

import django
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from taskmanager.admin.snooze import snooze_label
from taskmanager.models import Task
from taskmanager.notification_state import SNOOZED_UNTIL_RESUMED
from tests.admin.pages import message_texts, page, result_list

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:taskmanager_task_changelist"
#: 13:00 in Rome, where the tests' TIME_ZONE is.
NOON_UTC = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.timezone.utc)


def act(client: Client, action: str, *tasks: Task):
    return client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [str(t.pk) for t in tasks]}, follow=True
    )


def snoozed_until(task: Task) -> datetime.datetime | None:
    task.refresh_from_db()
    return task.notifications_snoozed_until


def test_snoozing_for_an_hour_sets_the_time_an_hour_ahead_and_says_until_when(
    admin_client: Client, task: Task
) -> None:
    before = timezone.now()
    response = act(admin_client, "snooze_notifications_hour", task)
    after = timezone.now()

    until = snoozed_until(task)
    assert until is not None
    assert before + datetime.timedelta(hours=1) <= until <= after + datetime.timedelta(hours=1)
    shown = f"{timezone.localtime(until):%H:%M}"
    assert message_texts(response) == [
        f"Notifications of 1 task snoozed until {shown}: its reports are recorded as skipped."
    ]
    assert f'<td class="field-notifications_snooze">until {shown}</td>' in result_list(response)


def test_snoozing_for_a_day_sets_the_time_a_day_ahead(admin_client: Client, task: Task) -> None:
    before = timezone.now()
    act(admin_client, "snooze_notifications_day", task)
    until = snoozed_until(task)
    assert until is not None
    assert until - before >= datetime.timedelta(days=1)
    assert until - before < datetime.timedelta(days=1, minutes=1)


def test_snoozing_until_resumed_is_shown_so_in_the_list(admin_client: Client, task: Task, command) -> None:
    other = Task.objects.create(name="weekly export", command=command)
    response = act(admin_client, "snooze_notifications_until_resumed", task, other)

    assert snoozed_until(task) == SNOOZED_UNTIL_RESUMED
    assert snoozed_until(other) == SNOOZED_UNTIL_RESUMED
    assert message_texts(response) == [
        "Notifications of 2 tasks snoozed until resumed: their reports are recorded as skipped."
    ]
    assert result_list(response).count('<td class="field-notifications_snooze">until resumed</td>') == 2


def test_resuming_ends_the_snooze_and_says_the_next_report_is_sent_if_it_is_news(
    admin_client: Client, task: Task
) -> None:
    act(admin_client, "snooze_notifications_until_resumed", task)
    response = act(admin_client, "resume_notifications", task)

    assert snoozed_until(task) is None
    assert message_texts(response) == [
        "Notifications of 1 task resumed: its next report is sent if it differs from the last one sent."
    ]
    assert "until resumed" not in result_list(response)


def test_resuming_tasks_that_were_not_snoozed_says_so(admin_client: Client, task: Task) -> None:
    Task.objects.filter(pk=task.pk).update(
        notifications_snoozed_until=timezone.now() - datetime.timedelta(hours=1)
    )
    response = act(admin_client, "resume_notifications", task)

    assert message_texts(response) == ["None of the selected tasks was snoozed."]
    # The snooze that ran out is cleared all the same.
    assert snoozed_until(task) is None


def test_a_task_that_is_not_snoozed_shows_the_empty_value(admin_client: Client, task: Task) -> None:
    html = result_list(admin_client.get(reverse(CHANGELIST)))
    assert '<td class="field-notifications_snooze">-</td>' in html


def test_the_task_page_says_whether_and_until_when_the_task_is_snoozed(
    admin_client: Client, task: Task
) -> None:
    url = reverse("admin:taskmanager_task_change", args=(task.pk,))
    assert "no (the actions snooze a task for 1 hour, 1 day or until resumed)" in page(admin_client.get(url))

    act(admin_client, "snooze_notifications_until_resumed", task)
    html = page(admin_client.get(url))
    assert "until resumed: reports are recorded as skipped, not sent (Resume notifications ends it)" in html


def test_only_staff_who_may_change_tasks_can_snooze(staff_client, task: Task) -> None:
    client = staff_client("view_task")
    response = act(client, "snooze_notifications_hour", task)
    assert response.status_code == 200
    assert snoozed_until(task) is None


# -- the label ------------------------------------------------------------------------------------


def test_a_snooze_ending_today_shows_its_time_in_the_current_time_zone() -> None:
    assert snooze_label(NOON_UTC + datetime.timedelta(hours=1), NOON_UTC) == "until 14:00"


def test_a_snooze_ending_another_day_shows_the_date_too() -> None:
    assert snooze_label(NOON_UTC + datetime.timedelta(days=1), NOON_UTC) == "until 2026-03-03 13:00"


def test_a_snooze_until_resumed_says_so() -> None:
    assert snooze_label(SNOOZED_UNTIL_RESUMED, NOON_UTC) == "until resumed"


def test_no_snooze_and_a_snooze_that_ran_out_show_nothing() -> None:
    assert snooze_label(None, NOON_UTC) == ""
    assert snooze_label(NOON_UTC - datetime.timedelta(minutes=1), NOON_UTC) == ""
    assert snooze_label(NOON_UTC, NOON_UTC) == ""


@pytest.mark.skipif(django.VERSION < (6, 1), reason="actions on the change form are Django 6.1's")
def test_on_django_61_the_task_page_has_the_snooze_actions_too(admin_client: Client, task: Task) -> None:
    url = reverse("admin:taskmanager_task_change", args=(task.pk,))
    assert 'value="snooze_notifications_hour"' in page(admin_client.get(url))

    response = admin_client.post(
        url,
        {"CHANGE_FORM-action": "snooze_notifications_until_resumed", "_selected_action": [str(task.pk)]},
        follow=True,
    )
    assert snoozed_until(task) == SNOOZED_UNTIL_RESUMED
    assert message_texts(response) == [
        "Notifications of 1 task snoozed until resumed: its reports are recorded as skipped."
    ]
