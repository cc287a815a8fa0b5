"""A real SMTP server on loopback (aiosmtpd) that records what it receives.

:class:`SMTPServer` runs aiosmtpd's threaded ``Controller`` on 127.0.0.1, on an ephemeral port,
for Django's SMTP email backend (``EMAIL_HOST="127.0.0.1"``, ``EMAIL_PORT=server.port``).

Behaviours:

- Every accepted message is recorded as a :class:`ReceivedMail`: the envelope sender and
  recipients, the raw bytes as sent, and an ``email.message.EmailMessage`` parsed with
  ``email.policy.default``. Messages are recorded before the server answers ``250`` to DATA,
  so a synchronous sender finds its message recorded when its call returns.
- ``SMTPUTF8`` is offered and the data is kept as bytes (``decode_data=False``), so non-ASCII
  addresses and 8-bit bodies arrive as sent.
- ``reject_rcpt={"bad@example.com"}``: RCPT TO for those addresses (case-insensitive) answers
  ``550 5.1.1 mailbox unavailable``. With no recipient left, smtplib raises
  ``SMTPRecipientsRefused``; with some left, the message goes to those only.
- :meth:`SMTPServer.fail_next_data`: the next DATA commands answer ``code`` (451 by default: a
  temporary failure; smtplib raises ``SMTPDataError``) and nothing is recorded.
- :meth:`SMTPServer.stop`: the port closes and clients get "connection refused";
  :meth:`SMTPServer.start` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class ReceivedMail:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # Bound to port 0, the server only knows its real port once listening; aiosmtpd's
        # readiness probe connects to self.port, so learn it first.
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Handler:
    def __init__(self, owner: SMTPServer) -> None:
        self.owner = owner

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.owner.reject_rcpt:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        code = self.owner._take_data_failure()
        if code is not None:
            enhanced = "4.3.0" if code < 500 else "5.3.0"
            return f"{code} {enhanced} Requested action aborted: local error in processing"
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)  # policy.default always builds one
        self.owner._record(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), raw, message))
        return "250 Message accepted for delivery"


class SMTPServer:
    """An SMTP server on 127.0.0.1 recording what it receives; see the module docstring."""

    host = "127.0.0.1"

    def __init__(self, reject_rcpt: Iterable[str] = ()) -> None:
        self.reject_rcpt = {address.lower() for address in reject_rcpt}
        self._messages: list[ReceivedMail] = []
        self._data_failures: list[int] = []
        self._changed = threading.Condition()
        self._controller: _Controller | None = None
        self._port = 0

    def start(self) -> SMTPServer:
        if self._controller is not None:
            raise RuntimeError("SMTPServer is already running")
        controller = _Controller(
            _Handler(self),
            hostname=self.host,
            port=self._port,
            decode_data=False,
            enable_SMTPUTF8=True,
            server_hostname="smtp.fake.test",
            ready_timeout=10,
        )
        controller.start()
        self._controller, self._port = controller, controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("SMTPServer has no port until start() is called")
        return self._port

    def fail_next_data(self, n: int = 1, code: int = 451) -> None:
        """Answer ``code`` to the next ``n`` DATA commands, recording nothing."""
        with self._changed:
            self._data_failures.extend([code] * n)

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._changed:
            return list(self._messages)

    def clear(self) -> None:
        with self._changed:
            self._messages.clear()

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[ReceivedMail]:
        """Wait until ``count`` messages are recorded (for senders on another thread)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(f"{len(self._messages)} message(s) received, wanted {count}")
            return list(self._messages)

    def _take_data_failure(self) -> int | None:
        with self._changed:
            return self._data_failures.pop(0) if self._data_failures else None

    def _record(self, mail: ReceivedMail) -> None:
        with self._changed:
            self._messages.append(mail)
            self._changed.notify_all()
