"""Local models through the OpenAI-compatible chat completions API (`POST …/v1/chat/completions`).

Ollama, LM Studio, llama.cpp's server and vLLM all speak it. Plain `httpx2` rather than the
`openai` package: httpx2 is already installed with anthropic and imports in about 0.1 s (the
`openai` package takes about 1.2 s and would be a second HTTP stack for six request shapes).

The prompts, the tolerance of imperfect answers, the retries and cancel are the ones the Claude
generator uses. Everything is streamed (SSE `data:` lines, `[DONE]` at the end), so lesson text
reaches the preview as it is written and Cancel closes the connection at once.

Structured parts are asked for the strictest way the server accepts, learnt once per job:
`response_format` with a strict JSON schema (constrained decoding on Ollama, LM Studio,
llama.cpp), else a forced function call (`tools`), else plain JSON in the text with the schema
in the prompt. A server that refuses an option answers 400; the generator then steps down.

Local material budgets are smaller than Claude's: small local models often run with a context
of 8k tokens or less, so at most `LOCAL_BUDGET_CHARS` of material is sent whole.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from coursegen_desktop.core import ratelimit, secrets
from coursegen_desktop.core.errors import BadInput, CourseGenError, ErrorKind
from coursegen_desktop.core.generators.base import GenerationContext, TextSink
from coursegen_desktop.core.generators.claude_prompts import Tool
from coursegen_desktop.core.generators.course_prompts import LARGE_MATERIAL_NOTE, CoursePrompts, PromptParts
from coursegen_desktop.core.generators.lesson_text import LessonText
from coursegen_desktop.core.generators.model_parts import ModelParts
from coursegen_desktop.core.generators.openai_errors import ModeRejected, ServerError, StreamCut, classify, error_message, model_missing
from coursegen_desktop.core.generators.retry import MAX_ATTEMPTS, RETRY_CAP_S, Retrier, env_seconds, network_reason, short
from coursegen_desktop.core.generators.strict_schema import strict_schema
from coursegen_desktop.core.generators.structured import Answer, settle
from coursegen_desktop.core.generators.tls import tls_context
from coursegen_desktop.core.generators.tolerance import Verdict
from coursegen_desktop.core.models import (
    DEFAULT_LOCAL_BASE_URL,
    CourseRequest,
    Lesson,
    LessonPlan,
    ModulePlan,
    Usage,
    check_base_url,
    default_local_base_url,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

LOCAL_BUDGET_CHARS = 24_000  # ≈ 6k tokens: more is not sent whole to a local model
LOCAL_SELECTED_CHARS = 12_000
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 300.0  # a local server may first load the model into memory
CHECK_TIMEOUT_S = 10.0
MAX_TOKENS = {"outline": 4096, "lesson": 4096, "quiz": 4096, "exam": 8192, "flashcards": 4096}
# Requests in flight to local servers, across jobs (a local server serves one or a few at a time);
# COURSEGEN_OPENAI_MAX_REQUESTS and COURSEGEN_OPENAI_RPM change it (0 = no limit).
DEFAULT_MAX_REQUESTS = 4


def _env_number(name: str, default: float) -> float:
    try:
        return max(0.0, float(os.environ.get(name, "").strip() or default))
    except ValueError:
        return default


_LIMITER = ratelimit.RateLimiter(
    rpm=_env_number("COURSEGEN_OPENAI_RPM", 0), max_requests=int(_env_number("COURSEGEN_OPENAI_MAX_REQUESTS", DEFAULT_MAX_REQUESTS))
)


class Mode(StrEnum):
    """How a structured answer is asked for, strictest first."""

    JSON_SCHEMA = "json_schema"
    TOOLS = "tools"
    TEXT = "text"


_NEXT_MODE = {Mode.JSON_SCHEMA: Mode.TOOLS, Mode.TOOLS: Mode.TEXT}
_MODE_NOTES = {
    Mode.TOOLS: "The model server does not accept JSON-schema answers; asking for function calls instead.",
    Mode.TEXT: "The model server does not accept function calls either; asking for JSON in the answer text.",
}


@dataclass
class Completion:
    """One streamed chat completion, put together from its chunks."""

    text: str = ""
    tool_arguments: str = ""
    finish_reason: str | None = None
    done: bool = False
    usage: dict[str, int] = field(default_factory=dict)


def _json_in(text: str) -> Any:
    """The JSON object in a text answer (code fences and words around it are ignored)."""
    text = re.sub(r"^\s*```(?:json)?\s*|\s*```\s*$", "", text.strip())
    try:
        return json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise
        return json.loads(text[start : end + 1])


def _client(base_url: str, api_key: str | None, read_timeout: float) -> Any:
    import httpx2

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx2.AsyncClient(
        base_url=base_url.rstrip("/") + "/",
        headers=headers,
        timeout=httpx2.Timeout(read_timeout, connect=env_seconds("COURSEGEN_CONNECT_TIMEOUT", CONNECT_TIMEOUT_S)),
        verify=tls_context(),
    )


class OpenAICompatGenerator(ModelParts):
    """`Generator` backed by an OpenAI-compatible server. Build one per job."""

    name = "openai-compatible"
    warm_cache_first = False

    def __init__(
        self,
        request: CourseRequest,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        limiter: ratelimit.RateLimiter | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        retry_base_s: float | None = None,
        retry_cap_s: float = RETRY_CAP_S,
    ) -> None:
        self.model: str | None = request.model
        try:
            self.base_url = check_base_url(base_url or request.base_url or default_local_base_url())
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        key = api_key if api_key is not None else secrets.get_api_key(secrets.OPENAI_COMPATIBLE)
        self._api_key = secrets.Secret(key) if key else None
        self._limiter = limiter or _LIMITER
        self._retrier = Retrier(
            lambda exc: classify(exc, str(self.model), self.base_url), self._limiter, max_attempts=max_attempts, base_s=retry_base_s, cap_s=retry_cap_s
        )
        self._prompts = CoursePrompts(LOCAL_BUDGET_CHARS, LOCAL_SELECTED_CHARS)
        self.mode = Mode.JSON_SCHEMA
        self._client: Any = None
        self._usage = Usage()
        self._noted = False

    def __repr__(self) -> str:
        return f"OpenAICompatGenerator(model={self.model!r}, base_url={self.base_url!r})"

    # -- Generator protocol ----------------------------------------------------------------------

    async def lesson(self, ctx: GenerationContext, module: ModulePlan, plan: LessonPlan, on_text: TextSink) -> Lesson:
        self._notes(ctx)
        parts = self._prompts.lesson(ctx, module, plan)
        body = self._body("lesson", self._messages(parts, parts.task))
        text = LessonText(on_text)

        async def answer() -> str:
            return (await self._call(ctx, body, f"lesson {plan.id}", text.feed, text.restart)).text

        return await self._lesson_from(module, plan, parts, text, "The model", answer)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # -- requests --------------------------------------------------------------------------------

    def _notes(self, ctx: GenerationContext) -> None:
        if self._noted:
            return
        self._noted = True
        ctx.on_note(f"Writing with the local model '{short(str(self.model), 60)}' at {short(self.base_url, 80)} (no cost).")
        if self._prompts.large(ctx):
            ctx.on_note(LARGE_MATERIAL_NOTE)

    @staticmethod
    def _messages(parts: PromptParts, task: str) -> list[dict[str, Any]]:
        system = "\n\n".join(block.text for block in parts.system)
        return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join([*parts.prefix, task])}]

    def _body(self, kind: str, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": messages,
            "max_tokens": MAX_TOKENS[kind],
            "stream": True,
            "stream_options": {"include_usage": True},
            **extra,
        }

    async def _call(
        self,
        ctx: GenerationContext,
        body: dict[str, Any],
        what: str,
        on_text: Callable[[str], None] | None = None,
        on_restart: Callable[[], None] | None = None,
        structured: bool = False,
    ) -> Completion:
        return await self._retrier.call(ctx, what, lambda: self._stream_once(body, on_text, structured), on_restart)

    async def _stream_once(self, body: dict[str, Any], on_text: Callable[[str], None] | None, structured: bool) -> Completion:
        client = self._ensure_client()
        completion = Completion()
        async with self._limiter.slot():
            try:
                async with client.stream("POST", "chat/completions", json=body) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        error = ServerError(response.status_code, _error_text(response), response.headers)
                        if structured and error.status in (400, 422) and not model_missing(error):
                            raise ModeRejected(error.message)
                        raise error
                    async for line in response.aiter_lines():
                        if self._read_line(line, completion, on_text):
                            break
            finally:
                self._account(completion)
        if not completion.done and completion.finish_reason is None:
            raise StreamCut()
        return completion

    @staticmethod
    def _read_line(line: str, completion: Completion, on_text: Callable[[str], None] | None) -> bool:
        """Fold one SSE line into `completion`; True at `[DONE]`."""
        if not line.startswith("data:"):
            return False
        data = line[5:].strip()
        if data == "[DONE]":
            completion.done = True
            return True
        chunk = json.loads(data)
        if not isinstance(chunk, dict):
            raise ValueError("a stream chunk that is not a JSON object")
        if chunk.get("error"):
            raise ServerError(500, error_message(chunk, "error in the stream"))
        if isinstance(chunk.get("usage"), dict):
            completion.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if content:
                completion.text += content
                if on_text is not None:
                    on_text(content)
            for call in delta.get("tool_calls") or []:
                completion.tool_arguments += (call.get("function") or {}).get("arguments") or ""
            if choice.get("finish_reason"):
                completion.finish_reason = choice["finish_reason"]
        return False

    def _ensure_client(self) -> Any:
        if self._client is None:
            key = self._api_key.reveal() if self._api_key else None
            self._client = _client(self.base_url, key, env_seconds("COURSEGEN_READ_TIMEOUT", READ_TIMEOUT_S))
        return self._client

    def _account(self, completion: Completion) -> None:
        usage = completion.usage
        if not usage and not (completion.text or completion.tool_arguments):
            return
        counts = Usage(
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
            cost_usd=0.0,  # a local model costs nothing per token
            requests=1,
        )
        self._usage = self._usage + counts

    # -- structured answers --------------------------------------------------------------------

    def _task(self, task: str, tool: Tool, mode: Mode) -> str:
        """The task's closing instruction in the form this mode answers in."""
        ask = f"Answer by calling {tool.name}."
        if mode == Mode.TOOLS:
            return task
        if mode == Mode.JSON_SCHEMA:
            return task.replace(ask, "Answer with one JSON object that follows the given schema.")
        schema = json.dumps(strict_schema(tool.answer.model_json_schema()), separators=(",", ":"))
        return task.replace(ask, f"Answer with only one JSON object, and no other text, that follows this JSON schema: {schema}")

    def _structured_body(self, kind: str, messages: list[dict[str, Any]], tool: Tool, mode: Mode) -> dict[str, Any]:
        schema = strict_schema(tool.answer.model_json_schema())
        if mode == Mode.JSON_SCHEMA:
            return self._body(kind, messages, response_format={"type": "json_schema", "json_schema": {"name": tool.name, "schema": schema, "strict": True}})
        if mode == Mode.TOOLS:
            function = {"name": tool.name, "description": tool.description, "parameters": schema}
            return self._body(kind, messages, tools=[{"type": "function", "function": function}], tool_choice={"type": "function", "function": {"name": tool.name}})
        return self._body(kind, messages)

    async def _structured(self, ctx: GenerationContext, tool: Tool, what: str, parts: PromptParts, judge: Callable[[Any, bool], Verdict[T]]) -> T:
        kind = tool.name.removeprefix("write_")
        turns: list[dict[str, Any]] = []  # repair turns, kept when the mode changes

        async def ask() -> Answer:
            while True:
                mode = self.mode
                messages = self._messages(parts, self._task(parts.task, tool, mode)) + turns
                try:
                    completion = await self._call(ctx, self._structured_body(kind, messages, tool, mode), what, structured=True)
                except ModeRejected as exc:
                    if mode not in _NEXT_MODE:
                        raise CourseGenError(
                            ErrorKind.BAD_REQUEST, f"The model server refused the request ({short(exc.message)}); check the model and settings, then try again."
                        ) from None
                    log.info("%s: the server refused %s answers (%s)", what, mode.value, short(exc.message))
                    self.mode = _NEXT_MODE[mode]
                    ctx.on_note(_MODE_NOTES[self.mode])
                    continue
                return _answer(completion, mode)

        def repair(answer: Answer, problems: list[str]) -> None:
            listing = "\n".join(f"- {p}" for p in problems)
            turns.append({"role": "assistant", "content": answer.reply or "(no answer)"})
            turns.append({"role": "user", "content": f"The answer has these problems:\n{listing}\nAnswer again with the complete corrected JSON object (all fields, not only the fixed ones)."})

        return await settle(ctx, author=f"The model '{short(str(self.model), 60)}'", what=what, ask=ask, judge=judge, repair=repair)


