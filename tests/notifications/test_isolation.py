"""guard, is_interrupt and the delivery threads: the parts emission isolates handlers with."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from taskmanager.notifications.isolation import DeliveryThreads, Fault, describe, guard, is_interrupt


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # a hung thread finishes now


class Named:
    name = "pager"

    def redact(self, text: str) -> str:
        return text.replace("s3cret", "[secret]")


def test_guard_turns_any_exception_into_a_fault_with_secrets_hidden():
    def fail() -> None:
        raise SystemExit("token s3cret refused")

    assert guard("send", Named(), fail) == Fault("send", "send failed: SystemExit: token [secret] refused")


def test_a_keyboard_interrupt_is_ctrl_c_only_in_the_main_thread():
    seen: list[bool] = []
    thread = threading.Thread(target=lambda: seen.append(is_interrupt(KeyboardInterrupt())))
    thread.start()
    thread.join()
    assert seen == [False]
    assert is_interrupt(KeyboardInterrupt())
    assert not is_interrupt(SystemExit())


def test_an_abandoned_thread_leaves_the_pool_and_the_work_after_it_still_runs(gate):
    threads = DeliveryThreads(max_workers=1, name="test-threads")
    hung = threads.submit(gate.wait, 60)
    queued = threads.submit(sum, [1, 2])
    assert not queued.done()
    hung.abandon()
    assert queued.result(timeout=10) == 3
    assert not hung.done()


def test_the_delivery_threads_are_daemons():
    threads = DeliveryThreads(max_workers=2, name="test-daemons")
    assert threads.submit(lambda: threading.current_thread().daemon).result(timeout=10)


def test_an_exception_is_described_by_its_type_and_its_words():
    assert describe(ValueError("bad port")) == "ValueError: bad port"
    assert describe(KeyboardInterrupt()) == "KeyboardInterrupt"


def test_work_queued_behind_abandoned_work_that_had_not_started_never_runs(gate):
    threads = DeliveryThreads(max_workers=1, name="test-queued")
    ran: list[str] = []
    blocker = threads.submit(gate.wait, 60)
    queued = threads.submit(ran.append, "queued")
    queued.abandon()
    gate.set()
    assert blocker.result(timeout=10)
    assert threads.submit(ran.append, "next").result(timeout=10) is None
    assert ran == ["next"]
    assert queued.cancelled()
