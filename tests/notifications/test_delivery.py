"""Retries within one delivery: transient errors retried with backoff, permanent ones not."""

from dataclasses import dataclass, field

import pytest

from taskmanager.notifications import DeliveryError, Message, NotificationHandler, Transport
from taskmanager.notifications.delivery import attempt_delivery
from taskmanager.notifications.delivery_policy import RetryPolicy
from taskmanager.notifications.exceptions import NotificationConfigurationError


class ScriptedTransport(Transport):
    """Fails as scripted (one entry per attempt: an exception, or None to succeed)."""

    template_parts = ("txt",)
    secret_options = ("token",)

    def __init__(self, *, token: str = "", script=(), **options):
        super().__init__(**options)
        self.token = token
        self.script = list(script)
        self.calls = 0

    def send(self, message):
        self.calls += 1
        outcome = self.script.pop(0) if self.script else None
        if isinstance(outcome, str | dict):
            return outcome  # delivered, with a note (a string) or what a client answered (a dict)
        if outcome is not None:
            raise outcome
        return None


@dataclass
class Clock:
    now: float = 0.0
    sleeps: list = field(default_factory=list)

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def handler(script, **kwargs):
    return NotificationHandler(
        "chat",
        templates="log",
        transport_class=ScriptedTransport,
        options={"token": "xoxb-very-secret", "script": script},
        **kwargs,
    )


MESSAGE = Message(handler="chat", level="errors", parts={"txt": "hello"})


def deliver(h, policy=None):
    clock = Clock()
    return attempt_delivery(h, MESSAGE, policy=policy, sleep=clock.sleep, clock=clock), clock


def test_a_message_sent_first_time_takes_one_attempt():
    attempted, clock = deliver(handler([None]))
    assert (attempted.sent, attempted.attempts, clock.sleeps) == (True, 1, [])


def test_transient_errors_are_retried_with_exponential_backoff():
    h = handler([DeliveryError("timeout"), DeliveryError("502 bad gateway"), None])
    attempted, clock = deliver(h)
    assert (attempted.sent, attempted.attempts) == (True, 3)
    assert clock.sleeps == [1.0, 2.0]


def test_retry_after_is_honoured_when_longer_than_the_backoff():
    h = handler([DeliveryError("429 ratelimited", retry_after=7), None])
    attempted, clock = deliver(h)
    assert attempted.sent
    assert clock.sleeps == [7]


def test_a_permanent_error_is_not_retried():
    h = handler([DeliveryError("invalid_auth", permanent=True), None])
    attempted, clock = deliver(h)
    assert (attempted.sent, attempted.attempts, attempted.permanent) == (False, 1, True)
    assert clock.sleeps == []
    assert attempted.error == "invalid_auth"
    assert h.transport.calls == 1


def test_attempts_stop_at_max_attempts():
    h = handler([DeliveryError("down")] * 10, max_attempts=4)
    attempted, clock = deliver(h)
    assert (attempted.sent, attempted.attempts, attempted.permanent) == (False, 4, False)
    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_the_total_time_of_one_delivery_is_bounded_by_the_deadline():
    h = handler([DeliveryError("429", retry_after=50)] * 5, deadline=30)
    attempted, clock = deliver(h)
    assert (attempted.sent, attempted.attempts) == (False, 1)
    assert clock.sleeps == []


def test_an_unexpected_exception_is_treated_as_transient():
    h = handler([ConnectionResetError("reset by peer"), None])
    attempted, _clock = deliver(h)
    assert (attempted.sent, attempted.attempts) == (True, 2)


def test_secrets_are_redacted_from_the_recorded_error():
    h = handler([DeliveryError("POST https://hooks.slack.com/xoxb-very-secret failed", permanent=True)])
    attempted, _clock = deliver(h)
    assert "xoxb-very-secret" not in attempted.error
    assert "[secret]" in attempted.error


def test_the_backoff_is_capped():
    policy = RetryPolicy(max_attempts=10, base_delay=1, max_delay=5, deadline=1000)
    assert [policy.delay(n, None) for n in range(1, 6)] == [1, 2, 4, 5, 5]


@pytest.mark.parametrize(("key", "value"), [("max_attempts", 0), ("max_attempts", "3"), ("deadline", -1)])
def test_bad_retry_options_are_configuration_errors(key, value):
    with pytest.raises(NotificationConfigurationError, match=key):
        handler([], **{key: value})


@pytest.mark.parametrize("raised", [SystemExit(3), GeneratorExit()])
def test_a_base_exception_from_send_fails_the_delivery_without_a_retry_and_goes_no_further(raised):
    h = handler([raised, None])
    attempted, clock = deliver(h)
    assert (attempted.sent, attempted.attempts, attempted.permanent) == (False, 1, False)
    assert attempted.error.startswith(f"send raised {type(raised).__name__}")
    assert clock.sleeps == []


def test_a_keyboard_interrupt_in_a_delivery_thread_is_the_transports_own():
    import threading

    results = []
    thread = threading.Thread(target=lambda: results.append(deliver(handler([KeyboardInterrupt()]))[0]))
    thread.start()
    thread.join()
    assert [(a.sent, a.error) for a in results] == [(False, "send raised KeyboardInterrupt")]


def test_ctrl_c_in_the_main_thread_is_let_through():
    with pytest.raises(KeyboardInterrupt):
        deliver(handler([KeyboardInterrupt()]))


def test_a_note_from_a_delivered_message_is_kept_secrets_hidden_and_nothing_retried():
    h = handler(["the reply failed: xoxb-very-secret refused"], max_attempts=3)
    attempted, _clock = deliver(h)
    assert attempted.sent
    assert attempted.attempts == 1
    assert attempted.note == "the reply failed: [secret] refused"
    assert h.transport.calls == 1


def test_a_delivery_without_a_note_has_none():
    attempted, _clock = deliver(handler([None]))
    assert (attempted.sent, attempted.note) == (True, "")


def test_what_a_transport_returns_that_is_not_a_string_is_no_note():
    attempted, _clock = deliver(handler([{"ok": True, "ts": "1.2"}]))
    assert (attempted.sent, attempted.note) == (True, "")
