"""System checks of the taskmanager app (ids ``taskmanager.E0xx`` / ``W0xx``).

The notification checks live in :mod:`taskmanager.notifications.checks`, those of the
execution backends in :mod:`taskmanager.execution.checks`; importing them here registers them.
"""

from taskmanager.execution import checks as execution_checks
from taskmanager.notifications import checks as notification_checks

__all__ = ["execution_checks", "notification_checks"]
