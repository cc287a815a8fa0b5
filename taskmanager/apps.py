"""Django application configuration for taskmanager."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaskmanagerConfig(AppConfig):
    name = "taskmanager"
    verbose_name = _("Task manager")
    # 2.x tables have 32-bit ids; keeping them makes the upgrade a cheap migration.
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        # Registers the system checks (the notifications framework adds its own).
        from taskmanager import checks  # noqa: F401
