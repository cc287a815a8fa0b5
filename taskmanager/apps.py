"""Django application configuration for taskmanager."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaskmanagerConfig(AppConfig):
    name = "taskmanager"
    verbose_name = _("Task manager")
    # 2.x tables have 32-bit ids; keeping them makes the upgrade a cheap migration.
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        # Once the models are loaded (the layers above them import them).
        from taskmanager import checks  # noqa: F401  (registers the system checks)
        from taskmanager.execution.current import get_backend
        from taskmanager.models import LayersAbove, connect_layers_above
        from taskmanager.notifications.emission import emit_notifications

        connect_layers_above(
            LayersAbove(
                launch=lambda task: get_backend().launch(task),
                stop=lambda task: get_backend().stop(task),
                emit_notifications=emit_notifications,
            )
        )