def _answer(completion: Completion, mode: Mode) -> Answer:
    text = completion.tool_arguments if mode == Mode.TOOLS and completion.tool_arguments else completion.text
    if completion.finish_reason == "length":
        return Answer(reply=text, problems=["The answer was cut off at the length limit; keep explanations shorter so the whole answer fits."])
    if not text.strip():
        return Answer(reply=text, problems=["The answer was empty; answer with the JSON object."])
    try:
        return Answer(raw=_json_in(text), reply=text)
    except ValueError as exc:
        return Answer(reply=text, problems=[f"The answer is not valid JSON ({short(str(exc), 80)}); answer with one JSON object only."])


def _error_text(response: Any) -> str:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    return error_message(payload, response.text[:300] or response.reason_phrase or f"status {response.status_code}")


# ---------------------------------------------------------------------------------------------
# Settings helpers (off the GUI thread)


async def list_models(base_url: str, api_key: str | None = None) -> list[str]:
    """The model ids the server lists at `/models` (empty when it cannot say)."""
    client = _client(check_base_url(base_url), api_key, CHECK_TIMEOUT_S)
    try:
        response = await client.get("models")
        response.raise_for_status()
        data = response.json().get("data") or []
        return [str(item["id"]) for item in data if isinstance(item, dict) and item.get("id")]
    except Exception as exc:  # noqa: BLE001 - offline or not a /v1 server: the dialog still works
        log.info("Listing the server's models failed (%s).", type(exc).__name__)
        return []
    finally:
        await client.aclose()


