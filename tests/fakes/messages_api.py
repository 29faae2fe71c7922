"""A local fake of the Anthropic Messages API, so the real SDK can be tested with no network.

It speaks the wire protocol the SDK uses: `POST /v1/messages` (JSON or SSE streaming with
message_start / content_block_* / message_delta / message_stop / ping), `POST
/v1/messages/count_tokens` (the same token estimate the usage uses), `GET /v1/models`, both
auth headers (`Authorization: Bearer` as anthropic 2.x sends, and `x-api-key`). Forced tool
calls are answered with input that is valid against the tool's `input_schema`: a schema-driven
instance generator that recognises course shapes by their property names (modules, questions
with options and answer_index, cards) and reads the requested counts from the prompt, so it
keeps working when a wrapper or a field is added. Usage is reported with prompt-cache
accounting keyed by a hash of the prefix up to each `cache_control` breakpoint, and an entry
becomes readable once the request that wrote it has started answering — as the real API does.

Everything is recorded (`requests`): kind, timing, whether the client closed the stream early,
and how many requests overlapped. Faults are scripted per request number or per kind:

    api.fail(Fault.rate_limited(retry_after=1), kind="lesson")   # next lesson stream gets a 429
    api.fail(Fault.cut(after=3), kind="lesson", times=2)
    api.fail_request(1, Fault.overloaded())

`stop()` closes the listening socket and every open connection (connect refused), and
`start()` brings it back on the same port.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import select
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

DEFAULT_KEY = "sk-ant-fake-test-key-0123456789"
DEFAULT_MODELS = ("claude-sonnet-4-5", "claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5")


@dataclass(frozen=True)
class Fault:
    """One injected failure. Build with the named constructors."""

    status: int | None = None  # answer with this HTTP error status instead of a message
    error_type: str = "api_error"
    message: str = "Internal server error"
    retry_after: float | None = None
    sse_error_after: int | None = None  # stream N deltas, then an SSE `error` event
    cut_after: int | None = None  # stream N deltas, then close the socket mid-stream
    invalid_output: bool = False  # a tool answer that does not match the schema

    @classmethod
    def rate_limited(cls, retry_after: float | None = None) -> Fault:
        return cls(429, "rate_limit_error", "Number of requests has exceeded your rate limit", retry_after)

    @classmethod
    def overloaded(cls, retry_after: float | None = None) -> Fault:
        return cls(529, "overloaded_error", "Overloaded", retry_after)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls(status, "api_error", "Internal server error")

    @classmethod
    def unavailable(cls) -> Fault:
        return cls(503, "api_error", "Service unavailable")

    @classmethod
    def unauthorized(cls) -> Fault:
        return cls(401, "authentication_error", "invalid x-api-key")

    @classmethod
    def forbidden(cls) -> Fault:
        return cls(403, "permission_error", "Your API key does not have permission to use the specified resource.")

    @classmethod
    def bad_request(cls, message: str = "messages: at least one message is required") -> Fault:
        return cls(400, "invalid_request_error", message)

    @classmethod
    def billing(cls) -> Fault:
        return cls(400, "invalid_request_error", "Your credit balance is too low to access the Anthropic API.")

    @classmethod
    def sse_error(cls, after: int = 3, error_type: str = "overloaded_error") -> Fault:
        return cls(None, error_type, "Overloaded" if error_type == "overloaded_error" else "Internal error", sse_error_after=after)

    @classmethod
    def cut(cls, after: int = 3) -> Fault:
        return cls(cut_after=after)

    @classmethod
    def invalid(cls) -> Fault:
        return cls(invalid_output=True)


@dataclass(frozen=True)
class Sloppy:
    """A model that follows the schema but not every instruction. Set `api.sloppy = Sloppy(...)`:
    every answer from then on (repairs included: a sloppy model stays sloppy) is bent this way."""

    extra_modules: int = 0  # plan this many modules more than asked (negative: fewer)
    extra_lessons: int = 0  # per module
    extra_questions: int = 0  # per quiz and exam: -1 writes four questions when five were asked
    invented_objective_ids: bool = False  # lessons and the first question point at obj-99
    duplicate_lesson_ids: bool = False  # every module numbers its lessons m1-l1, m1-l2, …
    answer_index_out_of_range: bool = False  # the first question's answer_index is len(options)


@dataclass
class RecordedRequest:
    number: int
    method: str
    path: str
    kind: str  # outline / lesson / quiz / exam / flashcards / tool / models / other
    model: str | None = None
    stream: bool = False
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    fault: Fault | None = None
    started: float = 0.0  # time.monotonic()
    first_byte: float | None = None
    ended: float | None = None
    closed_by_client: bool = False
    deltas_sent: int = 0
    usage: dict[str, int] | None = None

    @property
    def text(self) -> str:
        """All prompt text of the request (system and messages), for assertions."""
        return _request_text(self.body or {})


class FakeMessagesAPI:
    """A threaded HTTP server on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_KEY,
        models: tuple[str, ...] | None = DEFAULT_MODELS,
        first_byte_delay: float = 0.0,
        delta_delay: float = 0.0,
        words_per_delta: int = 4,
        lesson_words: int = 160,
        min_cache_tokens: int = 1024,
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.models = models
        self.first_byte_delay = first_byte_delay
        self.delta_delay = delta_delay
        self.words_per_delta = words_per_delta
        self.lesson_words = lesson_words
        self.min_cache_tokens = min_cache_tokens
        self.port = port
        self.sloppy: Sloppy | None = None
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._cache: set[str] = set()
        self._by_number: dict[int, Fault] = {}
        self._by_kind: list[list[Any]] = []  # [kind, fault, times_left]
        self._counter = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeMessagesAPI:
        server = _Server(("127.0.0.1", self.port), self._handler())
        server.api = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def stop(self) -> None:
        """Stop listening and drop every open connection: clients now get 'connection refused'."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> FakeMessagesAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scripting ---------------------------------------------------------------------------

    def fail(self, fault: Fault, *, kind: str = "any", times: int = 1) -> None:
        """The next `times` requests of `kind` ("lesson", "outline", "quiz", "models", "any"…) get `fault`."""
        with self._lock:
            self._by_kind.append([kind, fault, times])

    def fail_request(self, number: int, fault: Fault) -> None:
        """Request number `number` (1-based, counting every request) gets `fault`."""
        with self._lock:
            self._by_number[number] = fault

    def clear_faults(self) -> None:
        with self._lock:
            self._by_number.clear()
            self._by_kind.clear()

    def _take_fault(self, number: int, kind: str) -> Fault | None:
        with self._lock:
            if number in self._by_number:
                return self._by_number.pop(number)
            for entry in self._by_kind:
                if entry[2] > 0 and (entry[0] == kind or (entry[0] == "any" and kind != "count_tokens")):
                    entry[2] -= 1
                    return entry[1]
        return None

    # -- inspection --------------------------------------------------------------------------

    def messages(self, kind: str | None = None) -> list[RecordedRequest]:
        """Requests to `/v1/messages` (of `kind`); `messages("count_tokens")` gives the token counts."""
        with self._lock:
            return [r for r in self.requests if (r.path == "/v1/messages" and kind is None) or (r.path.startswith("/v1/messages") and r.kind == kind)]

    def max_concurrent(self, kind: str | None = None) -> int:
        """The most requests (of `kind`) that were being answered at the same moment."""
        points = []
        for r in self.messages(kind):
            points.append((r.started, 1))
            points.append((r.ended if r.ended is not None else float("inf"), -1))
        best = current = 0
        for _, step in sorted(points, key=lambda p: (p[0], p[1])):
            current += step
            best = max(best, current)
        return best

    def open_streams(self) -> list[RecordedRequest]:
        return [r for r in self.messages() if r.ended is None]

    # -- request handling (called on handler threads) ----------------------------------------

    def _record(self, handler: _Handler, body: dict[str, Any] | None) -> RecordedRequest:
        path = urlparse(handler.path).path
        kind = self._kind(path, body)
        record = RecordedRequest(
            number=0 if kind == "count_tokens" else next(self._counter),  # numbers count what fail_request scripts
            method=handler.command,
            path=path,
            kind=kind,
            model=(body or {}).get("model"),
            stream=bool((body or {}).get("stream")),
            body=body,
            headers={k.lower(): v for k, v in handler.headers.items()},
            started=time.monotonic(),
        )
        with self._lock:
            self.requests.append(record)
        return record

    def _kind(self, path: str, body: dict[str, Any] | None) -> str:
        return _kind_of(path, body)

    def _authorised(self, handler: _Handler) -> bool:
        bearer = handler.headers.get("Authorization", "")
        given = bearer[7:] if bearer.startswith("Bearer ") else handler.headers.get("x-api-key", "")
        return given == self.api_key

    def _usage_for(self, body: dict[str, Any]) -> tuple[dict[str, int], list[str]]:
        """Token counts with cache accounting, and the prefix hashes this request would write."""
        total, breakpoints = _prefix_breakpoints(body)
        cacheable = [(h, n) for h, n in breakpoints if n >= self.min_cache_tokens]
        with self._lock:
            read = max((n for h, n in cacheable if h in self._cache), default=0)
        written = max((n for _, n in cacheable), default=0)
        creation = max(0, written - read)
        usage = {
            "input_tokens": max(1, total - read - creation),
            "cache_creation_input_tokens": creation,
            "cache_read_input_tokens": read,
            "output_tokens": 0,
        }
        return usage, [h for h, _ in cacheable]

    def _publish_cache(self, hashes: list[str]) -> None:
        with self._lock:
            self._cache.update(hashes)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    api: FakeMessagesAPI

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # dropped connections are part of the game


class _ClientGone(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.api._lock:
            self.server.api._connections.add(self.connection)

    def finish(self) -> None:
        with self.server.api._lock:
            self.server.api._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- routes ------------------------------------------------------------------------------

    def do_GET(self) -> None:
        api = self.server.api
        record = api._record(self, None)
        try:
            fault = record.fault = api._take_fault(record.number, record.kind)
            if not api._authorised(self):
                fault = Fault.unauthorized()
            if fault is not None and fault.status:
                return self._send_error(record, fault)
            if record.path.rstrip("/") != "/v1/models":
                return self._send_error(record, Fault(404, "not_found_error", f"Not found: {record.path}"))
            data = [
                {"type": "model", "id": m, "display_name": m.replace("-", " ").title(), "created_at": "2025-09-29T00:00:00Z", "lifecycle": "active"}
                for m in (api.models or DEFAULT_MODELS)
            ]
            self._send_json(record, 200, {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]})
        finally:
            record.ended = time.monotonic()

    def do_POST(self) -> None:
        api = self.server.api
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        record = api._record(self, body)
        try:
            fault = record.fault = api._take_fault(record.number, record.kind)
            if not api._authorised(self):
                return self._send_error(record, Fault.unauthorized())
            if fault is not None and fault.status:
                return self._send_error(record, fault)
            if record.path == "/v1/messages/count_tokens":
                total, _ = _prefix_breakpoints(body)
                return self._send_json(record, 200, {"input_tokens": total})
            if record.path != "/v1/messages":
                return self._send_error(record, Fault(404, "not_found_error", f"Not found: {record.path}"))
            if api.models is not None and body.get("model") not in api.models:
                return self._send_error(record, Fault(404, "not_found_error", f"model: {body.get('model')}"))
            if not body.get("messages") or not body.get("max_tokens"):
                return self._send_error(record, Fault.bad_request())
            self._answer(record, body, fault)
        except _ClientGone:
            record.closed_by_client = True
            self.close_connection = True
        finally:
            record.ended = time.monotonic()

    # -- answers -----------------------------------------------------------------------------

    def _answer(self, record: RecordedRequest, body: dict[str, Any], fault: Fault | None) -> None:
        api = self.server.api
        usage, hashes = api._usage_for(body)
        block, pieces = _content_for(body, api, fault)
        usage["output_tokens"] = max(1, sum(len(p) for p in pieces) // 4)
        record.usage = usage
        message_id = f"msg_fake_{uuid.uuid4().hex[:20]}"
        stop_reason = "tool_use" if block["type"] == "tool_use" else "end_turn"
        if api.first_byte_delay:
            self._wait(api.first_byte_delay, streaming=False)
        if not record.stream:
            api._publish_cache(hashes)
            return self._send_json(record, 200, _message(message_id, body, usage, [_whole(block, pieces)], stop_reason))

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("request-id", f"req_fake_{record.number}")
        self.end_headers()
        record.first_byte = time.monotonic()
        start_usage = dict(usage, output_tokens=1)
        self._event("message_start", {"type": "message_start", "message": _message(message_id, body, start_usage, [], None)})
        api._publish_cache(hashes)
        self._event("ping", {"type": "ping"})
        self._event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": block})
        delta_type, delta_key = ("text_delta", "text") if block["type"] == "text" else ("input_json_delta", "partial_json")
        for piece in pieces:
            if fault is not None and fault.cut_after is not None and record.deltas_sent >= fault.cut_after:
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if fault is not None and fault.sse_error_after is not None and record.deltas_sent >= fault.sse_error_after:
                self._event("error", {"type": "error", "error": {"type": fault.error_type, "message": fault.message}})
                self._end_chunks()
                return
            self._wait(api.delta_delay, streaming=True)
            self._event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": delta_type, delta_key: piece}})
            record.deltas_sent += 1
        self._event("content_block_stop", {"type": "content_block_stop", "index": 0})
        self._event(
            "message_delta",
            {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None}, "usage": {"output_tokens": usage["output_tokens"]}},
        )
        self._event("message_stop", {"type": "message_stop"})
        self._end_chunks()

    def _wait(self, seconds: float, *, streaming: bool) -> None:
        """Sleep, noticing at once if the client closes the connection meanwhile."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([self.connection], [], [], max(0.0, remaining))
            if readable:
                try:
                    peek = self.connection.recv(1, socket.MSG_PEEK)
                except OSError:
                    peek = b""
                if not peek:
                    raise _ClientGone()
                if not streaming:
                    time.sleep(max(0.0, remaining))
                    return
            if remaining <= 0:
                return

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError) as exc:
            raise _ClientGone() from exc

    def _event(self, name: str, data: dict[str, Any]) -> None:
        payload = f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
        self._write(b"%x\r\n%s\r\n" % (len(payload), payload))

    def _end_chunks(self) -> None:
        self._write(b"0\r\n\r\n")

    def _send_json(self, record: RecordedRequest, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        record.status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", f"req_fake_{record.number}")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        record.first_byte = time.monotonic()
        self._write(data)

    def _send_error(self, record: RecordedRequest, fault: Fault) -> None:
        record.fault = fault
        headers = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
        self._send_json(record, fault.status or 500, self._error_body(fault), headers)

    def _error_body(self, fault: Fault) -> dict[str, Any]:
        return {"type": "error", "error": {"type": fault.error_type, "message": fault.message}}


# ---------------------------------------------------------------------------------------------
# Request analysis


def _kind_of(path: str, body: dict[str, Any] | None) -> str:
    if path.rstrip("/") == "/v1/models":
        return "models"
    if path == "/v1/messages/count_tokens":
        return "count_tokens"
    if not path.startswith("/v1/messages") or body is None:
        return "other"
    choice = body.get("tool_choice") or {}
    if choice.get("type") == "tool":
        name = str(choice.get("name", "")).lower()
        for kind in ("outline", "quiz", "exam", "flashcard"):
            if kind in name:
                return "flashcards" if kind == "flashcard" else kind
        return "tool"
    return "lesson"


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def _block_text(block: dict[str, Any]) -> str:
    if block.get("type") == "text":
        return str(block.get("text", ""))
    if block.get("type") == "tool_result":
        return " ".join(_block_text(b) for b in _blocks(block.get("content")))
    return json.dumps(block, sort_keys=True)


def _request_text(body: dict[str, Any]) -> str:
    parts = [_block_text(b) for b in _blocks(body.get("system"))]
    for message in body.get("messages") or []:
        parts.extend(_block_text(b) for b in _blocks(message.get("content")))
    return "\n".join(parts)


def _tokens(text: str) -> int:
    return (len(text) + 3) // 4


def _prefix_breakpoints(body: dict[str, Any]) -> tuple[int, list[tuple[str, int]]]:
    """Total input tokens and (prefix hash, tokens up to it) for each cache_control breakpoint.

    Render order is tools → system → messages, as on the real API; a change anywhere before a
    breakpoint changes its hash.
    """
    blocks: list[dict[str, Any]] = [dict(t, type=t.get("type", "tool")) for t in body.get("tools") or []]
    blocks += _blocks(body.get("system"))
    for message in body.get("messages") or []:
        blocks += [dict(b, role=message.get("role")) for b in _blocks(message.get("content"))]
    if body.get("cache_control") and blocks:  # automatic caching: breakpoint on the last block
        blocks[-1] = dict(blocks[-1], cache_control=body["cache_control"])
    digest = hashlib.sha256(str(body.get("model")).encode())
    total = 0
    breakpoints = []
    for block in blocks:
        stable = {k: v for k, v in block.items() if k != "cache_control"}
        text = json.dumps(stable, sort_keys=True, separators=(",", ":"))
        digest.update(text.encode())
        total += _tokens(_block_text(block) if block.get("type") in ("text", "tool_result") else text)
        if block.get("cache_control"):
            breakpoints.append((digest.copy().hexdigest(), total))
    return total, breakpoints


# ---------------------------------------------------------------------------------------------
# Answers


def _message(message_id: str, body: dict[str, Any], usage: dict[str, int], content: list[Any], stop_reason: str | None) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": body.get("model"),
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }


