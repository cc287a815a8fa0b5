"""A run's log file: where it is kept, and reading it without holding it whole in memory."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from typing import Any, Protocol

from django.conf import settings as django_settings
from django.utils import timezone

from taskmanager.conf import settings


class Saved(Protocol):
    """A saved model instance (a task, a report): only its primary key is read."""

    @property
    def pk(self) -> Any: ...


def logfile_path(task: Saved, report: Saved, started: datetime.datetime) -> str:
    """``<MEDIA_ROOT>/<UWSGI_TASKMANAGER_LOGFILE_DIR>/<task>-<report>-<local start time>.log``."""
    name = f"{task.pk}-{report.pk}-{timezone.localtime(started):%Y%m%d-%H%M%S}.log"
    return os.path.abspath(os.path.join(django_settings.MEDIA_ROOT, settings.LOGFILE_DIR, name))


def read_lines(path: str) -> Iterator[str]:
    """Every line of the file, without its newline; invalid UTF-8 replaced."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            yield line.rstrip("\n")


def tail_of_file(path: str, n: int, block: int = 64 * 1024) -> list[str]:
    """Read the last ``n`` lines of ``path`` by seeking back from its end."""
    if n <= 0:
        return []
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        data = b""
        while end > 0 and data.count(b"\n") <= n:
            start = max(0, end - block)
            fh.seek(start)
            data = fh.read(end - start) + data
            end = start
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[-n:]


def count_lines(path: str) -> int:
    """The number of lines of the file, a last one without its newline included."""
    lines, last = 0, b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")
