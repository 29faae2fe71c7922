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

import asyncio
import logging
import os
import random
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from coursegen_desktop.core import pricing, ratelimit, secrets
from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.generators.base import (
    TEXT_RESTART,
    GenerationContext,
    TextSink,
)
from coursegen_desktop.core.generators.claude_errors import (
    NO_KEY_MESSAGE,
    StreamCut,
    classify,
    network_reason,
    short,
)
from coursegen_desktop.core.generators.claude_prompts import (
    EXAM_TOOL,
    FLASHCARDS_TOOL,
    OUTLINE_TOOL,
    QUIZ_TOOL,
    Tool,
    course_summary,
    describe_errors,
    documents,
    exam_task,
    flashcards_task,
    lesson_task,
    lessons_block,
    objective_list,
    outline_problems,
    outline_task,
    outline_text,
    question_problems,
    quiz_task,
    repair_turns,
    rules,
    tool_params,
)
from coursegen_desktop.core.generators.claude_sdk import sdk
from coursegen_desktop.core.material import Chunk
from coursegen_desktop.core.models import (
    DEFAULT_MODEL,
    KNOWN_MODELS,
    CourseRequest,
    Exam,
    FlashcardDeck,
    Lesson,
    LessonPlan,
    ModulePlan,
    Outline,
    Quiz,
    Usage,
)

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic
    from anthropic.types import Message

log = logging.getLogger(__name__)

FALLBACK_MODELS = KNOWN_MODELS
MATERIAL_BUDGET_CHARS = 150_000  # more than this is not sent whole (≈ 40k tokens per request)
SELECTED_CHARS = 40_000  # passages chosen per request when the material is larger
MAX_ATTEMPTS = 6
RETRY_BASE_S = 2.0
RETRY_CAP_S = 60.0
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 120.0  # between bytes of a stream; the API pings far more often
CHECK_TIMEOUT_S = 15.0
# Environment overrides (seconds) for tests and slow or flaky networks: COURSEGEN_RETRY_BASE_S,
# COURSEGEN_CONNECT_TIMEOUT, COURSEGEN_READ_TIMEOUT. A value that is not a positive number is ignored.
MAX_TOKENS = {"outline": 8192, "lesson": 8192, "quiz": 8192, "exam": 16384, "flashcards": 8192}

LARGE_MATERIAL_NOTE = "Material is larger than the model's context; using the most relevant passages for each lesson."
CACHE = {"type": "ephemeral"}

T = TypeVar("T", bound=BaseModel)


# ---------------------------------------------------------------------------------------------
# Lesson text: quotes-first filter and markdown parsing

_QUOTES = re.compile(r"^\s*<quotes>(.*?)</quotes>\s*", re.S)
_OPEN = "<quotes>"


def split_quotes(text: str) -> tuple[list[str], str]:
    """(evidence quotes, lesson markdown) from a lesson answer that may begin with <quotes>…</quotes>."""
    match = _QUOTES.match(text)
    if not match:
        return [], text
    quotes = [line.strip().strip('"“”').strip() for line in match.group(1).splitlines()]
    return [q for q in quotes if q], text[match.end() :]


class _LessonText:
    """Forwards streamed lesson text to the preview, holding back a leading <quotes> block."""

    def __init__(self, sink: TextSink) -> None:
        self._sink = sink
        self._buffer = ""
        self._state = "start"  # start → quotes → body
        self.emitted = False

    def feed(self, delta: str) -> None:
        if self._state == "body":
            self._emit(delta)
            return
        self._buffer += delta
        if self._state == "start":
            head = self._buffer.lstrip()
            if head.startswith(_OPEN):
                self._state = "quotes"
            elif _OPEN.startswith(head):
                return  # could still become "<quotes>"
            else:
                self._state = "body"
                self._flush(self._buffer)
                return
        end = self._buffer.find("</quotes>")
        if end >= 0:
            self._state = "body"
            self._flush(self._buffer[end + len("</quotes>") :].lstrip())

    def restart(self) -> None:
        """A new attempt begins: tell the preview if it already showed text from the failed one."""
        if self.emitted:
            self._sink(TEXT_RESTART)
        self._buffer, self._state, self.emitted = "", "start", False

    def _flush(self, text: str) -> None:
        self._buffer = ""
        if text:
            self._emit(text)

    def _emit(self, text: str) -> None:
        self.emitted = True
        self._sink(text)


def _sections(markdown: str) -> list[tuple[str, list[str]]]:
    sections: list[tuple[str, list[str]]] = []
    for line in markdown.splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif sections:
            sections[-1][1].append(line)
    return sections