def _whole(block: dict[str, Any], pieces: list[str]) -> dict[str, Any]:
    """The content block with all its pieces in it (a non-streamed answer)."""
    content = dict(block)
    if content["type"] == "text":
        content["text"] = "".join(pieces)
    else:
        content["input"] = json.loads("".join(pieces))
    return content


def _content_for(body: dict[str, Any], api: FakeMessagesAPI, fault: Fault | None) -> tuple[dict[str, Any], list[str]]:
    """The content block to start and the pieces (deltas) of its text or JSON input."""
    choice = body.get("tool_choice") or {}
    tools = {t.get("name"): t for t in body.get("tools") or []}
    if choice.get("type") == "tool" and choice.get("name") in tools:
        tool = tools[choice["name"]]
        value = {"unexpected": True} if fault is not None and fault.invalid_output else _Builder(tool.get("input_schema") or {}, body, api.sloppy).build()
        text = json.dumps(value)
        pieces = [text[i : i + 48] for i in range(0, len(text), 48)]
        return {"type": "tool_use", "id": f"toolu_fake_{uuid.uuid4().hex[:16]}", "name": tool["name"], "input": {}}, pieces
    text = _lesson_markdown(body, api.lesson_words)
    words = re.findall(r"\S+\s*", text)
    pieces = ["".join(words[i : i + api.words_per_delta]) for i in range(0, len(words), api.words_per_delta)]
    return {"type": "text", "text": ""}, pieces


