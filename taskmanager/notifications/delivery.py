"""Deliver one message through a handler's transport, retrying what can be retried.

Transient failures (connection refused, timeouts, HTTP 429 and 5xx, SMTP 4xx)
are retried with exponential backoff that honours Retry-After; permanent ones
(a bad token, an unknown channel, a refused address) are not. The total time of
one delivery is bounded by ``deadline``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from taskmanager.notifications.delivery_policy import RetryPolicy
from taskmanager.notifications.exceptions import DeliveryError
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.isolation import describe, is_interrupt
from taskmanager.notifications.message import Message

logger = logging.getLogger("taskmanager.notifications")


@dataclass(frozen=True)
class Attempted:
    """The outcome of delivering one message, after every attempt."""

    sent: bool
    attempts: int
    error: str = ""
    permanent: bool = False
    #: Sent, but something sent along with it was not (see ``Transport.send``).
    note: str = ""


def attempt_delivery(
    handler: NotificationHandler,
    message: Message,
    *,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Attempted:
    """Send ``message`` with ``handler``'s transport; never raises (but for Ctrl-C in the
    main thread: :func:`~taskmanager.notifications.isolation.is_interrupt`)."""
    policy = policy or handler.retry_policy
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            note = handler.send(message)
        except DeliveryError as exc:
            error, permanent, retry_after = handler.redact(exc.message), exc.permanent, exc.retry_after
        except Exception as exc:  # a transport bug or an unwrapped library error: treat as transient
            error = handler.redact(describe(exc))
            permanent, retry_after = False, None
        except BaseException as exc:
            if is_interrupt(exc):
                raise
            # SystemExit, GeneratorExit, a KeyboardInterrupt of its own: the transport asked to
            # stop, not to try again; the delivery fails (resendable) and nothing else does.
            error = handler.redact(f"send raised {describe(exc)}")
            return Attempted(sent=False, attempts=attempt, error=error, permanent=False)
        else:
            # Only a string is a note: a transport written before notes may return what its
            # client returned (a response object).
            note = handler.redact(note) if isinstance(note, str) else ""
            return Attempted(sent=True, attempts=attempt, note=note)
        if permanent or attempt >= policy.max_attempts:
            return Attempted(sent=False, attempts=attempt, error=error, permanent=permanent)
        wait = policy.delay(attempt, retry_after)
        if clock() - started + wait > policy.deadline:
            logger.warning(
                "Notification handler %r: giving up after %d attempt(s), the next would pass the %s s "
                "deadline: %s",
                handler.name,
                attempt,
                policy.deadline,
                error,
            )
            return Attempted(sent=False, attempts=attempt, error=error, permanent=False)
        logger.info(
            "Notification handler %r: attempt %d failed (%s); retrying in %.1f s",
            handler.name,
            attempt,
            error,
            wait,
        )
        sleep(wait)