def _key_points(markdown: str) -> list[str]:
    """Bullets of the "Key points" section: found by name, else by position (second to last),
    because headings are written in the course language."""
    sections = _sections(markdown)
    named = [body for title, body in sections if re.search(r"key\s*points|summary", title, re.I)]
    body = named[0] if named else sections[-2][1] if len(sections) >= 2 else []
    points = [re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line).strip() for line in body if re.match(r"^\s*(?:[-*+]|\d+[.)])\s+", line)]
    return [p for p in points if p][:8]


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _sources_for(quotes: list[str], chunks: list[Chunk]) -> list[str]:
    """Files that contain at least one of the lesson's quotes (unverifiable quotes name none)."""
    found: list[str] = []
    for chunk in chunks:
        text = _normal(chunk.text)
        if chunk.source not in found and any(len(q) > 8 and _normal(q) in text for q in quotes):
            found.append(chunk.source)
    return found


# ---------------------------------------------------------------------------------------------
# The generator


def _retirement_date(model: str) -> str | None:
    """The SDK's own table of deprecated models (the SDK would only warn on stderr)."""
    try:
        sdk()  # the SDK's first import happens under its lock (another thread may be importing it)
        from anthropic.resources.messages import DEPRECATED_MODELS
    except ImportError:
        return None
    return DEPRECATED_MODELS.get(model)


def _env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment, else `default`."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        log.warning("%s=%r is not a positive number of seconds; using %s.", name, text[:40], default)
        return default
    return value


