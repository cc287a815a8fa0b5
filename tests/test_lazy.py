"""taskmanager.lazy: a value built on first use, once, reset when asked or when a setting changes."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from taskmanager.lazy import Lazy


class Builds:
    """A build function counting its calls; each call returns a new object."""

    def __init__(self, wait: threading.Event | None = None) -> None:
        self.calls = 0
        self.started = threading.Event()
        self.wait = wait

    def __call__(self) -> list[int]:
        self.calls += 1
        self.started.set()
        if self.wait is not None:
            self.wait.wait(timeout=10)
        return [self.calls]


def test_nothing_is_built_before_the_first_get_and_then_once() -> None:
    build = Builds()
    lazy = Lazy(build)
    assert build.calls == 0
    first = lazy.get()
    assert lazy.get() is first
    assert build.calls == 1


def test_threads_asking_at_once_share_one_build() -> None:
    release = threading.Event()
    build = Builds(wait=release)
    lazy = Lazy(build)
    got: list[list[int]] = []
    threads = [threading.Thread(target=lambda: got.append(lazy.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    build.started.wait(timeout=10)
    release.set()
    for thread in threads:
        thread.join()
    assert build.calls == 1
    assert len(got) == 8
    assert all(value is got[0] for value in got)


def test_reset_builds_again_on_the_next_get() -> None:
    build = Builds()
    lazy = Lazy(build)
    first = lazy.get()
    lazy.reset()
    assert build.calls == 1
    assert lazy.get() is not first
    assert build.calls == 2


def test_a_reset_during_a_build_is_not_undone_by_it() -> None:
    release = threading.Event()
    build = Builds(wait=release)
    lazy = Lazy(build)
    getter = threading.Thread(target=lazy.get)
    getter.start()
    build.started.wait(timeout=10)
    resetter = threading.Thread(target=lazy.reset)
    resetter.start()
    resetter.join(timeout=0.2)  # a chance to reset while the build is in flight
    release.set()
    getter.join()
    resetter.join()
    # The value built before the reset is not kept: the next get builds anew.
    assert lazy.get() == [2]


def test_a_named_setting_changing_resets_it(settings: Any) -> None:
    build = Builds()
    lazy = Lazy(build).reset_when_changed("UWSGI_TASKMANAGER_TEST_LAZY")
    first = lazy.get()
    settings.UWSGI_TASKMANAGER_OTHER_SETTING = 1
    assert lazy.get() is first
    settings.UWSGI_TASKMANAGER_TEST_LAZY = 1
    assert lazy.get() is not first
    assert build.calls == 2


def in_child(check: Callable[[], bool]) -> bool:
    """Whether ``check()`` is true in a forked child (False if it raises or hangs)."""
    pid = os.fork()
    if pid == 0:
        outcome: list[bool] = []

        def run() -> None:
            try:
                outcome.append(check())
            except BaseException:
                outcome.append(False)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(timeout=10)
        os._exit(0 if outcome == [True] else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def test_a_forked_child_keeps_the_parents_value() -> None:
    lazy = Lazy(Builds())
    value = lazy.get()
    assert in_child(lambda: lazy.get() == value and lazy.get() is lazy.get())
    assert in_child(lambda: lazy.get() == [1])


def test_a_value_per_process_is_built_again_in_a_forked_child() -> None:
    build = Builds()
    lazy = Lazy(build, per_process=True)
    lazy.get()
    assert in_child(lambda: lazy.get() == [2])
    assert lazy.get() == [1]


def test_a_fork_while_a_build_holds_the_lock_leaves_the_child_a_usable_one() -> None:
    release = threading.Event()
    build = Builds(wait=release)
    busy = Lazy(build)
    getter = threading.Thread(target=busy.get)
    getter.start()
    build.started.wait(timeout=10)
    try:
        # The building thread does not exist in the child: its lock must not stay held there.
        def build_in_child() -> bool:
            build.wait = None
            busy.reset()
            return busy.get() == [2]

        assert in_child(build_in_child)
    finally:
        release.set()
        getter.join()
