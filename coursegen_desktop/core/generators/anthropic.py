"""The Claude generator: streaming lessons, structured parts, our own retries, prompt caching.

Construction is cheap and imports nothing heavy: the `anthropic` SDK (~1.2 s to import) is loaded
on the first request, on the job's worker thread. One `AsyncAnthropic` client serves one job,
with `max_retries=0` so that every retry is ours: visible as a `Retrying` event, cancellable, and
spread across jobs by the process-wide limiter in `core.ratelimit`.

Structured output (outline, quizzes, exam, flashcards) uses a *forced tool call* whose
`input_schema` is the pydantic model's JSON schema, rather than `messages.parse(output_format=…)`
/ `output_config.format`. Tool use is supported by every server that speaks the Messages API
(Anthropic, Bedrock and Vertex gateways, proxies, local compatible servers) and by every Claude
model, while `output_config.format` is newer and model-dependent. Constrained decoding would only
guarantee the shape anyway: counts, distinct options and id references are checked here and in
models.py, and a failing answer is sent back once as a `tool_result` with `is_error` so Claude can
repair it. Every call, structured or not, is streamed: the connection never sits idle long enough
for a proxy to drop it, and a cut or an SSE `error` event is retried the same way as a 5xx.

Prompt caching: render order is tools → system → messages. The system prompt holds the byte-stable
part of the job (rules, then the study documents, then the outline) with `cache_control` on the
documents and on the last block; the lesson title and objective ids come after it, in the user turn.
Lessons send no tools and structured calls always send the same four, so lessons share one cached
prefix and quizzes, exam and flashcards share another. Below the model's minimum cacheable length
the marker is ignored by the API at no cost, so it is always set. When the material is too large to
send whole, the most relevant passages are chosen per request and placed in the user turn; the
rules and outline stay cached.

A retried lesson starts its text again: before the new attempt the generator sends `TEXT_RESTART`
to `on_text`. Shown as-is it reads as a notice in the preview; the pipeline may instead compare a
delta with `TEXT_RESTART` and clear that lesson's preview.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from coursegen_desktop.core import pricing, ratelimit, secrets
from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.generators.base import GenerationContext, TextSink
from coursegen_desktop.core.generators.claude_cache import check_prefix
from coursegen_desktop.core.generators.claude_errors import NO_KEY_MESSAGE, StreamCut, classify, network_reason, short
from coursegen_desktop.core.generators.claude_prompts import Tool, repair_turns, tool_params
from coursegen_desktop.core.generators.claude_sdk import sdk
from coursegen_desktop.core.generators.course_prompts import LARGE_MATERIAL_NOTE, CoursePrompts, PromptParts
from coursegen_desktop.core.generators.lesson_text import LessonText, split_quotes
from coursegen_desktop.core.generators.model_parts import ModelParts
from coursegen_desktop.core.generators.retry import MAX_ATTEMPTS, RETRY_CAP_S, Retrier, env_seconds
from coursegen_desktop.core.generators.structured import Answer, settle
from coursegen_desktop.core.generators.tls import tls_context
from coursegen_desktop.core.generators.tolerance import Verdict
from coursegen_desktop.core.models import (
    DEFAULT_MODEL,
    KNOWN_MODELS,
    CourseRequest,
    Lesson,
    LessonPlan,
    ModulePlan,
    Usage,
)

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic
    from anthropic.types import Message

log = logging.getLogger(__name__)

FALLBACK_MODELS = KNOWN_MODELS
MATERIAL_BUDGET_CHARS = 150_000  # more than this is not sent whole (≈ 40k tokens per request)
SELECTED_CHARS = 40_000  # passages chosen per request when the material is larger
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 120.0  # between bytes of a stream; the API pings far more often
CHECK_TIMEOUT_S = 15.0
# Environment overrides (seconds) for tests and slow or flaky networks: COURSEGEN_RETRY_BASE_S,
# COURSEGEN_CONNECT_TIMEOUT, COURSEGEN_READ_TIMEOUT. A value that is not a positive number is ignored.
MAX_TOKENS = {"outline": 8192, "lesson": 8192, "quiz": 8192, "exam": 16384, "flashcards": 8192}

CACHE = {"type": "ephemeral"}

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# The generator


def _retirement_date(model: str) -> str | None:
    """The SDK's own table of deprecated models (the SDK would only warn on stderr)."""
    sdk()  # the first import of the SDK happens under its lock (another thread may be listing models)
    try:
        sdk()  # the SDK's first import happens under its lock (another thread may be importing it)
        from anthropic.resources.messages import DEPRECATED_MODELS
    except ImportError:
        return None
    return DEPRECATED_MODELS.get(model)


def _make_client(api_key: str, base_url: str | None, timeout: float) -> AsyncAnthropic:
    anthropic = sdk()
    import httpx2

    return anthropic.AsyncAnthropic(
        api_key=api_key,
        base_url=base_url or os.environ.get("ANTHROPIC_BASE_URL") or None,
        max_retries=0,
        timeout=httpx2.Timeout(timeout, connect=env_seconds("COURSEGEN_CONNECT_TIMEOUT", CONNECT_TIMEOUT_S)),
        http_client=anthropic.DefaultAsyncHttpxClient(verify=tls_context()),  # the SDK's defaults, the shared TLS context
    )