def _make_client(api_key: str, base_url: str | None, timeout: float) -> AsyncAnthropic:
    anthropic = sdk()
    import httpx2

    return anthropic.AsyncAnthropic(
        api_key=api_key,
        base_url=base_url or os.environ.get("ANTHROPIC_BASE_URL") or None,
        max_retries=0,
        timeout=httpx2.Timeout(timeout, connect=_env_seconds("COURSEGEN_CONNECT_TIMEOUT", CONNECT_TIMEOUT_S)),
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


class ClaudeGenerator:
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
    ) -> None:
        self.model: str | None = request.model
        key = api_key or secrets.get_api_key()
        self._api_key = secrets.Secret(key) if key else None
        self._base_url = base_url
        self._limiter = limiter or ratelimit.limiter()
        self._max_attempts = max(1, max_attempts)
        self._retry_base_s = _env_seconds("COURSEGEN_RETRY_BASE_S", RETRY_BASE_S) if retry_base_s is None else retry_base_s
        self._retry_cap_s = retry_cap_s
        self._client: AsyncAnthropic | None = None
        self._usage = Usage()
        self._noted = False

    def __repr__(self) -> str:
        return f"ClaudeGenerator(model={self.model!r})"

    # -- Generator protocol ----------------------------------------------------------------------

    async def outline(self, ctx: GenerationContext) -> Outline:
        self._notes(ctx)
        request = ctx.request
        grounded = not ctx.material.is_empty
        prefix = self._documents_turn(ctx, self._chunks_for(ctx, request.topic))
        answer = await self._structured(
            ctx, OUTLINE_TOOL, "outline", self._system(ctx, None), prefix, outline_task(request, grounded),
            lambda a: outline_problems(a.outline, request),
        )
        gaps = [short(gap, 80) for gap in answer.coverage_gaps if gap.strip()][:3]
        if grounded and gaps:
            ctx.on_note(f"Your material does not cover everything the course needs (for example: {'; '.join(gaps)}).")
        return answer.outline

    async def lesson(self, ctx: GenerationContext, module: ModulePlan, plan: LessonPlan, on_text: TextSink) -> Lesson:
        self._notes(ctx)
        outline = self._outline(ctx)
        grounded = not ctx.material.is_empty
        query = " ".join([module.title, plan.title, plan.summary, objective_list(outline, plan.objective_ids)])
        chunks = self._chunks_for(ctx, query)
        content = [*self._documents_turn(ctx, chunks), {"type": "text", "text": lesson_task(outline, module, plan, grounded)}]
        params = self._params("lesson", self._system(ctx, outline), [{"role": "user", "content": content}])
        text = _LessonText(on_text)
        for attempt in (1, 2):
            message = await self._call(ctx, params, f"lesson {plan.id}", text)
            raw = "".join(block.text for block in message.content if block.type == "text")
            quotes, markdown = split_quotes(raw)
            if message.stop_reason == "max_tokens":
                log.warning("lesson %s reached the length limit and may end abruptly", plan.id)
            if markdown.strip():
                break
            if attempt == 2:
                raise CourseGenError(ErrorKind.INVALID_OUTPUT, f"Claude returned an empty lesson for “{plan.title}” twice; Resume the job to try again.")
            text.restart()
        return Lesson(
            id=plan.id,
            module_id=module.id,
            title=plan.title,
            markdown=markdown.strip(),
            key_points=_key_points(markdown),
            objectives_covered=list(plan.objective_ids),
            sources=_sources_for(quotes, chunks),
        )

    async def quiz(self, ctx: GenerationContext, module: ModulePlan, lessons: list[Lesson]) -> Quiz:
        self._notes(ctx)
        outline = self._outline(ctx)
        query = " ".join([module.title, *(lesson.title for lesson in module.lessons)])
        prefix = [*self._documents_turn(ctx, self._chunks_for(ctx, query)), {"type": "text", "text": lessons_block(lessons)}]
        count = ctx.request.questions_per_quiz
        answer = await self._structured(
            ctx, QUIZ_TOOL, f"the quiz for “{module.title}”", self._system(ctx, outline), prefix, quiz_task(ctx.request, outline, module),
            lambda a: question_problems(a.quiz.questions, count, outline),
        )
        quiz = answer.quiz
        questions = [q.model_copy(update={"id": f"{module.id}-q{i}"}) for i, q in enumerate(quiz.questions[:count], 1)]
        return quiz.model_copy(update={"module_id": module.id, "questions": questions})

    async def exam(self, ctx: GenerationContext, lessons: list[Lesson]) -> Exam:
        self._notes(ctx)
        outline = self._outline(ctx)
        query = " ".join([outline.title, *(o.text for o in outline.objectives)])
        prefix = [*self._documents_turn(ctx, self._chunks_for(ctx, query)), {"type": "text", "text": course_summary(lessons)}]
        count = ctx.request.exam_questions
        answer = await self._structured(
            ctx, EXAM_TOOL, "the practice exam", self._system(ctx, outline), prefix, exam_task(ctx.request, outline),
            lambda a: question_problems(a.exam.questions, count, outline),
        )
        questions = [q.model_copy(update={"id": f"exam-q{i}"}) for i, q in enumerate(answer.exam.questions[:count], 1)]
        return answer.exam.model_copy(update={"questions": questions})

    async def flashcards(self, ctx: GenerationContext, lessons: list[Lesson]) -> FlashcardDeck:
        self._notes(ctx)
        outline = self._outline(ctx)
        prefix = [{"type": "text", "text": course_summary(lessons)}]
        module_ids = {m.id for m in outline.modules}
        answer = await self._structured(
            ctx, FLASHCARDS_TOOL, "the flashcards", self._system(ctx, outline), prefix, flashcards_task(ctx.request),
            lambda a: [] if a.cards else ["cards: write at least one flashcard."],
        )
        cards = [c if c.module_id in module_ids else c.model_copy(update={"module_id": None}) for c in answer.cards]
        return FlashcardDeck(cards=cards)

    def usage(self) -> Usage:
        return self._usage

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # -- prompt assembly -------------------------------------------------------------------------

    def _large(self, ctx: GenerationContext) -> bool:
        return ctx.material.char_count > MATERIAL_BUDGET_CHARS

    def _notes(self, ctx: GenerationContext) -> None:
        """One-time notes for the job log: large material, unknown price, a model being retired."""
        if self._noted:
            return
        self._noted = True
        model = short(ctx.request.model, 60)
        if self._large(ctx):
            ctx.on_note(LARGE_MATERIAL_NOTE)
        if not pricing.price_for(ctx.request.model)[1]:
            ctx.on_note(f"Prices for the model '{model}' are not known; costs are estimated at Claude Sonnet prices.")
        retires = _retirement_date(ctx.request.model)
        if retires:
            ctx.on_note(f"The model '{model}' is deprecated and stops working on {retires}; choose a newer model in Settings.")

    def _outline(self, ctx: GenerationContext) -> Outline:
        if ctx.outline is None:
            raise CourseGenError(ErrorKind.INTERNAL, "The outline is missing, so this part cannot be written; Resume the job.")
        return ctx.outline

    def _system(self, ctx: GenerationContext, outline: Outline | None) -> list[dict[str, Any]]:
        """Rules → documents → outline, all byte-stable for the job, with cache breakpoints."""
        blocks: list[dict[str, Any]] = [{"type": "text", "text": rules(ctx.request, not ctx.material.is_empty)}]
        if not ctx.material.is_empty and not self._large(ctx):
            blocks.append({"type": "text", "text": documents(list(ctx.material.chunks)), "cache_control": CACHE})
        if outline is not None:
            blocks.append({"type": "text", "text": outline_text(outline)})
        blocks[-1] = {**blocks[-1], "cache_control": CACHE}
        return blocks

    def _chunks_for(self, ctx: GenerationContext, query: str) -> list[Chunk]:
        """All of the material when it fits, else the passages most relevant to `query`."""
        if not self._large(ctx):
            return list(ctx.material.chunks)
        return ctx.material.select(query, SELECTED_CHARS)

    def _documents_turn(self, ctx: GenerationContext, chunks: list[Chunk]) -> list[dict[str, Any]]:
        """User-turn documents for large material (the chosen passages); none when they are cached in the system prompt."""
        if not self._large(ctx):
            return []
        return [{"type": "text", "text": documents(chunks)}]

    def _params(self, kind: str, system: list[dict[str, Any]], messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {"model": self.model, "max_tokens": MAX_TOKENS[kind], "system": system, "messages": messages, **extra}

    # -- structured answers --------------------------------------------------------------------

    async def _structured(
        self,
        ctx: GenerationContext,
        tool: Tool,
        what: str,
        system: list[dict[str, Any]],
        prefix: list[dict[str, Any]],
        task: str,
        problems_of: Callable[[Any], list[str]],
    ) -> Any:
        """Ask for a forced tool call; send problems back once; a second failure is INVALID_OUTPUT."""
        kind = tool.name.removeprefix("write_")
        messages: list[dict[str, Any]] = [{"role": "user", "content": [*prefix, {"type": "text", "text": task}]}]
        for attempt in (1, 2):
            params = self._params(kind, system, messages, tools=list(tool_params()), tool_choice={"type": "tool", "name": tool.name})
            message = await self._call(ctx, params, what)
            block = next((b for b in message.content if b.type == "tool_use" and b.name == tool.name), None)
            problems: list[str]
            answer = None
            if block is None:
                problems = [f"No {tool.name} call was made."]
            elif message.stop_reason == "max_tokens":
                problems = ["The answer was cut off at the length limit; keep explanations shorter so the whole answer fits."]
            else:
                try:
                    answer = tool.answer.model_validate(block.input)
                    problems = problems_of(answer)
                except ValidationError as exc:
                    problems = describe_errors(exc)
            if not problems:
                return answer
            log.warning("%s failed validation (attempt %d): %s", what, attempt, "; ".join(problems)[:500])
            if attempt == 2:
                break
            messages = messages + repair_turns(tool, block, problems)
        raise CourseGenError(ErrorKind.INVALID_OUTPUT, f"Claude wrote {what} in a form that could not be used, twice; Resume the job to try again.")

    # -- one request, with retries ---------------------------------------------------------------

    async def _call(self, ctx: GenerationContext, params: dict[str, Any], what: str, text: _LessonText | None = None) -> Message:
        attempt = 0
        while True:
            ctx.cancel.raise_if_cancelled()
            try:
                return await self._stream_once(params, text)
            except Exception as exc:
                failure = classify(exc, str(self.model))
                if failure is None:
                    raise
                if not failure.retryable:
                    log.warning("%s failed: %s", what, failure.error.message)
                    raise failure.error from None
                attempt += 1
                if attempt >= self._max_attempts:
                    log.warning("%s failed after %d attempts: %s", what, attempt, failure.reason)
                    raise failure.error from None
                delay = self._delay(attempt, failure.retry_after)
                log.info("%s: %s; retry %d in %.1f s", what, failure.reason, attempt, delay)
                if failure.retry_after is not None:
                    self._limiter.hold_off(delay)
                ctx.on_retry(attempt, delay, failure.reason)
                if text is not None:
                    text.restart()
                await asyncio.sleep(delay)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """`retry-after` when the API gives one, else exponential backoff with jitter; capped."""
        if retry_after is not None:
            return min(self._retry_cap_s, retry_after + random.uniform(0, 0.1 * self._retry_base_s))
        backoff = min(self._retry_cap_s, self._retry_base_s * 2 ** (attempt - 1))
        return backoff * random.uniform(0.5, 1.0)

    async def _stream_once(self, params: dict[str, Any], text: _LessonText | None) -> Message:
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
                self._account(counter)
        if final is None:
            raise StreamCut()
        return final

    def _ensure_client(self) -> AsyncAnthropic:
        if self._client is None:
            if not self._api_key:
                raise CourseGenError(ErrorKind.AUTH, NO_KEY_MESSAGE, resumable=True)
            self._client = _make_client(self._api_key.reveal(), self._base_url, _env_seconds("COURSEGEN_READ_TIMEOUT", READ_TIMEOUT_S))
        return self._client

    def _account(self, counter: _UsageCounter) -> None:
        if not counter.started:
            return
        cost = pricing.cost_usd(str(self.model), counter.counts)
        self._usage = self._usage + Usage(**counter.counts, cost_usd=cost, requests=1)


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


__all__ = ["ClaudeGenerator", "check_key", "list_models", "split_quotes"]

