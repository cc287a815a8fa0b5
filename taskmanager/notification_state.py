"""The notification policy's memory of each task and handler, and the snooze's "until resumed".

A module of its own beside :mod:`taskmanager.models`, which imports it (Django finds the model
there): the models module stays one job, the run's records.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: The far-future moment ``notifications_snoozed_until`` holds for "until resumed": one field
#: says both kinds of snooze, and the policy's one comparison (``until > now``) covers both.
#: The first day of 9999, not its last: converting it to any time zone stays in range.
SNOOZED_UNTIL_RESUMED = datetime.datetime(9999, 1, 1, tzinfo=datetime.timezone.utc)


def snoozed_until_resumed() -> datetime.datetime:
    """:data:`SNOOZED_UNTIL_RESUMED` as the database takes it (naive when ``USE_TZ`` is off)."""
    if timezone.is_aware(timezone.now()):
        return SNOOZED_UNTIL_RESUMED
    return SNOOZED_UNTIL_RESUMED.replace(tzinfo=None)


def is_until_resumed(until: datetime.datetime | None) -> bool:
    """Whether a ``notifications_snoozed_until`` has no end (until someone resumes)."""
    return until is not None and until.year >= SNOOZED_UNTIL_RESUMED.year


class HandlerState(models.Model):
    """What one notification handler has been told about one task: the notification policy's
    memory (``taskmanager.notifications.policy``), read and written under a row lock."""

    task = models.ForeignKey("Task", on_delete=models.CASCADE, related_name="+", verbose_name=_("task"))
    handler = models.CharField(_("handler"), max_length=100)
    #: Consecutive reports at or above the handler's level, the last one included (0: below).
    streak = models.PositiveIntegerField(_("streak"), default=0)
    streak_started = models.DateTimeField(_("failing since"), blank=True, null=True)
    #: The least serious result among the streak's reports: what each of them reached.
    streak_result = models.CharField(_("streak's result"), max_length=20, blank=True)
    last_sent_result = models.CharField(_("last result sent"), max_length=20, blank=True)
    last_sent_at = models.DateTimeField(_("last sent"), blank=True, null=True)
    #: A snooze held a message back since: the next report is judged against the last one sent.
    held = models.BooleanField(_("held by a snooze"), default=False)
    #: How many reports were judged: each decision writes the next number, exactly once.
    judged = models.PositiveIntegerField(_("reports judged"), default=0)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification state")
        verbose_name_plural = _("notification states")
        constraints = [
            models.UniqueConstraint(fields=("task", "handler"), name="taskmanager_unique_handlerstate"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} for task {self.task_id}: streak {self.streak}"
