"""A value built on first use, once, whichever threads ask: the process's handlers, renderer
and delivery threads, a transport's client.

Nothing is built at start-up (``manage.py check`` and a web worker that never notifies pay
nothing), two threads asking at once get the same value, and a test that changes a setting
gets a fresh one (:meth:`Lazy.reset_when_changed`).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.core.signals import setting_changed

T = TypeVar("T")

#: Every Lazy, so that a forked child can give each a lock of its own (see _after_fork_in_child).
_instances: weakref.WeakSet[Lazy[Any]] = weakref.WeakSet()


class Lazy(Generic[T]):
    """``build()``'s value, built by the first :meth:`get` and kept until :meth:`reset`.

    ``per_process``: a forked child (a uWSGI worker) builds its own instead of using the
    parent's, for values that do not survive a fork (threads, sockets).
    """

    def __init__(self, build: Callable[[], T], *, per_process: bool = False) -> None:
        self._build = build
        self._per_process = per_process
        # The value with the id of the process that built it, swapped as one object so
        # that the unlocked read in get() never sees half of a change.
        self._held: tuple[int, T] | None = None
        self._lock = threading.Lock()
        _instances.add(self)

    def get(self) -> T:
        held = self._held
        if held is None or not self._current(held):
            with self._lock:
                held = self._held
                if held is None or not self._current(held):
                    held = (os.getpid(), self._build())
                    self._held = held
        return held[1]

    def reset(self) -> None:
        """Forget the value: the next :meth:`get` builds it again."""
        # Under the lock, so that a build in flight cannot store its value after the reset.
        with self._lock:
            self._held = None

    def reset_when_changed(self, *settings: str) -> Lazy[T]:
        """Reset when Django says one of ``settings`` changed (``override_settings`` in tests)."""
        names = frozenset(settings)

        def reset(*, setting: str, **kwargs: Any) -> None:
            if setting in names:
                self.reset()

        setting_changed.connect(reset, weak=False)
        return self

    def _current(self, held: tuple[int, T]) -> bool:
        return not self._per_process or held[0] == os.getpid()


def _after_fork_in_child() -> None:
    # A fork while another thread held a lock leaves it held for good in the child,
    # where that thread does not exist.
    for lazy in list(_instances):
        lazy._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
