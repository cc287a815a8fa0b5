"""Keeping a handler's faults its own: whatever its code raises, however long it blocks.

A handler's own code runs in several places: its construction (its transport's
``__init__``), ``accepts``, ``context`` and ``extra_context``, rendering (its templates and
``finish_part``) and ``send``. What any of them does stays with that handler:

* **Any exception**, ``BaseException`` subclasses included (``SystemExit``,
  ``GeneratorExit``, a ``KeyboardInterrupt`` the code raises itself), becomes a
  :class:`Fault` of that handler, recorded on its delivery and logged by its name.
* **Except Ctrl-C**: Python delivers SIGINT as a ``KeyboardInterrupt`` in the main thread,
  and it must still stop the process. :func:`is_interrupt` tells it apart: a
  ``KeyboardInterrupt`` in the main thread passes through (once the caller has recorded
  what it can); in a delivery thread it can only have been raised by the handler's code.
* **A hang**: the delivery threads (:class:`DeliveryThreads`) are daemons, and emission
  waits for a handler only until its ``deadline``. A thread still blocked then is
  *abandoned*: nobody waits for it, it no longer counts against the pool's size, it lives
  on until its call returns, and it never holds up the end of the process.
"""

from __future__ import annotations

import logging
import queue
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

logger = logging.getLogger("taskmanager.notifications")
T = TypeVar("T")


class Faulty(Protocol):
    """What :func:`guard` needs of a handler: its name and how to hide its secrets."""

    name: str

    def redact(self, text: str) -> str: ...


@dataclass(frozen=True)
class Fault:
    """One handler's code failed (or did not finish) at ``stage``; ``error`` says how, secrets hidden."""

    stage: str
    error: str


def describe(exc: BaseException) -> str:
    """``ValueError: bad port``; the type alone when the exception says nothing."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def is_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` is how Ctrl-C arrives (a KeyboardInterrupt in the main thread)."""
    return isinstance(exc, KeyboardInterrupt) and threading.current_thread() is threading.main_thread()


def guard(stage: str, handler: Faulty, function: Callable[..., T], *args: Any, **kwargs: Any) -> T | Fault:
    """``function(*args, **kwargs)``, or the :class:`Fault` it raised (its traceback logged at
    debug level, by handler name).

    Ctrl-C (:func:`is_interrupt`) is let through; everything else is the handler's.
    """
    try:
        return function(*args, **kwargs)
    except BaseException as exc:
        if is_interrupt(exc):
            raise
        logger.debug("Notification handler %r: %s", handler.name, handler.redact(traceback.format_exc()))
        return Fault(stage, handler.redact(f"{stage} failed: {describe(exc)}"))


class Running(Future[T]):
    """The future of work given to :class:`DeliveryThreads`; :meth:`abandon` stops waiting for it."""

    def __init__(self, abandon: Callable[[], None]) -> None:
        super().__init__()
        self._abandon = abandon

    def abandon(self) -> None:
        """Nobody will wait for this work: if it has not started it never will; if it is
        running, its thread leaves the pool (a new one takes its place) and ends with it."""
        self._abandon()


class _Work:
    def __init__(self, threads: DeliveryThreads, function: Callable[..., Any], args: Any, kwargs: Any):
        self.threads = threads
        self.function, self.args, self.kwargs = function, args, kwargs
        self.future: Running[Any] = Running(self.abandon)
        self.running = False
        self.abandoned = False

    def abandon(self) -> None:
        with self.threads.lock:
            if self.abandoned or self.future.done():
                return
            self.abandoned = True
            running = self.running
            if running:
                self.threads.live -= 1  # its thread is lost to the pool
        if running:
            self.threads.top_up()  # work queued behind it gets a thread of its own
        self.future.cancel()  # only takes when it has not started

    def run(self) -> bool:
        """Do the work; False when it was abandoned meanwhile (the thread then ends)."""
        with self.threads.lock:
            if self.abandoned:
                return True
            self.running = True
        if not self.future.set_running_or_notify_cancel():
            return True
        try:
            result = self.function(*self.args, **self.kwargs)
        except BaseException as exc:  # in a delivery thread nothing is Ctrl-C: the caller judges it
            self.future.set_exception(exc)
        else:
            self.future.set_result(result)
        with self.threads.lock:
            self.running = False
            return not self.abandoned


class DeliveryThreads:
    """Daemon threads, started as work arrives (at most ``max_workers`` busy at once beside
    the abandoned ones) and kept for later work.

    Unlike :class:`concurrent.futures.ThreadPoolExecutor`, whose threads the interpreter
    joins at exit, a thread blocked in a handler's code can be given up on
    (:meth:`Running.abandon`) without holding up ``runtask``'s exit or the next emission.
    """

    def __init__(self, max_workers: int, name: str) -> None:
        self.max_workers = max_workers
        self.name = name
        self.lock = threading.Lock()
        #: Threads taking work (abandoned ones are not counted).
        self.live = 0
        self._started = 0
        self._queue: queue.SimpleQueue[_Work] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)

    def submit(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> Running[T]:
        work = _Work(self, function, args, kwargs)
        self._queue.put(work)
        if not self._idle.acquire(blocking=False):
            self.top_up()
        return work.future

    def top_up(self) -> None:
        """Start a thread when work waits and fewer than ``max_workers`` take work."""
        with self.lock:
            if self._queue.empty() or self.live >= self.max_workers:
                return
            self.live += 1
            self._started += 1
            name = f"{self.name}_{self._started}"
        threading.Thread(target=self._serve, name=name, daemon=True).start()

    def _serve(self) -> None:
        while True:
            work = self._queue.get()
            if not work.run():
                return
            self._idle.release()
