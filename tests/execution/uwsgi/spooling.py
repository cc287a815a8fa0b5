"""Spool files as the uWSGI backend's tests make and read them, outside uWSGI."""

import datetime
import os
from pathlib import Path
from typing import Any

from taskmanager.execution.uwsgi import rides, spoolfiles
from taskmanager.models import Task


def spooled(task: Task, at: datetime.datetime | None = None, **options: Any) -> str:
    """Spool ``task`` (into ``directory=``, outside uWSGI); its spool file's path."""
    path = rides.spool(task, at, **options)
    assert path is not None
    return path


def spool_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("uwsgi_spoolfile_on_*"))


def uwsgi_args(path: str | Path) -> dict[str, Any]:
    """The dict uWSGI hands the spooler function for this file (through uwsgidecorators)."""
    return {**spoolfiles.read_spool_file(str(path)), "spooler_task_name": os.path.basename(path)}
