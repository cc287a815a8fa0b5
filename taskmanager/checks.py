"""System checks of the taskmanager app (ids ``taskmanager.E0xx`` / ``W0xx``).

The notification checks live in :mod:`taskmanager.notifications.checks`;
importing them here registers them.
"""

from taskmanager.notifications import checks as notification_checks

__all__ = ["notification_checks"]