def _first_sentence(text: str) -> str:
    """The first sentence of the first document (skipping headings): a quote that really is in it."""
    match = re.search(r"<document_content>(.*?)</document_content>", text, re.S)
    if not match:
        return ""
    body = " ".join(line for line in match.group(1).splitlines() if not line.lstrip().startswith("#"))
    sentence = re.search(r"\S.*?[.!?](?=\s|$)", body)
    return " ".join(sentence.group(0).split()) if sentence else ""


def _lesson_markdown(body: dict[str, Any], words: int) -> str:
    request = _request_text(body)
    quote = _first_sentence(request)
    filler_words = max(20, words - 60)
    filler = " ".join(f"concept{i % 37}" for i in range(filler_words))
    head = f"<quotes>\n{quote}\n</quotes>\n" if quote and "<quotes>" in request else ""
    return (
        f"{head}## Objectives\n- Explain the central idea of this lesson.\n\n"
        f"## Explanation\nThis lesson explains the topic step by step. {filler}.\n\n"
        "## Worked example\n1. Identify the inputs. 2. Apply the rule. 3. Check the result.\n\n"
        "## Common mistakes\n- Confusing the rule with its exception.\n\n"
        "## Key points\n- The first key point.\n- The second key point.\n\n"
        "## Check yourself\n1. What is the rule? <details><summary>Answer</summary>The rule.</details>\n"
    )


