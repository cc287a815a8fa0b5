"""Delivery records: one handler's delivery of one report, what was sent and what happened.

A module of its own beside :mod:`taskmanager.models`, which imports it (Django finds the model
there): the models module keeps the tasks and their runs.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Delivery(models.Model):
    """One handler's delivery of one report: what was sent, and what happened.

    Every round of ``Report.emit_notifications()`` adds one per matching
    handler; ``resend_notifications`` re-attempts the failed ones.
    """

    STATUS_PENDING = "pending"
    STATUS_SENT = "sent"
    STATUS_FAILED = "failed"
    STATUS_SKIPPED = "skipped"
    STATUS_CHOICES = (
        (STATUS_PENDING, _("pending")),
        (STATUS_SENT, _("sent")),
        (STATUS_FAILED, _("failed")),
        (STATUS_SKIPPED, _("skipped")),
    )

    report = models.ForeignKey(
        "Report", on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("report")
    )
    handler = models.CharField(_("handler"), max_length=100)
    level = models.CharField(_("level"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=STATUS_CHOICES, default=STATUS_PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    permanent = models.BooleanField(
        _("permanent failure"),
        default=False,
        help_text=_("Trying again cannot help (bad token, refused address)."),
    )
    # The rendered parts as sent (secrets left out); resend uses them.
    parts = models.JSONField(_("rendered parts"), default=dict, blank=True)
    test = models.BooleanField(_("test"), default=False)
    created = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), blank=True, null=True)
    # What the notification policy made of the report for this handler (docs/policy.rst):
    # its event, and for a skipped record why nobody was told.
    event = models.CharField(_("event"), max_length=20, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ("-created", "-id")
        indexes = [models.Index(fields=("status", "created")), models.Index(fields=("report", "handler"))]

    def __str__(self) -> str:
        return f"{self.handler} for report {self.report.pk}: {self.status}"
