"""uWSGI's spool files: what ``uwsgi.spool`` writes, read and written here too.

Pure file and uWSGI work, no database: this module loads before Django is set up
(uWSGI imports :mod:`taskmanager.spooler` in its spooler processes).
"""

from __future__ import annotations

import datetime
import fcntl
import itertools
import logging
import os
import random
import socket
import struct
import time
from typing import Any

logger = logging.getLogger("taskmanager.spooler")

SPOOL_FUNCTION = "taskmanager_spooler_job"
SPOOL_FILE_PREFIX = "uwsgi_spoolfile_on_"
# uWSGI's SPOOL_OK: the spooler deletes the file once the function returns it.
SPOOL_OK = -2
JOB_TASK = "task"
JOB_RESEND = "resend"
# uWSGI's spool packet: modifier1 17, then uwsgi vars (16-bit little-endian sizes).
_MODIFIER1 = 17
_counter = itertools.count(1)


class SpoolerError(Exception):
    """A job could not be spooled (no spooler here, or uWSGI refused the request)."""


def uwsgi_module() -> Any | None:
    """uWSGI's embedded ``uwsgi`` module, or None outside uWSGI."""
    try:
        import uwsgi
    except ImportError:
        return None
    return uwsgi


def has_spooler() -> bool:
    """Whether this process runs under uWSGI with a spooler (local or external) to spool to."""
    uwsgi = uwsgi_module()
    return uwsgi is not None and bool(getattr(uwsgi, "spoolers", ()))


def spooler_directories() -> list[str]:
    """This uWSGI instance's spool directories (absolute), the first one being the default."""
    uwsgi = uwsgi_module()
    if uwsgi is None:
        return []
    return [os.fsdecode(path) for path in getattr(uwsgi, "spoolers", ())]


def in_spooler() -> bool:
    uwsgi = uwsgi_module()
    return uwsgi is not None and bool(uwsgi.i_am_the_spooler())


def encode_spool_vars(args: dict[str, str]) -> bytes:
    """``args`` as the uwsgi vars of a spool packet (what ``uwsgi.spool`` writes)."""
    parts = []
    for key, value in args.items():
        for raw in (key.encode(), value.encode()):
            parts.append(struct.pack("<H", min(len(raw), 0xFFFF)) + raw)
    packet = b"".join(parts)
    if len(packet) > 0xFFFF:
        raise SpoolerError("A spool request is limited to 64 KiB of arguments.")
    return packet


def read_spool_file(path: str) -> dict[str, str]:
    """The arguments stored in a spool file (its ``at`` too), read as uWSGI reads them."""
    with open(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != _MODIFIER1:
        raise ValueError(f"{path} is not a uWSGI spool file.")
    (size,) = struct.unpack_from("<H", data, 1)
    packet, args, offset = data[4 : 4 + size], {}, 0
    while offset < len(packet):
        (key_size,) = struct.unpack_from("<H", packet, offset)
        key = packet[offset + 2 : offset + 2 + key_size]
        offset += 2 + key_size
        (value_size,) = struct.unpack_from("<H", packet, offset)
        value = packet[offset + 2 : offset + 2 + value_size]
        offset += 2 + value_size
        args[key.decode()] = value.decode()
    return args


def write_spool_file(directory: str, args: dict[str, str], at: int | None = None) -> str:
    """Write a spool file into ``directory`` as ``uwsgi.spool`` does, for use outside uWSGI.

    The spooler serving ``directory`` picks it up at its next scan (every
    ``spooler-frequency`` seconds). The file appears whole (written aside, then
    renamed: uWSGI only looks at names starting with ``uwsgi_spoolfile_on_``),
    and belongs to the directory's owner when written by root, so a spooler
    running as another user can run and delete it.
    """
    if at is not None:
        args = {**args, "at": str(at)}
    packet = encode_spool_vars(args)
    now = time.time()
    name = (
        f"{SPOOL_FILE_PREFIX}{socket.gethostname()}_{os.getpid()}_{next(_counter)}_"
        f"{random.randrange(2**31)}_{int(now)}_{int(now % 1 * 1_000_000)}"
    )
    path = os.path.join(os.path.abspath(directory), name)
    aside = os.path.join(os.path.dirname(path), f".{name}.writing")
    fd = os.open(aside, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        os.write(fd, struct.pack("<BHB", _MODIFIER1, len(packet), 0) + packet)
        os.fsync(fd)
        if os.geteuid() == 0:
            owner = os.stat(os.path.dirname(path))
            os.fchown(fd, owner.st_uid, owner.st_gid)
    finally:
        os.close(fd)
    if at is not None:
        # The spooler leaves a file alone while its modification time is ahead.
        os.utime(aside, (at, at))
    os.rename(aside, path)
    return path


def is_running(path: str) -> bool:
    """Whether a spooler is running ``path`` now: it holds a write lock on the file meanwhile."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # unreadable here: do not touch it
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def discard_spool_file(path: str) -> bool:
    """Delete a waiting spool file; never one being run (the spooler deletes it when done)."""
    if not path or is_running(path):
        return False
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def spool_job(args: dict[str, str], at: int | None = None, directory: str | None = None) -> str:
    """Spool a job for :func:`spooler_job`; returns the spool file's path.

    Under uWSGI through ``uwsgi.spool`` (which wakes an idle spooler at once);
    with ``directory``, by writing the file there (management commands).
    """
    args = {"ud_spool_func": SPOOL_FUNCTION, "ud_spool_ret": str(SPOOL_OK), **args}
    if directory is not None:
        return write_spool_file(directory, args, at)
    uwsgi = uwsgi_module()
    if uwsgi is None or not has_spooler():
        raise SpoolerError("This process has no uWSGI spooler to spool to.")
    if at is not None:
        args["at"] = str(at)
    path = uwsgi.spool({key.encode(): value.encode() for key, value in args.items()})
    if not path:
        raise SpoolerError("uWSGI refused the spool request (its log says why).")
    return os.fsdecode(path)


def spool_resend(
    *,
    report: int | None = None,
    handler: str | None = None,
    since: datetime.datetime | None = None,
    directory: str | None = None,
) -> str:
    """Spool a resend of failed deliveries (``resend_notifications``' filters); returns the path."""
    args = {"job": JOB_RESEND, "report": str(report or ""), "handler": handler or ""}
    if since is not None:
        args["since"] = since.isoformat()
    return spool_job(args, directory=directory)