class _Builder:
    """Makes a plausible instance of a JSON schema, with course-aware counts and ids."""

    def __init__(self, schema: dict[str, Any], body: dict[str, Any], sloppy: Sloppy | None = None) -> None:
        self.root = schema
        self.sloppy = sloppy or Sloppy()
        self.counter = itertools.count(1)
        # Counts come from the task, which is the end of the first user turn ("documents first,
        # task last"); later turns are repairs whose wording must not change them.
        messages = body.get("messages") or [{}]
        task = "\n".join(_block_text(b) for b in _blocks(messages[0].get("content")))
        self.modules = _count(task, r"(\d+)\s+modules?", 3)
        self.lessons = _count(task, r"(\d+)\s+lessons?", 3)
        self.questions = _count(task, r"(\d+)\s+(?:multiple-choice\s+)?questions?", 5)
        self.cards = _count(task, r"(\d+)\s+(?:flash)?cards?", 8)
        self.modules = max(1, self.modules + self.sloppy.extra_modules)
        self.lessons = max(1, self.lessons + self.sloppy.extra_lessons)
        self.questions = max(1, self.questions + self.sloppy.extra_questions)
        self.first_question = True
        request = _request_text(body)
        self.quote = _first_sentence(request)
        self.objective_ids = list(dict.fromkeys(re.findall(r"\bobj-\d+\b", request)))
        module_ids = re.findall(r"\bm\d+\b", task)
        self.module_id = module_ids[-1] if module_ids else "m1"

    def build(self) -> Any:
        return self.value(self.root, "")

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].split("/")[-1]
            schema = {**(self.root.get("$defs") or self.root.get("definitions") or {}).get(name, {}), **{k: v for k, v in schema.items() if k != "$ref"}}
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
                return self.resolve(options[0])
        if "allOf" in schema:
            return self.resolve(schema["allOf"][0])
        return schema

    def value(self, schema: dict[str, Any], key: str) -> Any:
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return "apply" if "apply" in schema["enum"] else schema["enum"][0]
        kind = schema.get("type") or ("object" if "properties" in schema else "string")
        if kind == "object":
            return self.object(schema)
        if kind == "array":
            return [self.value(schema.get("items") or {}, key.rstrip("s")) for _ in range(self.length(schema, key))]
        if kind == "integer":
            return int(schema.get("minimum", 0))
        if kind == "number":
            return float(schema.get("minimum", 0.5))
        if kind == "boolean":
            return False
        return self.string(key)

    def length(self, schema: dict[str, Any], key: str) -> int:
        wanted = {
            "modules": self.modules,
            "lessons": self.lessons,
            "objectives": self.modules * 2,
            "questions": self.questions,
            "cards": self.cards,
            "options": 4,
            "evidence_quotes": 1 if self.quote else 0,
            "coverage_gaps": 0,
        }
        n = wanted.get(key, 1)
        return max(int(schema.get("minItems", 0)), min(n, int(schema.get("maxItems", n))))

    def string(self, key: str) -> str:
        n = next(self.counter)
        if key == "stem":
            return f"Which statement best describes fake concept number {n} in this course?"
        if key in ("explanation", "description", "summary"):
            return f"Fake {key} {n}: this text explains why the keyed answer is correct and the others are not."
        if key == "evidence_quote":
            return self.quote
        return f"Fake {key.replace('_', ' ')} {n}"

    def object(self, schema: dict[str, Any]) -> dict[str, Any]:
        properties = schema.get("properties") or {}
        result = {name: self.value(sub, name) for name, sub in properties.items()}
        if isinstance(result.get("modules"), list):
            self.course_ids(result)
        if isinstance(result.get("options"), list) and "answer_index" in result:
            result["options"] = [f"Option {chr(65 + i)} for item {next(self.counter)}" for i in range(len(result["options"]))]
            result["answer_index"] = next(self.counter) % len(result["options"])
            if "objective_id" in result:
                result["objective_id"] = self.objective_ids[next(self.counter) % len(self.objective_ids)] if self.objective_ids else None
            if "evidence_quote" in result and not result["evidence_quote"]:
                result["evidence_quote"] = None
            if self.first_question:
                self.first_question = False
                if self.sloppy.invented_objective_ids and "objective_id" in result:
                    result["objective_id"] = "obj-99"
                if self.sloppy.answer_index_out_of_range:
                    result["answer_index"] = len(result["options"])
        if "module_id" in result and ("questions" in result or "front" in result):
            result["module_id"] = self.module_id
        return result

    def course_ids(self, outline: dict[str, Any]) -> None:
        """Give an outline stable ids (m1, m1-l1, obj-1) that later prompts and answers share."""
        objectives = [o for o in outline.get("objectives") or [] if isinstance(o, dict)]
        for i, objective in enumerate(objectives, 1):
            objective.update(id=f"obj-{i}", text=f"Apply fake skill {i} to a new example")
        ids = [o["id"] for o in objectives]
        for i, module in enumerate(outline["modules"], 1):
            module["id"] = f"m{i}"
            own = ids[(i - 1) * 2 : i * 2] or ids[:1]
            for j, lesson in enumerate(module.get("lessons") or [], 1):
                lesson.update(id=f"m{1 if self.sloppy.duplicate_lesson_ids else i}-l{j}", title=f"Lesson {i}.{j}")
                if "objective_ids" in lesson:
                    lesson["objective_ids"] = own + (["obj-99"] if self.sloppy.invented_objective_ids else [])


def _count(text: str, pattern: str, default: int) -> int:
    found = re.findall(pattern, text)
    return int(found[-1]) if found else default


def main() -> None:
    """Serve from its own process (benchmarks: the server must not share the window's interpreter).

    `python -m tests.fakes.messages_api DELTA_DELAY WORDS_PER_DELTA LESSON_WORDS` prints the base
    URL and the key it accepts, one line each, then serves until stdin closes."""
    import sys

    delta_delay, words_per_delta, lesson_words = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    with FakeMessagesAPI(delta_delay=delta_delay, words_per_delta=words_per_delta, lesson_words=lesson_words) as api:
        print(api.base_url, DEFAULT_KEY, sep="\n", flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
