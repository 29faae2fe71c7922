"""A local fake of an OpenAI-compatible server (Ollama, LM Studio, llama.cpp), so the
OpenAI-compatible generator is tested over real HTTP with no model and no network.

`POST /v1/chat/completions` streams SSE chunks (`data: {...}` lines, `data: [DONE]` last;
`delta.content` for text and JSON answers, `delta.tool_calls` for function calls, a usage chunk
when `stream_options.include_usage` is set) or answers plain JSON. `GET /v1/models` lists models.
Structured answers are built by the Messages API fake's schema-driven builder from whichever
schema the request carries: `response_format.json_schema`, the forced function's `parameters`,
or the schema written into the prompt (plain JSON-in-text mode).

Scripting, as on `FakeMessagesAPI`: `fail(Fault…, kind=…)`, `sloppy = Sloppy(…)` (a model that
ignores counts and invents ids), and `accepts = {"json_schema", "tools"}` to play a server that
refuses one of them with a 400. With `api_key=None` no key is needed (as with Ollama).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.messages_api import (
    Fault,
    FakeMessagesAPI,
    RecordedRequest,
    _Builder,
    _ClientGone,
    _Handler,
    _lesson_markdown,
)

DEFAULT_LOCAL_MODELS = ("llama3.2:3b", "qwen2.5:7b-instruct")
_KINDS = (("outline", "outline"), ("quiz", "quiz"), ("exam", "exam"), ("cards", "flashcards"))


class FakeOpenAIAPI(FakeMessagesAPI):
    """A threaded OpenAI-compatible server on 127.0.0.1 (context manager or start()/stop())."""

    def __init__(self, *, api_key: str | None = None, models: tuple[str, ...] = DEFAULT_LOCAL_MODELS, **options: Any) -> None:
        super().__init__(api_key=api_key or "", models=models, **options)
        self.require_key = api_key is not None
        self.accepts = {"json_schema", "tools"}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _OpenAIHandler

    def _kind(self, path: str, body: dict[str, Any] | None) -> str:
        if path.rstrip("/") == "/v1/models":
            return "models"
        if path != "/v1/chat/completions" or body is None:
            return "other"
        schema = _schema_of(body)
        if schema is None:
            return "lesson"
        properties = set((schema.get("properties") or {}))
        return next((kind for key, kind in _KINDS if key in properties), "tool")

    def _authorised(self, handler: Any) -> bool:
        return not self.require_key or super()._authorised(handler)

    def messages(self, kind: str | None = None) -> list[RecordedRequest]:
        """Chat completion requests (of `kind`: outline, lesson, quiz, exam, flashcards)."""
        with self._lock:
            return [r for r in self.requests if r.path == "/v1/chat/completions" and (kind is None or r.kind == kind)]


def _mode_of(body: dict[str, Any]) -> str:
    if (body.get("response_format") or {}).get("type") == "json_schema":
        return "json_schema"
    if body.get("tools"):
        return "tools"
    return "text"


def _schema_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """The schema a structured request carries, in whichever mode it was asked."""
    mode = _mode_of(body)
    if mode == "json_schema":
        return body["response_format"]["json_schema"].get("schema") or {}
    if mode == "tools":
        return body["tools"][0]["function"].get("parameters") or {}
    user = _user_text(body)
    match = re.search(r"follows this JSON schema: (\{.*\})\s*$", user, re.S)
    return json.loads(match.group(1)) if match else None


def _user_text(body: dict[str, Any]) -> str:
    users = [m for m in body.get("messages") or [] if m.get("role") == "user"]
    return str(users[0].get("content") or "") if users else ""


def _as_messages_body(body: dict[str, Any]) -> dict[str, Any]:
    """The request in the Messages API's shape, for the shared answer builders (counts come
    from the first user turn, document quotes from the whole prompt)."""
    messages = body.get("messages") or []
    system = "\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "system")
    turns = [{"role": m.get("role"), "content": str(m.get("content") or "")} for m in messages if m.get("role") != "system"]
    return {"model": body.get("model"), "system": system, "messages": turns}


class _OpenAIHandler(_Handler):
    def do_GET(self) -> None:
        api: FakeOpenAIAPI = self.server.api  # type: ignore[assignment]
        record = api._record(self, None)
        try:
            fault = record.fault = api._take_fault(record.number, record.kind)
            if not api._authorised(self):
                fault = Fault(401, "invalid_api_key", "Incorrect API key provided")
            if fault is not None and fault.status:
                return self._send_error(record, fault)
            if record.path.rstrip("/") != "/v1/models":
                return self._send_json(record, 404, {"error": "404 page not found"})
            data = [{"id": m, "object": "model", "created": 1_730_000_000, "owned_by": "library"} for m in api.models or ()]
            self._send_json(record, 200, {"object": "list", "data": data})
        finally:
            record.ended = time.monotonic()

    def do_POST(self) -> None:
        api: FakeOpenAIAPI = self.server.api  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        except ValueError:
            body = {}
        record = api._record(self, body)
        try:
            fault = record.fault = api._take_fault(record.number, record.kind)
            if not api._authorised(self):
                return self._send_error(record, Fault(401, "invalid_api_key", "Incorrect API key provided"))
            if fault is not None and fault.status:
                return self._send_error(record, fault)
            if record.path != "/v1/chat/completions":
                return self._send_json(record, 404, {"error": "404 page not found"})
            if body.get("model") not in (api.models or ()):
                return self._send_json(record, 404, {"error": {"message": f"model '{body.get('model')}' not found, try pulling it first", "type": "api_error"}})
            mode = _mode_of(body)
            if mode != "text" and mode not in api.accepts:
                message = "response_format json_schema is not supported" if mode == "json_schema" else f"{body.get('model')} does not support tools"
                return self._send_json(record, 400, {"error": {"message": message, "type": "invalid_request_error"}})
            self._answer(record, body, mode, fault)
        except _ClientGone:
            record.closed_by_client = True
            self.close_connection = True
        finally:
            record.ended = time.monotonic()

    def _error_body(self, fault: Fault) -> dict[str, Any]:
        return {"error": {"message": fault.message, "type": fault.error_type}}

    def _answer(self, record: RecordedRequest, body: dict[str, Any], mode: str, fault: Fault | None) -> None:  # type: ignore[override]
        api: FakeOpenAIAPI = self.server.api  # type: ignore[assignment]
        schema = _schema_of(body)
        shaped = _as_messages_body(body)
        if schema is not None:
            value = {"unexpected": True} if fault is not None and fault.invalid_output else _Builder(schema, shaped, api.sloppy).build()
            text = json.dumps(value)
            pieces = [text[i : i + 48] for i in range(0, len(text), 48)]
        else:
            words = re.findall(r"\S+\s*", _lesson_markdown(shaped, api.lesson_words))
            pieces = ["".join(words[i : i + api.words_per_delta]) for i in range(0, len(words), api.words_per_delta)]
        prompt_tokens = max(1, sum(len(str(m.get("content") or "")) for m in body.get("messages") or []) // 4)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": max(1, sum(len(p) for p in pieces) // 4)}
        record.usage = usage
        as_tool = mode == "tools"
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        if api.first_byte_delay:
            self._wait(api.first_byte_delay, streaming=False)
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": None if as_tool else "".join(pieces)}
            if as_tool:
                message["tool_calls"] = [{"id": "call_1", "type": "function", "function": {"name": body["tools"][0]["function"]["name"], "arguments": "".join(pieces)}}]
            choice = {"index": 0, "message": message, "finish_reason": "tool_calls" if as_tool else "stop"}
            return self._send_json(record, 200, {"id": completion_id, "object": "chat.completion", "model": body.get("model"), "choices": [choice], "usage": usage})

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        record.first_byte = time.monotonic()

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": completion_id, "object": "chat.completion.chunk", "model": body.get("model"), "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        self._data(chunk({"role": "assistant", "content": ""}))
        for index, piece in enumerate(pieces):
            if fault is not None and fault.cut_after is not None and record.deltas_sent >= fault.cut_after:
                self.connection.shutdown(2)
                self.close_connection = True
                return
            self._wait(api.delta_delay, streaming=True)
            if as_tool:
                call: dict[str, Any] = {"index": 0, "function": {"arguments": piece}}
                if index == 0:
                    call.update(id="call_1", type="function", function={"name": body["tools"][0]["function"]["name"], "arguments": piece})
                self._data(chunk({"tool_calls": [call]}))
            else:
                self._data(chunk({"content": piece}))
            record.deltas_sent += 1
        self._data(chunk({}, "tool_calls" if as_tool else "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            self._data({"id": completion_id, "object": "chat.completion.chunk", "model": body.get("model"), "choices": [], "usage": usage})
        self._raw(b"data: [DONE]\n\n")
        self._end_chunks()

    def _data(self, payload: dict[str, Any]) -> None:
        self._raw(f"data: {json.dumps(payload, separators=(',', ':'))}\n\n".encode())

    def _raw(self, payload: bytes) -> None:
        self._write(b"%x\r\n%s\r\n" % (len(payload), payload))
