"""Fixtures of the uWSGI backend's tests: a spool directory, and a spooler's lock on a file."""

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    path = tmp_path / "spool"
    path.mkdir()
    return path


@pytest.fixture
def locked() -> Iterator[Callable[[str | Path], None]]:
    """Hold a file's spooler lock from another process, as a running uWSGI spooler does."""
    holders: list[subprocess.Popen[str]] = []

    def lock(path: str | Path) -> None:
        code = (
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR)\n"
            "fcntl.lockf(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n"
        )
        holder = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
        holders.append(holder)
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"

    yield lock
    for holder in holders:
        holder.kill()
        holder.wait()
