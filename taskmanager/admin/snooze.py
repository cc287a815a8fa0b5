"""Snoozing a task's notifications from the admin: the actions, the list's column, the task page's line.

A snooze is :attr:`Task.notifications_snoozed_until`: while it lies ahead the policy keeps the
task's reports to itself (each leaves a ``skipped`` delivery saying "snoozed until ..."), and
the first report after a snooze that held a message back is judged as under ``notify:
"change"`` against the last message sent. The admin writes the field through
:mod:`taskmanager.notifications.policy_state`; the policy reads it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from taskmanager.models import Task
from taskmanager.notifications.policy import snooze_text
from taskmanager.notifications.policy_state import resume, snooze

#: The snooze lengths the actions offer.
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

_LOCATION = getattr(admin, "ActionLocation", None)
#: Django 6.1 offers an action on the change form too: the task's page then has them, beside
#: the task list; before it they are the list's only.
BOTH_PLACES: dict[str, Any] = (
    {"location": [_LOCATION.CHANGE_LIST, _LOCATION.CHANGE_FORM]} if _LOCATION is not None else {}
)


def snooze_label(until: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    """``"until 14:00"`` (today), ``"until 2026-03-03 14:00"``, ``"until resumed"``, or ``""`` when
    not snoozed (never, or a snooze that has run out), in the current time zone: the words of
    the skipped records' reason."""
    now = now or timezone.now()
    if until is None or until <= now:
        return ""
    return snooze_text(until, now)


class SnoozeAdminMixin(admin.ModelAdmin):
    """The snooze and resume actions of the task list, and how a snooze is shown."""

    snooze_actions = [
        "snooze_notifications_hour",
        "snooze_notifications_day",
        "snooze_notifications_until_resumed",
        "resume_notifications",
    ]

    @admin.display(description=_("notifications snoozed"), ordering="notifications_snoozed_until")
    def notifications_snooze(self, obj: Task) -> str:
        return snooze_label(obj.notifications_snoozed_until)

    @admin.display(description=_("notifications snoozed"))
    def notifications_snooze_status(self, obj: Task) -> str:
        label = snooze_label(obj.notifications_snoozed_until)
        if not label:
            return gettext("no (the actions snooze a task for 1 hour, 1 day or until resumed)")
        return gettext(
            "%(until)s: reports are recorded as skipped, not sent (Resume notifications ends it)"
        ) % {"until": label}

    def _snooze(
        self, request: HttpRequest, queryset: QuerySet[Task], length: datetime.timedelta | None
    ) -> None:
        now = timezone.now()
        until = None if length is None else now + length
        tasks = list(queryset.select_related(None).only("pk"))
        for task in tasks:
            snooze(task, until)
        count = len(tasks)
        label = snooze_label(tasks[0].notifications_snoozed_until, now) if tasks else ""
        self.message_user(
            request,
            ngettext(
                "Notifications of %(count)d task snoozed %(until)s: its reports are recorded as skipped.",
                "Notifications of %(count)d tasks snoozed %(until)s: their reports are recorded as skipped.",
                count,
            )
            % {"count": count, "until": label},
            messages.SUCCESS,
        )

    @admin.action(description=_("Snooze notifications for 1 hour"), permissions=["change"], **BOTH_PLACES)
    def snooze_notifications_hour(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        self._snooze(request, queryset, HOUR)

    @admin.action(description=_("Snooze notifications for 1 day"), permissions=["change"], **BOTH_PLACES)
    def snooze_notifications_day(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        self._snooze(request, queryset, DAY)

    @admin.action(description=_("Snooze notifications until resumed"), permissions=["change"], **BOTH_PLACES)
    def snooze_notifications_until_resumed(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        self._snooze(request, queryset, None)

    @admin.action(description=_("Resume notifications"), permissions=["change"], **BOTH_PLACES)
    def resume_notifications(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        now, count = timezone.now(), 0
        # A snooze that ran out is cleared too, silently: nothing changes for it.
        for task in (
            queryset.select_related(None)
            .exclude(notifications_snoozed_until=None)
            .only("pk", "notifications_snoozed_until")
        ):
            count += task.notifications_snoozed_until > now
            resume(task)
        if count:
            text = ngettext(
                "Notifications of %(count)d task resumed: its next report is sent if it differs from the "
                "last one sent.",
                "Notifications of %(count)d tasks resumed: the next report of each is sent if it differs "
                "from the last one sent.",
                count,
            ) % {"count": count}
            self.message_user(request, text, messages.SUCCESS)
        else:
            self.message_user(request, gettext("None of the selected tasks was snoozed."), messages.INFO)
