"""How a failed run is written into its log: one error record, with the command's own frames.

A command that raises (or exits with a non-zero code) ends its log with one block, written
as a captured logging record of level ``ERROR`` is (:data:`taskmanager.runs.capture.LOG_FORMAT`)::

    2024-05-01 03:00:12,345 ERROR taskmanager: the command failed: ValueError: unexpected row format
    Traceback (most recent call last):
      File "/srv/shop/management/commands/nightly_import.py", line 30, in handle
        raise ValueError("unexpected row format")
    ValueError: unexpected row format

So it follows the rules a record already follows: it counts once, as one error, and its
first line holds ``ERROR``, which the one rule for a line's severity
(:func:`taskmanager.results.line_result`) marks, for the log viewer's highlighting and
"errors only" and the ``log_severity`` filter alike. The rule itself is unchanged.

The frames that only say how the task manager called the command (this package's and
Django's ``BaseCommand.execute``) are left out: the traceback starts in the command,
so that the last lines of a failure's notification show the command's code.
"""

from __future__ import annotations

import logging
import os
import traceback

from taskmanager.runs.capture import LOG_FORMAT

#: The logger name the failure's record carries.
LOGGER_NAME = "taskmanager"

_RUNS = os.path.dirname(os.path.abspath(__file__)) + os.sep
_MANAGEMENT_BASE = os.path.join("django", "core", "management", "base.py")
_FORMATTER = logging.Formatter(LOG_FORMAT)


def _calls_the_command(frame: traceback.FrameSummary) -> bool:
    filename = os.path.abspath(frame.filename)
    if filename.startswith(_RUNS):
        return True
    return filename.endswith(_MANAGEMENT_BASE) and frame.name == "execute"


def command_traceback(exc: BaseException) -> str:
    """``exc``'s traceback (with its causes and contexts) from the first frame that is not
    the task manager's way of calling the command."""
    shown = traceback.TracebackException.from_exception(exc)
    seen: set[int] = set()
    pending = [shown]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        frames = list(current.stack)
        while frames and _calls_the_command(frames[0]):
            frames.pop(0)
        current.stack = traceback.StackSummary.from_list(frames)
        pending.extend(link for link in (current.__cause__, current.__context__) if link is not None)
    return "".join(shown.format())


def error_record(message: str, details: str = "") -> str:
    """``message`` as the task manager's own ``ERROR`` record, with ``details`` on the lines below."""
    record = logging.LogRecord(LOGGER_NAME, logging.ERROR, __file__, 0, message, None, None)
    head = _FORMATTER.format(record)
    return f"{head}\n{details.rstrip(chr(10))}" if details else head


def failure_record(exc: BaseException) -> str:
    """The block that ends the log of a run that raised ``exc``: a one-line summary, the traceback."""
    summary = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()
    return error_record(
        f"the command failed: {summary[0] if summary else type(exc).__name__}", command_traceback(exc)
    )
