"""A tiny webhook receiver on loopback: records each POST and answers chosen statuses."""

from __future__ import annotations

import http.server
import threading
import time
from dataclasses import dataclass
from types import TracebackType


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 204
    body: bytes = b""
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()
    #: Quote the request's path and query after ``body``, as some services do in an error.
    echo: bool = False


class WebhookReceiver:
    """``with WebhookReceiver() as hook: ... hook.url ... hook.requests``.

    ``answer(...)`` queues the next answers (default: 204 No Content); ``hold_until(n)`` makes
    the first requests wait for one another, so that senders side by side (two processes)
    are surely in flight at the same time.
    """

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._answers: list[Answer] = []
        self._lock = threading.Condition()
        self._meet = 0
        self._patience = 0.0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                    answer = receiver._answers.pop(0) if receiver._answers else Answer()
                    receiver._lock.notify_all()
                    # A lone sender would wait for ever: give up once, for every request.
                    if not receiver._lock.wait_for(
                        lambda: len(receiver.requests) >= receiver._meet, receiver._patience
                    ):
                        receiver._meet = 0
                        receiver._lock.notify_all()
                if answer.delay:
                    time.sleep(answer.delay)
                body = answer.body + self.path.encode() if answer.echo else answer.body
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout tests)

            def log_message(self, format: str, *args: object) -> None:  # keep test output clean
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/hooks/T000/B000/s3cr3t-token"

    def answer(self, *answers: Answer) -> None:
        with self._lock:
            self._answers.extend(answers)

    def hold_until(self, count: int, patience: float = 60.0) -> None:
        """Hold every request until ``count`` have arrived, or ``patience`` seconds once."""
        with self._lock:
            self._meet, self._patience = count, patience

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