class _UsageCounter:
    """Usage of one streamed call: message_start gives input counts, message_delta the output."""

    def __init__(self) -> None:
        self.counts = {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        self.started = False

    def update(self, usage: Any) -> None:
        self.started = True
        for name in self.counts:
            value = getattr(usage, name, None)
            if value is not None:
                self.counts[name] = int(value)


class ClaudeGenerator(ModelParts):
    """`Generator` backed by Claude. Build one per job: `ClaudeGenerator(request)`."""

    name = "claude"
    warm_cache_first = True

    def __init__(
        self,
        request: CourseRequest,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        limiter: ratelimit.RateLimiter | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        retry_base_s: float | None = None,
        retry_cap_s: float = RETRY_CAP_S,
        cache_control: dict[str, str] | None = None,
    ) -> None:
        self.model: str | None = request.model
        self._cache = cache_control or CACHE
        key = api_key or secrets.get_api_key()
        self._api_key = secrets.Secret(key) if key else None
        self._base_url = base_url
        self._limiter = limiter or ratelimit.limiter()
        self._retrier = Retrier(
            lambda exc: classify(exc, str(self.model)), self._limiter, max_attempts=max_attempts, base_s=retry_base_s, cap_s=retry_cap_s
        )
        self._prompts = CoursePrompts(MATERIAL_BUDGET_CHARS, SELECTED_CHARS)
        self._client: AsyncAnthropic | None = None
        self._usage = Usage()
        self._noted = False
        self._cache_checked = False

    def __repr__(self) -> str:
        return f"ClaudeGenerator(model={self.model!r})"

    # -- Generator protocol ----------------------------------------------------------------------

    async def lesson(self, ctx: GenerationContext, module: ModulePlan, plan: LessonPlan, on_text: TextSink) -> Lesson:
        self._notes(ctx)
        parts = self._prompts.lesson(ctx, module, plan)
        params = self.part_params(parts)
        await self._check_cache_once(ctx, params["system"])
        text = LessonText(on_text)

        async def answer() -> str:
            message = await self._call(ctx, params, f"lesson {plan.id}", text, kind="lesson")
            if message.stop_reason == "max_tokens":
                log.warning("lesson %s reached the length limit and may end abruptly", plan.id)
            return "".join(block.text for block in message.content if block.type == "text")

        return await self._lesson_from(module, plan, parts, text, "Claude", answer)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # -- prompt assembly -------------------------------------------------------------------------

    def _notes(self, ctx: GenerationContext) -> None:
        """One-time notes for the job log: large material, unknown price, a model being retired."""
        if self._noted:
            return
        self._noted = True
        model = short(ctx.request.model, 60)
        if self._prompts.large(ctx):
            ctx.on_note(LARGE_MATERIAL_NOTE)
        if not pricing.price_for(ctx.request.model)[1]:
            ctx.on_note(f"Prices for the model '{model}' are not known; costs are estimated at Claude Sonnet prices.")
        retires = _retirement_date(ctx.request.model)
        if retires:
            ctx.on_note(f"The model '{model}' is deprecated and stops working on {retires}; choose a newer model in Settings.")

    async def _check_cache_once(self, ctx: GenerationContext, system: list[dict[str, Any]]) -> None:
        """Before the first lesson: say in the job log when the shared lesson prefix is too short to cache."""
        if self._cache_checked:
            return
        self._cache_checked = True
        note = await check_prefix(self._ensure_client(), str(self.model), system)
        if note:
            ctx.on_note(note)

    def _system(self, parts: PromptParts) -> list[dict[str, Any]]:
        """The byte-stable system blocks with cache breakpoints after the documents and at the end."""
        blocks: list[dict[str, Any]] = [
            {"type": "text", "text": block.text, **({"cache_control": self._cache} if block.cache else {})} for block in parts.system
        ]
        blocks[-1] = {**blocks[-1], "cache_control": self._cache}
        return blocks

    def part_params(self, parts: PromptParts, tool: Tool | None = None) -> dict[str, Any]:
        """The Messages API params of one part: a lesson, or a forced call of `tool` (streamed
        here, or sent in a Message Batch by core.batch)."""
        if tool is None:
            return self._params("lesson", parts)
        return self._params(tool.name.removeprefix("write_"), parts, tools=list(tool_params()), tool_choice={"type": "tool", "name": tool.name})

    def _params(self, kind: str, parts: PromptParts, messages: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
        if messages is None:
            content = [{"type": "text", "text": text} for text in [*parts.prefix, parts.task]]
            messages = [{"role": "user", "content": content}]
        return {"model": self.model, "max_tokens": MAX_TOKENS[kind], "system": self._system(parts), "messages": messages, **extra}

    # -- structured answers --------------------------------------------------------------------

    async def _structured(self, ctx: GenerationContext, tool: Tool, what: str, parts: PromptParts, judge: Callable[[Any, bool], Verdict[T]]) -> T:
        """A forced tool call, judged by `tolerance`; problems go back once as an error tool_result."""
        conversation = self.part_params(parts, tool)

        async def ask() -> Answer:
            message = await self._call(ctx, conversation, what, kind=tool.name.removeprefix("write_"))
            block = next((b for b in message.content if b.type == "tool_use" and b.name == tool.name), None)
            if block is None:
                return Answer(problems=[f"No {tool.name} call was made."])
            if message.stop_reason == "max_tokens":
                return Answer(reply=block, problems=["The answer was cut off at the length limit; keep explanations shorter so the whole answer fits."])
            return Answer(raw=block.input, reply=block)

        def repair(answer: Answer, problems: list[str]) -> None:
            conversation["messages"] = conversation["messages"] + repair_turns(tool, answer.reply, problems)

        return await settle(ctx, author="Claude", what=what, ask=ask, judge=judge, repair=repair)

    # -- one request, with retries ---------------------------------------------------------------

    async def _call(self, ctx: GenerationContext, params: dict[str, Any], what: str, text: LessonText | None = None, *, kind: str = "other") -> Message:
        """One request with retries; each attempt's usage is reported as `kind` (for `core.plan`)."""
        return await self._retrier.call(
            ctx, what, lambda: self._stream_once(params, text, lambda usage: ctx.on_usage(kind, usage)), text.restart if text is not None else None
        )

    async def _stream_once(self, params: dict[str, Any], text: LessonText | None, on_usage: Callable[[Usage], None] = lambda usage: None) -> Message:
        client = self._ensure_client()
        counter = _UsageCounter()
        final: Message | None = None
        async with self._limiter.slot():
            try:
                async with client.messages.stream(**params) as stream:
                    async for event in stream:  # read to the end so the SDK's generators finish cleanly
                        if event.type == "text":
                            if text is not None:
                                text.feed(event.text)
                        elif event.type == "message_start":
                            counter.update(event.message.usage)
                        elif event.type == "message_delta":
                            counter.update(event.usage)
                        elif event.type == "message_stop":
                            final = event.message
            finally:
                used = self._account(counter)
                if used is not None:
                    on_usage(used)
        if final is None:
            raise StreamCut()
        return final

    def _ensure_client(self) -> AsyncAnthropic:
        if self._client is None:
            if not self._api_key:
                raise CourseGenError(ErrorKind.AUTH, NO_KEY_MESSAGE, resumable=True)
            self._client = _make_client(self._api_key.reveal(), self._base_url, env_seconds("COURSEGEN_READ_TIMEOUT", READ_TIMEOUT_S))
        return self._client

    def _account(self, counter: _UsageCounter) -> Usage | None:
        """Add one call's usage to the job's; returns it (None when the call never started)."""
        if not counter.started:
            return None
        cost = pricing.cost_usd(str(self.model), counter.counts)
        used = Usage(**counter.counts, cost_usd=cost, requests=1)
        self._usage = self._usage + used
        return used


# ---------------------------------------------------------------------------------------------
# Settings dialog helpers


async def list_models(api_key: str | None, base_url: str | None = None) -> list[str]:
    """Model ids the key can use (newest first), or the built-in list when the API can't say."""
    if not api_key:
        return list(FALLBACK_MODELS)
    client = _make_client(api_key, base_url, CHECK_TIMEOUT_S)
    try:
        ids = [info.id async for info in client.models.list(limit=100)]
        return ids or list(FALLBACK_MODELS)
    except Exception as exc:  # noqa: BLE001 - offline, old gateway, bad key: the dialog still works
        log.info("Listing models failed (%s); using the built-in list.", type(exc).__name__)
        return list(FALLBACK_MODELS)
    finally:
        await client.close()


async def check_key(api_key: str | None, base_url: str | None = None) -> str:
    """One plain sentence for the Settings dialog: does this key work?"""
    anthropic = sdk()

    if not api_key or not api_key.strip():
        return "Enter a key first."
    client = _make_client(api_key.strip(), base_url, CHECK_TIMEOUT_S)
    try:
        try:
            await client.models.list(limit=1)
        except anthropic.NotFoundError:  # a gateway without /v1/models: one tiny message instead
            await client.messages.create(model=DEFAULT_MODEL, max_tokens=1, messages=[{"role": "user", "content": "Hi"}])
        return "The key works."
    except (anthropic.AuthenticationError, anthropic.PermissionDeniedError):
        return "The key was rejected."
    except anthropic.APIConnectionError as exc:
        return f"Could not reach the API: {network_reason(exc)}."
    except anthropic.APIStatusError as exc:
        failure = classify(exc, DEFAULT_MODEL)
        if failure is not None and failure.error.kind == ErrorKind.BILLING:
            return "The key works, but the account has run out of credit."
        if exc.status_code in (404, 429, 529) or (failure is not None and failure.error.kind == ErrorKind.BAD_REQUEST):
            return "The key works."  # it passed authentication; the refusal is about something else
        return f"The key could not be checked right now (the API answered {exc.status_code}); try again later."
    finally:
        await client.close()


__all__ = ["LARGE_MATERIAL_NOTE", "ClaudeGenerator", "check_key", "list_models", "split_quotes"]