async def check_server(base_url: str, api_key: str | None = None, model: str | None = None) -> str:
    """One plain sentence for the Settings dialog: does this server answer, and has it the model?"""
    try:
        url = check_base_url(base_url)
    except ValueError as exc:
        return str(exc)
    client = _client(url, api_key, CHECK_TIMEOUT_S)
    try:
        response = await client.get("models")
        if response.status_code in (401, 403):
            return "The server rejected the API key."
        if response.status_code == 404:
            return f"The server answers, but not as an OpenAI-compatible API; check the address ends in /v1 (for example {DEFAULT_LOCAL_BASE_URL})."
        if response.status_code >= 400:
            return f"The server answered with an error ({response.status_code}); try again later."
        ids = [str(item.get("id")) for item in response.json().get("data") or [] if isinstance(item, dict)]
    except ValueError:
        return "The server answers, but not as an OpenAI-compatible API; check the address ends in /v1."
    except Exception as exc:  # noqa: BLE001 - httpx2 transport errors: say why in plain words
        return f"Could not reach the server: {network_reason(exc)}."
    finally:
        await client.aclose()
    if model and model not in ids:
        return f"The server works, but it has no model '{short(model, 60)}'; choose one of its {len(ids)} models."
    return f"The server works and lists {len(ids)} model{'s' if len(ids) != 1 else ''}."


__all__ = ["Mode", "OpenAICompatGenerator", "check_server", "list_models"]
