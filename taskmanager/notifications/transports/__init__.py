"""Transports: one small class each, with one ``send``."""

from taskmanager.notifications.transports.base import Transport

__all__ = ["Transport"]
