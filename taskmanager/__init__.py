"""django-uwsgi-taskmanager: run management commands as tasks, report and notify."""

__version__ = "3.0.0.dev0"
