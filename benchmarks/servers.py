"""The loopback Slack fake and SMTP server in a process of their own, for the benchmarks.

A real Slack or mail server runs on another machine: its work never competes
with the code being measured. Started in this process, the fakes' threads would
share its interpreter lock with the emission's delivery threads, and every
parallel delivery would be charged for the servers' own parsing. In a child
process they run beside it, as over a network, and the benchmark still sees
what they received.
"""

from __future__ import annotations

import multiprocessing
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _serve(conn: Connection) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.fakes import FakeSlack, SMTPServer

    with FakeSlack() as fake, SMTPServer() as smtp:
        conn.send({"base_url": fake.base_url, "port": fake.port, "host": smtp.host, "smtp_port": smtp.port})
        while True:
            command, argument = conn.recv()
            if command == "latency":
                fake.latency = argument
                conn.send(None)
            elif command == "counts":
                conn.send(
                    {
                        "messages": len(fake.messages),
                        "requests": len(fake.requests),
                        "mails": len(smtp.messages),
                    }
                )
            else:
                conn.send(None)
                return


class Servers:
    """``with Servers() as servers:`` the fakes' addresses, their latency, what they received."""

    def __enter__(self) -> Servers:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        info: dict[str, Any] = self._conn.recv()
        self.base_url: str = info["base_url"]
        self.port: int = info["port"]
        self.host: str = info["host"]
        self.smtp_port: int = info["smtp_port"]
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send(("stop", None))
        self._conn.recv()
        self._process.join(timeout=10)

    def set_latency(self, seconds: float) -> None:
        """Make the Slack fake answer every request after ``seconds``."""
        self._conn.send(("latency", seconds))
        self._conn.recv()

    def counts(self) -> dict[str, int]:
        """Slack messages accepted, Slack requests seen, mails received."""
        self._conn.send(("counts", None))
        counts: dict[str, int] = self._conn.recv()
        return counts
