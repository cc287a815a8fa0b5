"""A loopback fake of Slack's Web API and incoming webhooks.

:class:`FakeSlack` is a real HTTP server on 127.0.0.1 (ephemeral port) meant for the real
``slack_sdk`` clients: ``WebClient(token=..., base_url=fake.base_url)`` and
``WebhookClient(fake.webhook_url())``. It answers the way Slack answers, so a test goes through
the client's request building, response checks and retry handlers.

Web API (``POST {base_url}<method>``; JSON or form-encoded body, token in
``Authorization: Bearer`` or a ``token`` field). Errors answer HTTP 200
``{"ok": false, "error": CODE}`` like Slack:

- ``auth.test``: team and bot identity for a valid token.
- ``chat.postMessage``: no token -> ``not_authed``; a token not in ``tokens`` -> ``invalid_auth``;
  ``channel`` given as id, ``#name`` or ``name``, unknown -> ``channel_not_found``, archived ->
  ``is_archived``; no ``text``, ``blocks`` nor ``attachments`` -> ``no_text``; ``text`` over
  40,000 characters -> ``msg_too_long`` (over 4,000 is accepted, with a note in the recorded
  message's ``warnings``: Slack may split such a message); bad blocks -> ``invalid_blocks`` with
  the reasons in ``errors`` and ``response_metadata.messages``, or ``invalid_blocks_format``
  (see :func:`validate_blocks`); a body that is not JSON -> ``invalid_json``. A reply in a thread
  (``thread_ts``) must name the ``ts`` of a message posted to that channel that is not itself a
  reply, else ``invalid_thread_ts``; :meth:`FakeSlack.refuse_replies` makes every reply answer an
  error (``cannot_reply_to_message`` by default). The answer carries the message's ``ts``.
- any other method -> ``unknown_method``.

Incoming webhooks (``POST /services/T.../B.../...``; JSON, or form-encoded ``payload=``) answer
``ok`` (HTTP 200) or Slack's plain-text errors: 404 ``no_service`` (path not registered with
:meth:`FakeSlack.webhook_url`), 403 ``invalid_token`` (revoked), 410 ``channel_is_archived``,
400 ``invalid_payload``, 400 ``missing_text_or_fallback_or_attachments``, 400 ``invalid_blocks``
/ ``invalid_blocks_format``, 400 ``msg_too_long`` (stricter than Slack, which truncates).

Network latency: set :attr:`FakeSlack.latency` (seconds, 0 by default) and every request waits
that long before it is answered, as over a slow link (:meth:`FakeSlack.stop` cuts it short).

Faults, consumed by the next requests of any kind, checked in this order:

- :meth:`FakeSlack.hang_next`: waits before answering normally (:meth:`FakeSlack.stop` cuts the
  wait short). The message is still recorded, as Slack may post a message whose answer was lost.
- :meth:`FakeSlack.rate_limit_next`: HTTP 429, ``Retry-After`` header, ``ratelimited``
  (``rate_limited`` for webhooks).
- :meth:`FakeSlack.fail_next`: HTTP 5xx with an HTML body, as a broken proxy answers.
- :meth:`FakeSlack.stop`: the port closes and clients get "connection refused".

Records: :attr:`FakeSlack.messages` (accepted messages) and :attr:`FakeSlack.requests` (every
request with the status and error it got), both copies taken under a lock.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypedDict
from urllib.parse import parse_qs, urlsplit

MAX_BLOCKS = 50
MAX_TEXT = 40_000
DISPLAY_TEXT = 4_000
MAX_BLOCK_ID = 255
SECTION_TEXT, FIELD_TEXT, MAX_FIELDS = 3_000, 2_000, 10
HEADER_TEXT, MAX_CONTEXT_ELEMENTS, MARKDOWN_TEXT = 150, 10, 12_000
IMAGE_URL, ALT_TEXT = 3_000, 2_000
LOOSE_BLOCK_TYPES = frozenset({"rich_text", "actions", "file", "video", "table"})
WEBHOOK = "incoming-webhook"
BOT_ID = "B0000000001"
AUTH_TEST = {
    "ok": True,
    "url": "https://fake.slack.test/",
    "team": "Fake",
    "user": "taskmanager",
    "team_id": "T0000000001",
    "user_id": "U0000000001",
    "bot_id": BOT_ID,
}


class SlackMessage(TypedDict):
    """A message Slack would have posted."""

    method: str  # "chat.postMessage" or "incoming-webhook"
    channel: str  # channel id
    text: str | None
    blocks: list[dict[str, Any]] | None
    username: str | None
    icon_emoji: str | None
    token: str | None  # None for webhooks
    webhook: str | None  # the webhook's name, for webhooks
    ts: str | None  # the message's own time stamp (None for webhooks, which do not say)
    thread_ts: str | None  # the message it replies to, for a reply in a thread
    warnings: list[str]
    raw: dict[str, Any]  # the payload as received


class SlackRequest(TypedDict):
    """One HTTP request and what the fake answered."""

    path: str
    method: str  # API method, "incoming-webhook" or "" for an unknown path
    status: int
    error: str | None
    errors: list[str]  # block validation details
    token: str | None
    payload: dict[str, Any] | None
    headers: dict[str, str]


def validate_blocks(blocks: object) -> tuple[str | None, list[str]]:
    """Check Block Kit ``blocks`` as Slack does for a message.

    Returns ``(None, [])`` when valid, else ``("invalid_blocks_format", [...])`` for anything
    but a list of objects, or ``("invalid_blocks", [...])`` with one ``reason [json-pointer:...]``
    line per problem: more than 50 blocks; a missing or unknown ``type``; ``block_id`` over 255;
    section without text and fields, text over 3,000, over 10 fields or a field over 2,000;
    header not ``plain_text`` or over 150; context with no or over 10 elements; divider with
    extra keys; image without ``image_url`` or ``alt_text``; markdown over 12,000; any text
    object that is empty or of another type. ``rich_text``, ``actions``, ``file``, ``video`` and
    ``table`` blocks are accepted as they come.
    """
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        return "invalid_blocks_format", ["must provide an array of objects [json-pointer:/blocks]"]
    errors: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for index, block in enumerate(blocks):
        _check_block(block, f"/blocks/{index}", errors)
    return ("invalid_blocks", errors) if errors else (None, [])


def _too_long(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _check_text(obj: object, pointer: str, limit: int, errors: list[str], plain_only: bool = False) -> None:
    if not isinstance(obj, dict):
        errors.append(f"must provide an object [json-pointer:{pointer}]")
        return
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if obj.get("type") not in allowed:
        errors.append(f"must be a valid enum value [json-pointer:{pointer}/type]")
    text = obj.get("text")
    if not isinstance(text, str):
        errors.append(f"must provide a string [json-pointer:{pointer}/text]")
    elif not text:
        errors.append(f"must be more than 0 characters [json-pointer:{pointer}/text]")
    elif len(text) > limit:
        errors.append(_too_long(limit, f"{pointer}/text"))


def _check_items(items: object, pointer: str, most: int, errors: list[str]) -> list[Any]:
    if not isinstance(items, list):
        errors.append(f"must provide an array [json-pointer:{pointer}]")
        return []
    if not items:
        errors.append(f"must provide at least 1 item [json-pointer:{pointer}]")
    elif len(items) > most:
        errors.append(f"no more than {most} items allowed [json-pointer:{pointer}]")
    return items


def _check_image(obj: dict[str, Any], pointer: str, errors: list[str]) -> None:
    if "image_url" not in obj and "slack_file" not in obj:
        errors.append(f"missing required field: image_url [json-pointer:{pointer}]")
    elif len(str(obj.get("image_url", ""))) > IMAGE_URL:
        errors.append(_too_long(IMAGE_URL, f"{pointer}/image_url"))
    alt_text = obj.get("alt_text")
    if not isinstance(alt_text, str) or not alt_text:
        errors.append(f"missing required field: alt_text [json-pointer:{pointer}]")
    elif len(alt_text) > ALT_TEXT:
        errors.append(_too_long(ALT_TEXT, f"{pointer}/alt_text"))


def _check_block(block: dict[str, Any], pointer: str, errors: list[str]) -> None:
    kind = block.get("type")
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or len(block_id) > MAX_BLOCK_ID):
        errors.append(_too_long(MAX_BLOCK_ID, f"{pointer}/block_id"))
    if kind is None:
        errors.append(f"missing required field: type [json-pointer:{pointer}]")
    elif kind == "section":
        if "text" not in block and "fields" not in block:
            errors.append(f"must provide either text or fields [json-pointer:{pointer}]")
        if "text" in block:
            _check_text(block["text"], f"{pointer}/text", SECTION_TEXT, errors)
        if "fields" in block:
            for i, field in enumerate(_check_items(block["fields"], f"{pointer}/fields", MAX_FIELDS, errors)):
                _check_text(field, f"{pointer}/fields/{i}", FIELD_TEXT, errors)
    elif kind == "header":
        _check_text(block.get("text"), f"{pointer}/text", HEADER_TEXT, errors, plain_only=True)
    elif kind == "context":
        elements = _check_items(block.get("elements"), f"{pointer}/elements", MAX_CONTEXT_ELEMENTS, errors)
        for i, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") == "image":
                _check_image(element, f"{pointer}/elements/{i}", errors)
            else:
                _check_text(element, f"{pointer}/elements/{i}", SECTION_TEXT, errors)
    elif kind == "divider":
        errors.extend(
            f"invalid additional property: {key} [json-pointer:{pointer}]"
            for key in sorted(set(block) - {"type", "block_id"})
        )
    elif kind == "image":
        _check_image(block, pointer, errors)
        if "title" in block:
            _check_text(block["title"], f"{pointer}/title", ALT_TEXT, errors, plain_only=True)
    elif kind == "markdown":
        text = block.get("text")
        if not isinstance(text, str) or not text:
            errors.append(f"must be more than 0 characters [json-pointer:{pointer}/text]")
        elif len(text) > MARKDOWN_TEXT:
            errors.append(_too_long(MARKDOWN_TEXT, f"{pointer}/text"))
    elif kind not in LOOSE_BLOCK_TYPES:
        errors.append(f"unsupported type: {kind} [json-pointer:{pointer}/type]")


class _Reply:
    def __init__(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None):
        self.status, self.body, self.content_type = status, body, content_type
        self.headers = headers or {}


def _json_reply(data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(status, json.dumps(data).encode(), "application/json; charset=utf-8", headers)


def _header(headers: dict[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


def _text_reply(text: str, status: int) -> _Reply:
    # Slack's hooks endpoint labels its one-word answers text/html.
    return _Reply(status, text.encode(), "text/html")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.fake._answer(self.path, dict(self.headers.items()), body)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            pass  # the client gave up (a timeout test); nothing left to tell it

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean; FakeSlack.requests is the log


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections beyond it when many
    # clients connect at once (50 handlers side by side); Slack does not.
    request_queue_size = 128
    fake: FakeSlack


class FakeSlack:
    """Slack's Web API and incoming webhooks on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        tokens: Iterable[str] = ("xoxb-test-token",),
        channels: Mapping[str, str] | None = None,
    ) -> None:
        self.tokens = set(tokens)
        #: Seconds every request waits before it is answered (a slow network); 0 answers at once.
        self.latency = 0.0
        self.channels = dict(channels if channels is not None else {"C0000000001": "general"})
        self.archived: set[str] = set()
        self._webhooks: dict[str, str] = {}
        self._revoked: set[str] = set()
        #: The ts of the messages of each channel that a reply may name (not replies themselves).
        self._threads: dict[str, set[str]] = {}
        self._refused_replies: str | None = None
        self._messages: list[SlackMessage] = []
        self._requests: list[SlackRequest] = []
        self._hangs: list[float] = []
        self._rate_limits: list[int] = []
        self._failures: list[int] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0
        self._ts = 0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Listen on 127.0.0.1 (an ephemeral port, or the same port again after stop())."""
        if self._server is not None:
            raise RuntimeError("FakeSlack is already running")
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self._port), _Handler)
        self._server.fake = self
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the port (clients then get "connection refused") and wake hanging handlers."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("FakeSlack has no port until start() is called")
        return self._port

    @property
    def base_url(self) -> str:
        """What ``WebClient(base_url=...)`` needs, trailing slash included."""
        return f"http://127.0.0.1:{self.port}/api/"

    def webhook_url(self, name: str = "T000/B000/XXX", channel: str | None = None) -> str:
        """Register an incoming webhook posting to ``channel`` (default: the first one); its URL."""
        channel_id = self._resolve(channel) if channel else next(iter(self.channels))
        if channel_id is None:
            raise ValueError(f"unknown channel {channel!r}; known: {sorted(self.channels.values())}")
        self._webhooks[name] = channel_id
        return f"http://127.0.0.1:{self.port}/services/{name}"

    # -- state and faults ------------------------------------------------------------------

    def revoke_webhook(self, name: str) -> None:
        """Make the webhook answer 403 ``invalid_token``, as a removed app's webhooks do."""
        self._revoked.add(name)

    def archive_channel(self, channel: str) -> None:
        """Archive a channel: ``is_archived`` for the API, 410 ``channel_is_archived`` for webhooks."""
        channel_id = self._resolve(channel)
        if channel_id is None:
            raise ValueError(f"unknown channel {channel!r}")
        self.archived.add(channel_id)

    def refuse_replies(self, code: str | None = "cannot_reply_to_message") -> None:
        """Answer every reply in a thread with the error ``code`` (None: accept them again)."""
        self._refused_replies = code

    def replies(self, ts: str) -> list[SlackMessage]:
        """The messages posted in the thread of the message ``ts``."""
        return [message for message in self.messages if message["thread_ts"] == ts]

    def hang_next(self, n: int = 1, seconds: float = 5.0) -> None:
        with self._changed:
            self._hangs.extend([seconds] * n)

    def rate_limit_next(self, n: int = 1, retry_after: int = 1) -> None:
        with self._changed:
            self._rate_limits.extend([retry_after] * n)

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        with self._changed:
            self._failures.extend([status] * n)

    # -- records ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[SlackMessage]:
        with self._changed:
            return list(self._messages)

    @property
    def requests(self) -> list[SlackRequest]:
        with self._changed:
            return list(self._requests)

    def clear(self) -> None:
        with self._changed:
            self._messages.clear()
            self._requests.clear()

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[SlackMessage]:
        """Wait until ``count`` messages are recorded (for senders on another thread)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(f"{len(self._messages)} Slack message(s) recorded, wanted {count}")
            return list(self._messages)

    # -- answering -------------------------------------------------------------------------

    def _resolve(self, channel: str) -> str | None:
        if channel in self.channels:
            return channel
        name = channel.removeprefix("#")
        return next((cid for cid, cname in self.channels.items() if cname == name), None)

    def _answer(self, raw_path: str, headers: dict[str, str], body: bytes) -> _Reply:
        url = urlsplit(raw_path)
        if url.path.startswith("/services/"):
            method = WEBHOOK
        elif url.path.startswith("/api/"):
            method = url.path.removeprefix("/api/")
        else:
            method = ""
        record = SlackRequest(
            path=url.path,
            method=method,
            status=0,
            error=None,
            errors=[],
            token=None,
            payload=None,
            headers=headers,
        )
        if self.latency > 0:
            self._stopping.wait(self.latency)
        with self._changed:
            hang = self._hangs.pop(0) if self._hangs else None
        if hang is not None:
            self._stopping.wait(hang)
        with self._changed:
            retry_after = self._rate_limits.pop(0) if self._rate_limits else None
            failure = self._failures.pop(0) if retry_after is None and self._failures else None
        if retry_after is not None:
            record["error"] = "ratelimited"
            if method == WEBHOOK:
                reply = _text_reply("rate_limited", 429)
                reply.headers["Retry-After"] = str(retry_after)
            else:
                reply = _json_reply(
                    {"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(retry_after)}
                )
        elif failure is not None:
            record["error"] = f"http_{failure}"
            html = f"<html><body><h1>{failure} Server Error</h1></body></html>"
            reply = _Reply(failure, html.encode(), "text/html; charset=utf-8")
        elif method == WEBHOOK:
            reply = self._webhook(url.path.removeprefix("/services/"), headers, body, record)
        elif method:
            reply = self._api(method, url.query, headers, body, record)
        else:
            record["error"] = "not_found"
            reply = _text_reply("not_found", 404)
        record["status"] = reply.status
        with self._changed:
            self._requests.append(record)
            self._changed.notify_all()
        return reply

    def _accept(self, message: SlackMessage) -> None:
        if message["text"] and len(message["text"]) > DISPLAY_TEXT:
            message["warnings"].append(f"text is over {DISPLAY_TEXT:,} characters: Slack may split it")
        with self._changed:
            self._messages.append(message)
            self._changed.notify_all()

    def _api(
        self, method: str, query: str, headers: dict[str, str], body: bytes, record: SlackRequest
    ) -> _Reply:
        def error(code: str, **extra: Any) -> _Reply:
            record["error"] = code
            return _json_reply({"ok": False, "error": code, **extra})

        payload: dict[str, Any] = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        content_type = _header(headers, "Content-Type")
        if content_type.startswith("application/json"):
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                return error("invalid_json")
            if not isinstance(data, dict):
                return error("json_not_object")
            payload.update(data)
        else:
            payload.update({k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()})
        record["payload"] = payload
        authorization = _header(headers, "Authorization")
        token = authorization.removeprefix("Bearer ").strip() or str(payload.get("token") or "")
        record["token"] = token or None
        if method not in ("auth.test", "chat.postMessage"):
            return error("unknown_method")
        if not token:
            return error("not_authed")
        if token not in self.tokens:
            return error("invalid_auth")
        if method == "auth.test":
            return _json_reply(AUTH_TEST)
        channel_id = self._resolve(str(payload.get("channel") or ""))
        if channel_id is None:
            return error("channel_not_found")
        if channel_id in self.archived:
            return error("is_archived")
        blocks = payload.get("blocks")
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks)
            except ValueError:
                return error("invalid_blocks_format")
        text = payload.get("text")
        if not text and not blocks and not payload.get("attachments"):
            return error("no_text")
        if isinstance(text, str) and len(text) > MAX_TEXT:
            return error("msg_too_long")
        if blocks is not None:
            code, problems = validate_blocks(blocks)
            if code:
                record["errors"] = problems
                return error(
                    code, errors=problems, response_metadata={"messages": [f"[ERROR] {p}" for p in problems]}
                )
        thread_ts = str(payload["thread_ts"]) if payload.get("thread_ts") else None
        with self._changed:
            if thread_ts is not None and thread_ts not in self._threads.get(channel_id, set()):
                return error("invalid_thread_ts")
            if thread_ts is not None and self._refused_replies:
                return error(self._refused_replies)
            self._ts += 1
            ts = f"{int(time.time())}.{self._ts:06d}"
            if thread_ts is None:
                self._threads.setdefault(channel_id, set()).add(ts)
        accepted = self._message(method, channel_id, payload, blocks, token=token, webhook=None)
        accepted["ts"], accepted["thread_ts"] = ts, thread_ts
        self._accept(accepted)
        message = {"type": "message", "text": text or "", "ts": ts, "bot_id": BOT_ID}
        if blocks:
            message["blocks"] = blocks
        return _json_reply({"ok": True, "channel": channel_id, "ts": ts, "message": message})

    def _webhook(self, name: str, headers: dict[str, str], body: bytes, record: SlackRequest) -> _Reply:
        def error(code: str, status: int) -> _Reply:
            record["error"] = code
            return _text_reply(code, status)

        if name not in self._webhooks:
            return error("no_service", 404)
        if name in self._revoked:
            return error("invalid_token", 403)
        channel_id = self._webhooks[name]
        if channel_id in self.archived:
            return error("channel_is_archived", 410)
        raw = body.decode("utf-8", errors="replace")
        content_type = _header(headers, "Content-Type")
        if content_type.startswith("application/x-www-form-urlencoded"):
            raw = parse_qs(raw).get("payload", [""])[0]
        try:
            payload = json.loads(raw)
        except ValueError:
            return error("invalid_payload", 400)
        if not isinstance(payload, dict):
            return error("invalid_payload", 400)
        record["payload"] = payload
        text, blocks = payload.get("text"), payload.get("blocks")
        if not text and not blocks and not payload.get("attachments"):
            return error("missing_text_or_fallback_or_attachments", 400)
        if isinstance(text, str) and len(text) > MAX_TEXT:
            return error("msg_too_long", 400)
        if blocks is not None:
            code, problems = validate_blocks(blocks)
            if code:
                record["errors"] = problems
                return error(code, 400)
        self._accept(self._message(WEBHOOK, channel_id, payload, blocks, token=None, webhook=name))
        return _text_reply("ok", 200)

    @staticmethod
    def _message(
        method: str,
        channel: str,
        payload: dict[str, Any],
        blocks: Any,
        token: str | None,
        webhook: str | None,
    ) -> SlackMessage:
        return SlackMessage(
            method=method,
            channel=channel,
            text=payload.get("text"),
            blocks=blocks,
            username=payload.get("username"),
            icon_emoji=payload.get("icon_emoji"),
            token=token,
            webhook=webhook,
            ts=None,
            thread_ts=None,
            warnings=[],
            raw=payload,
        )
