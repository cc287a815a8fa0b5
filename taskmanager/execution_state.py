"""What the execution backends share in the database besides the tasks: the Tasks backend's watchdog.

A module of its own beside :mod:`taskmanager.models`, which imports it (Django finds the model
there).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Watchdog(models.Model):
    """The one row saying which watchdog ride of the Tasks backend is alive and when it last rode."""

    token = models.CharField(_("token"), max_length=64, blank=True)
    beat = models.DateTimeField(_("last ride"), blank=True, null=True)

    def __str__(self) -> str:
        return self.token
