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
import email.utils
import logging
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from coursegen_desktop.core import pricing, ratelimit, secrets
from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.generators.base import TEXT_RESTART, GenerationContext, TextSink
from coursegen_desktop.core.material import Chunk
from coursegen_desktop.core.models import (
    DEFAULT_MODEL,
    CourseRequest,
    Exam,
    Flashcard,
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

# For the Settings dialog when the API cannot list models (offline, or a gateway without /v1/models).
FALLBACK_MODELS = tuple(dict.fromkeys((DEFAULT_MODEL, "claude-opus-4-6", "claude-haiku-4-5", "claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5")))
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
AUTH_MESSAGE = "The API key was rejected; check it in Settings (or ANTHROPIC_API_KEY) and try again."
NO_KEY_MESSAGE = "No Anthropic API key is set; add one in Settings (or set ANTHROPIC_API_KEY), then Resume."
NETWORK_MESSAGE = "Network unavailable — Resume when you are back online."
CACHE = {"type": "ephemeral"}

T = TypeVar("T", bound=BaseModel)


# ---------------------------------------------------------------------------------------------
# Tool answers: what Claude fills in. Quotes come first so it grounds a part before writing it.


class _Grounded(BaseModel):
    evidence_quotes: list[str] = Field(
        default_factory=list, description="Verbatim passages from the documents this answer rests on (empty without documents)."
    )
    coverage_gaps: list[str] = Field(default_factory=list, description="What the task needs that the documents do not cover.")


class OutlineAnswer(_Grounded):
    outline: Outline


class QuizAnswer(_Grounded):
    quiz: Quiz


class ExamAnswer(_Grounded):
    exam: Exam


class FlashcardsAnswer(BaseModel):
    cards: list[Flashcard]


@dataclass(frozen=True)
class _Tool:
    name: str
    description: str
    answer: type[BaseModel]


OUTLINE_TOOL = _Tool("write_outline", "Record the course outline.", OutlineAnswer)
QUIZ_TOOL = _Tool("write_quiz", "Record one module's quiz.", QuizAnswer)
EXAM_TOOL = _Tool("write_exam", "Record the practice exam.", ExamAnswer)
FLASHCARDS_TOOL = _Tool("write_flashcards", "Record the flashcard deck.", FlashcardsAnswer)
TOOLS = (OUTLINE_TOOL, QUIZ_TOOL, EXAM_TOOL, FLASHCARDS_TOOL)


@cache
def _tool_params() -> tuple[dict[str, Any], ...]:
    """The same four tool definitions, byte for byte, on every structured call (cache prefix)."""
    return tuple(
        {"name": tool.name, "description": tool.description, "input_schema": _inline_schema(tool.answer.model_json_schema())}
        for tool in TOOLS
    )


def _inline_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Resolve `$ref`s into one self-contained schema and drop pydantic's titles (noise tokens)."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target = defs[node["$ref"].rsplit("/", 1)[-1]]
                return walk({**target, **{k: v for k, v in node.items() if k != "$ref"}})
            return {k: walk(v) for k, v in node.items() if k != "$defs" and not (k == "title" and isinstance(v, str))}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(schema)


# ---------------------------------------------------------------------------------------------
# Prompts (COURSE_QUALITY.md, "What prompts should ask Claude for")

_RULES = """You are CourseGen, an expert instructional designer and teacher. You write one study course, part by part, for a single learner.

<course_brief>
Topic: {topic}
Learner level: {level}
Course language: {language}. Write every title, lesson, question, option, explanation and flashcard in {language}.
</course_brief>

<grounding>
{grounding}
</grounding>

<objective_rules>
- Write each objective as "The learner will be able to <verb> <object> [<condition>]" with exactly one action verb from this list. remember: define, list, name, recall. understand: explain, classify, summarise, describe. apply: calculate, use, solve, demonstrate. analyze: compare, differentiate, examine, organise. evaluate: justify, critique, assess, defend. create: design, formulate, construct, plan.
- Never use understand, know, learn, appreciate, be aware of or be familiar with as the verb. Do not join two verbs with "and": write two objectives instead.
- Set bloom_level to the level of the verb. Give every module at least one objective at apply level or higher when the material supports it.
- Use short stable ids: modules m1, m2, …; lessons m1-l1, m1-l2, …; objectives obj-1, obj-2, ….
</objective_rules>

<lesson_template>
Write each lesson in Markdown with these sections in this order, each under a level-2 heading (##) written in the course language:
1. Objectives: the lesson's objectives, restated for the learner.
2. Explanation: the core teaching, built up step by step in short paragraphs, with lists or tables where they help.
3. Worked example: at least one, showing every step and the reason for each step. Required when an objective is at apply level or higher.
4. Common mistakes: typical errors and misconceptions, each with its correction.
5. Key points: three to six bullet points that summarise the lesson.
6. Check yourself: two or three retrieval questions, each followed by its answer inside <details><summary>Answer</summary>…</details>.
Do not repeat the lesson title as a heading: start with the first section heading.
</lesson_template>

<item_writing_rules>
Every quiz and exam question is a one-best-answer multiple-choice item:
1. Exactly one option is correct, and answer_index is its 0-based position.
2. Give four options (never fewer than three or more than five).
3. Options are clearly distinct: no duplicates, no option contained in another, no paraphrases of each other.
4. Options have similar length and detail; the correct one must not stand out as the longest or most precise.
5. Never use "all of the above", "none of the above", "both A and B" or any combination option.
6. The stem is a complete question of at least six words, ends with "?" and can be answered without seeing the options.
7. Avoid negative stems. If one is unavoidable, write the negative word in capitals (NOT, EXCEPT), and never pair it with a negative option.
8. No absolute words (always, never, all, only, completely) and no vague frequency words (often, usually, sometimes, rarely) in options.
9. Do not repeat a distinctive word of the stem in the correct option alone.
10. Keep grammar consistent between the stem and every option (articles, singular or plural).
11. The correct option must not be the one that shares the most words with all the others.
12. When every option is a number or a year, list them in ascending order.
13. The explanation has at least fifteen words, says why the correct option is right using its text, and calls no other option correct.
14. Items are independent: no item reveals the answer to another, and no two stems are near-duplicates.
15. Keep stems under about sixty words and options under about twenty.
Distractors are plausible: common errors and misconceptions (the lessons' "Common mistakes" are a good source), of the same kind as the correct option. Each item has exactly one objective_id taken from the outline, and, when documents were given, an evidence_quote copied verbatim from them.
<example kind="good">
{{"stem": "Which gas do plants take in from the air to build glucose during photosynthesis?", "options": ["Carbon dioxide", "Oxygen", "Nitrogen", "Water vapour"], "answer_index": 0, "explanation": "Plants take in carbon dioxide, which the Calvin cycle fixes into glucose; oxygen is released by photosynthesis, not taken in.", "objective_id": "obj-2"}}
</example>
<example kind="flawed">
{{"stem": "Photosynthesis:", "options": ["Turns carbon dioxide and water into glucose using light energy in chloroplasts", "Oxygen", "All of the above", "Never happens at night"], "answer_index": 0}}
Flaws: the stem is not a question; the key is by far the longest; "All of the above"; an absolute word; options of different kinds; no explanation or objective_id.
</example>
</item_writing_rules>

<flashcard_rules>
One fact per card. Front at most about twenty words, back at most about twelve words or one sentence, and the back does not repeat the front. No lists of more than three items. No duplicate or ambiguous fronts. Each card has the module_id it belongs to and, as source, the title of its lesson.
</flashcard_rules>"""

_GROUNDED = (
    "The learner's study material is in <documents>. Base the course on it. Before writing a part, find the "
    "verbatim passages that support it. When the material does not cover something the task needs, say so "
    "(in coverage_gaps, or by leaving it out) instead of inventing facts. Where the material and general "
    "knowledge disagree, follow the material and point out the difference."
)
_UNGROUNDED = "No study material was given: teach from well-established knowledge, and leave evidence quotes empty."


def _rules(request: CourseRequest, grounded: bool) -> str:
    return _RULES.format(
        topic=request.topic, level=request.level.value, language=request.language, grounding=_GROUNDED if grounded else _UNGROUNDED
    )


def _documents(chunks: list[Chunk]) -> str:
    """`<documents>` with one `<document>` per source file, chunks in their original order."""
    by_source: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_source.setdefault(chunk.source, []).append(chunk)
    parts = ["<documents>"]
    for index, (source, items) in enumerate(by_source.items(), 1):
        lines, heading = [], None
        for chunk in items:
            if chunk.heading and chunk.heading != heading:
                lines.append(f"## {chunk.heading}")
                heading = chunk.heading
            lines.append(chunk.text.strip())
        body = "\n\n".join(lines)
        parts.append(f'<document index="{index}">\n<source>{source}</source>\n<document_content>\n{body}\n</document_content>\n</document>')
    parts.append("</documents>")
    return "\n".join(parts)


def _outline_text(outline: Outline) -> str:
    lines = ["<outline>", f"Course: {outline.title}"]
    if outline.description:
        lines.append(f"Description: {outline.description}")
    lines.append("Objectives:")
    lines += [f"- {o.id} [{o.bloom_level.value}] {o.text}" for o in outline.objectives]
    for module in outline.modules:
        lines.append(f"Module {module.id}: {module.title}" + (f". {module.summary}" if module.summary else ""))
        for lesson in module.lessons:
            ids = ", ".join(lesson.objective_ids) or "none"
            lines.append(f"  Lesson {lesson.id}: {lesson.title}" + (f". {lesson.summary}" if lesson.summary else "") + f" (objectives: {ids})")
    lines.append("</outline>")
    return "\n".join(lines)


def _objective_list(outline: Outline, ids: list[str]) -> str:
    by_id = {o.id: o for o in outline.objectives}
    return "; ".join(f"{i} ({by_id[i].bloom_level.value}): {by_id[i].text}" for i in ids if i in by_id) or "none listed"


def _outline_task(request: CourseRequest, grounded: bool) -> str:
    quotes = (
        " First collect in evidence_quotes the passages of the documents the plan rests on, and list in coverage_gaps what the topic needs that the documents do not cover."
        if grounded
        else ""
    )
    return (
        f'Plan the course "{request.topic}" for a {request.level.value} learner.{quotes} '
        "Write one to three objectives per module following the objective rules. Give every lesson a title, a one-sentence summary "
        "and the ids of the objectives it teaches; every objective is taught by at least one lesson. Order the modules and lessons "
        f"from foundations to application. Plan exactly {request.modules} modules with exactly {request.lessons_per_module} lessons per module. "
        f"Answer by calling {OUTLINE_TOOL.name}."
    )


def _lesson_task(outline: Outline, module: ModulePlan, plan: LessonPlan, grounded: bool) -> str:
    plans = [p for _, p in outline.lesson_plans()]
    position = next(i for i, p in enumerate(plans) if p.id == plan.id)
    neighbours = []
    if position > 0:
        neighbours.append(f'the previous lesson is "{plans[position - 1].title}"')
    if position + 1 < len(plans):
        neighbours.append(f'the next is "{plans[position + 1].title}"')
    context = f" For continuity, {' and '.join(neighbours)}; do not repeat their content." if neighbours else ""
    quotes = (
        " First write, between <quotes> and </quotes>, the verbatim sentences from the documents this lesson relies on, one per line "
        "(leave it empty if none apply); then write the lesson."
        if grounded
        else ""
    )
    summary = f" Summary: {plan.summary}" if plan.summary else ""
    return (
        f'Write lesson {plan.id}, "{plan.title}", of module {module.id}, "{module.title}".{summary} '
        f"It teaches these objectives: {_objective_list(outline, plan.objective_ids)}.{context}{quotes} "
        "Follow the lesson template; aim for 900 to 1,500 words."
    )


def _lessons_block(lessons: list[Lesson]) -> str:
    items = [f'<lesson id="{l.id}" title="{l.title}">\n{l.markdown}\n</lesson>' for l in lessons]
    return "<lessons>\n" + "\n".join(items) + "\n</lessons>"


def _course_summary(lessons: list[Lesson]) -> str:
    """Key points of every lesson: enough for exam and flashcards without resending whole lessons."""
    items = []
    for lesson in lessons:
        points = "\n".join(f"- {p}" for p in lesson.key_points) or lesson.markdown[:800]
        items.append(f'<lesson id="{lesson.id}" module="{lesson.module_id}" title="{lesson.title}">\n{points}\n</lesson>')
    return "<course_summary>\n" + "\n".join(items) + "\n</course_summary>"


def _quiz_task(request: CourseRequest, outline: Outline, module: ModulePlan) -> str:
    own = list(dict.fromkeys(i for lesson in module.lessons for i in lesson.objective_ids))
    index = [m.id for m in outline.modules].index(module.id)
    earlier = list(dict.fromkeys(i for m in outline.modules[:index] for lesson in m.lessons for i in lesson.objective_ids))
    spacing = f" About one question in five revisits an objective of an earlier module ({', '.join(earlier)})." if earlier else ""
    return (
        f'Write the quiz for module "{module.title}" following the item-writing rules. Use the lessons above as what was taught and '
        f"draw distractors from their common mistakes. Assess every objective of this module at least once: {_objective_list(outline, own)}."
        f"{spacing} Write exactly {request.questions_per_quiz} questions. Set module_id to {module.id}. Answer by calling {QUIZ_TOOL.name}."
    )


def _exam_task(request: CourseRequest, outline: Outline) -> str:
    ids = [o.id for o in outline.objectives]
    return (
        "Write the practice exam over the whole course following the item-writing rules. Spread the items across modules in proportion "
        f"to each module's number of objectives, assess every objective at least once ({', '.join(ids)}), and prefer items that apply "
        f"ideas to new situations over recall. Write exactly {request.exam_questions} questions. Answer by calling {EXAM_TOOL.name}."
    )


def _flashcard_count(request: CourseRequest) -> int:
    return min(60, max(8, request.lesson_count * 4))


def _flashcards_task(request: CourseRequest) -> str:
    return (
        "Write flashcards for spaced review of the whole course, following the flashcard rules, spread over every lesson. "
        f"Write {_flashcard_count(request)} flashcards. Answer by calling {FLASHCARDS_TOOL.name}."
    )


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
# Errors: what is retried, and the one sentence the user sees


class _StreamCut(Exception):
    """The stream ended without `message_stop` (a proxy or the network dropped it)."""


@dataclass(frozen=True)
class _Failure:
    retryable: bool
    reason: str  # for Retrying events: "Rate limited by the API", …
    error: CourseGenError  # raised at once when not retryable, or when the retry budget is spent
    retry_after: float | None = None


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(secrets.redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _retry_after(headers: Any) -> float | None:
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                when = email.utils.parsedate_to_datetime(value)
                return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, AttributeError):
        pass
    return None


def _network_reason(exc: BaseException) -> str:
    """A plain phrase for why a connection failed, from the exception chain."""
    text = ""
    current: BaseException | None = exc
    while current is not None:
        text += f" {type(current).__name__} {current}"
        current = current.__cause__ or current.__context__
    text = text.lower()
    if "timeout" in text or "timed out" in text:
        return "the request timed out"
    if "refused" in text:
        return "the connection was refused"
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text or "resolve" in text:
        return "the server name could not be found"
    if "certificate" in text or "ssl" in text:
        return "the secure connection could not be set up"
    return "the connection failed"


_UNKNOWN_MODEL = re.compile(r"\bmodel\b.{0,80}\b(not found|does not exist|invalid|unknown|not available)|\b(invalid|unknown) model\b", re.I)


def classify(exc: Exception, model: str) -> _Failure | None:
    """How to handle a failed request; None for exceptions that are bugs, not API failures."""
    import anthropic
    import httpx2

    network = CourseGenError(ErrorKind.NETWORK, NETWORK_MESSAGE, resumable=True)
    if isinstance(exc, _StreamCut):
        return _Failure(True, "Connection lost", network)
    if isinstance(exc, (anthropic.APITimeoutError, httpx2.TimeoutException)):
        return _Failure(True, "The API did not answer in time", network)
    if isinstance(exc, httpx2.TransportError):
        return _Failure(True, "Connection lost", network)
    if isinstance(exc, anthropic.APIConnectionError):
        reachable = _network_reason(exc) == "the connection failed"
        return _Failure(True, "Connection lost" if reachable else "Could not reach the API", network)
    if isinstance(exc, ValueError) and str(exc).startswith("Unable to parse tool parameter JSON"):
        return _Failure(True, "Claude's answer arrived garbled", CourseGenError(ErrorKind.INVALID_OUTPUT, "Claude's answers kept arriving garbled; Resume the job to try again."))
    if not isinstance(exc, anthropic.APIStatusError):
        return None

    status, kind = exc.status_code, str(exc.type or "")
    detail = str(exc.api_message or "")
    wait = _retry_after(exc.response.headers) if status >= 400 else None
    if kind == "overloaded_error" or status == 529:
        error = CourseGenError(ErrorKind.OVERLOADED, "Claude is overloaded right now; Resume the job in a few minutes.", resumable=True)
        return _Failure(True, "Claude is overloaded", error, wait)
    if kind == "rate_limit_error" or status == 429:
        error = CourseGenError(
            ErrorKind.RATE_LIMIT, "The API kept refusing requests because of your rate limit; lower Concurrency or wait a minute, then Resume.", resumable=True
        )
        return _Failure(True, "Rate limited by the API", error, wait)
    if status in (401, 403) or kind in ("authentication_error", "permission_error"):
        return _Failure(False, "", CourseGenError(ErrorKind.AUTH, AUTH_MESSAGE, resumable=True))
    if status == 402 or kind == "billing_error" or "credit balance" in detail.lower():
        message = "Your Anthropic account has run out of credit; add credit in the Anthropic Console, then Resume."
        return _Failure(False, "", CourseGenError(ErrorKind.BILLING, message, resumable=True))
    if status == 404 or kind == "not_found_error" or (status == 400 and _UNKNOWN_MODEL.search(detail)):
        return _Failure(False, "", CourseGenError(ErrorKind.BAD_REQUEST, f"The model '{_short(model, 60)}' is not available; choose another model."))
    if status == 413 or kind == "request_too_large":
        message = "The study material is too large to send in one request; remove some files and try again."
        return _Failure(False, "", CourseGenError(ErrorKind.BAD_REQUEST, message))
    if status < 300 or status in (408, 409) or status >= 500 or kind in ("api_error", "timeout_error"):
        reason = "The API is temporarily unavailable" if status == 503 else "The API had a temporary error"
        error = CourseGenError(ErrorKind.SERVER, "The API kept failing with server errors; Resume the job in a few minutes.", resumable=True)
        return _Failure(True, reason, error, wait)
    message = f"The API refused the request ({_short(detail) or f'status {status}'}); check the model and settings, then try again."
    return _Failure(False, "", CourseGenError(ErrorKind.BAD_REQUEST, message))


# ---------------------------------------------------------------------------------------------
# The generator


def _retirement_date(model: str) -> str | None:
    """The SDK's own table of deprecated models (the SDK would only warn on stderr)."""
    try:
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
    import anthropic
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
            ctx, OUTLINE_TOOL, "outline", self._system(ctx, None), prefix, _outline_task(request, grounded),
            lambda a: _outline_problems(a.outline, request),
        )
        gaps = [_short(gap, 80) for gap in answer.coverage_gaps if gap.strip()][:3]
        if grounded and gaps:
            ctx.on_note(f"Your material does not cover everything the course needs (for example: {'; '.join(gaps)}).")
        return answer.outline

    async def lesson(self, ctx: GenerationContext, module: ModulePlan, plan: LessonPlan, on_text: TextSink) -> Lesson:
        self._notes(ctx)
        outline = self._outline(ctx)
        grounded = not ctx.material.is_empty
        query = " ".join([module.title, plan.title, plan.summary, _objective_list(outline, plan.objective_ids)])
        chunks = self._chunks_for(ctx, query)
        content = [*self._documents_turn(ctx, chunks), {"type": "text", "text": _lesson_task(outline, module, plan, grounded)}]
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
        prefix = [*self._documents_turn(ctx, self._chunks_for(ctx, query)), {"type": "text", "text": _lessons_block(lessons)}]
        count = ctx.request.questions_per_quiz
        answer = await self._structured(
            ctx, QUIZ_TOOL, f"the quiz for “{module.title}”", self._system(ctx, outline), prefix, _quiz_task(ctx.request, outline, module),
            lambda a: _question_problems(a.quiz.questions, count, outline),
        )
        quiz = answer.quiz
        questions = [q.model_copy(update={"id": f"{module.id}-q{i}"}) for i, q in enumerate(quiz.questions[:count], 1)]
        return quiz.model_copy(update={"module_id": module.id, "questions": questions})

    async def exam(self, ctx: GenerationContext, lessons: list[Lesson]) -> Exam:
        self._notes(ctx)
        outline = self._outline(ctx)
        query = " ".join([outline.title, *(o.text for o in outline.objectives)])
        prefix = [*self._documents_turn(ctx, self._chunks_for(ctx, query)), {"type": "text", "text": _course_summary(lessons)}]
        count = ctx.request.exam_questions
        answer = await self._structured(
            ctx, EXAM_TOOL, "the practice exam", self._system(ctx, outline), prefix, _exam_task(ctx.request, outline),
            lambda a: _question_problems(a.exam.questions, count, outline),
        )
        questions = [q.model_copy(update={"id": f"exam-q{i}"}) for i, q in enumerate(answer.exam.questions[:count], 1)]
        return answer.exam.model_copy(update={"questions": questions})

    async def flashcards(self, ctx: GenerationContext, lessons: list[Lesson]) -> FlashcardDeck:
        self._notes(ctx)
        outline = self._outline(ctx)
        prefix = [{"type": "text", "text": _course_summary(lessons)}]
        module_ids = {m.id for m in outline.modules}
        answer = await self._structured(
            ctx, FLASHCARDS_TOOL, "the flashcards", self._system(ctx, outline), prefix, _flashcards_task(ctx.request),
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
        model = _short(ctx.request.model, 60)
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
        blocks: list[dict[str, Any]] = [{"type": "text", "text": _rules(ctx.request, not ctx.material.is_empty)}]
        if not ctx.material.is_empty and not self._large(ctx):
            blocks.append({"type": "text", "text": _documents(list(ctx.material.chunks)), "cache_control": CACHE})
        if outline is not None:
            blocks.append({"type": "text", "text": _outline_text(outline)})
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
        return [{"type": "text", "text": _documents(chunks)}]

    def _params(self, kind: str, system: list[dict[str, Any]], messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {"model": self.model, "max_tokens": MAX_TOKENS[kind], "system": system, "messages": messages, **extra}

    # -- structured answers --------------------------------------------------------------------

    async def _structured(
        self,
        ctx: GenerationContext,
        tool: _Tool,
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
            params = self._params(kind, system, messages, tools=list(_tool_params()), tool_choice={"type": "tool", "name": tool.name})
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
                    problems = _describe(exc)
            if not problems:
                return answer
            log.warning("%s failed validation (attempt %d): %s", what, attempt, "; ".join(problems)[:500])
            if attempt == 2:
                break
            messages = messages + _repair_turns(tool, block, problems)
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
            raise _StreamCut()
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
# Checks beyond the models' own validators, phrased for Claude to fix


def _describe(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()[:15]]


def _outline_problems(outline: Outline, request: CourseRequest) -> list[str]:
    problems = []
    if len(outline.modules) != request.modules:
        problems.append(f"modules: plan exactly {request.modules} modules, not {len(outline.modules)}.")
    for module in outline.modules:
        if len(module.lessons) != request.lessons_per_module:
            problems.append(f"module {module.id}: give it exactly {request.lessons_per_module} lessons, not {len(module.lessons)}.")
    ids = [o.id for o in outline.objectives]
    if not ids:
        problems.append("objectives: write at least one objective per module.")
    if len(set(ids)) != len(ids):
        problems.append("objectives: every objective needs its own id.")
    if len({m.id for m in outline.modules}) != len(outline.modules):
        problems.append("modules: every module needs its own id.")
    for _, lesson in outline.lesson_plans():
        unknown = [i for i in lesson.objective_ids if i not in ids]
        if unknown:
            problems.append(f"lesson {lesson.id}: objective ids {', '.join(unknown)} are not in objectives.")
    return problems


def _question_problems(questions: list[Any], count: int, outline: Outline) -> list[str]:
    problems = []
    if len(questions) < count:
        problems.append(f"questions: write exactly {count}, not {len(questions)}.")
    ids = {o.id for o in outline.objectives}
    for index, question in enumerate(questions):
        if question.objective_id is not None and question.objective_id not in ids:
            problems.append(f"questions.{index}.objective_id: '{question.objective_id}' is not an objective id; use one of {', '.join(sorted(ids))}.")
    return problems


def _repair_turns(tool: _Tool, block: Any, problems: list[str]) -> list[dict[str, Any]]:
    """The failed answer and the problems found, as the next two turns of the conversation."""
    listing = "\n".join(f"- {p}" for p in problems)
    ask = f"Call {tool.name} again with the complete corrected answer (all fields, not only the fixed ones)."
    if block is None:
        return [
            {"role": "assistant", "content": [{"type": "text", "text": "(no tool call)"}]},
            {"role": "user", "content": [{"type": "text", "text": f"Problems:\n{listing}\n{ask}"}]},
        ]
    raw = block.input if isinstance(block.input, dict) else {"value": block.input}
    return [
        {"role": "assistant", "content": [{"type": "tool_use", "id": block.id, "name": block.name, "input": raw}]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": block.id, "is_error": True, "content": f"The answer has these problems:\n{listing}"},
                {"type": "text", "text": ask},
            ],
        },
    ]


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
    import anthropic

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
        return f"Could not reach the API: {_network_reason(exc)}."
    except anthropic.APIStatusError as exc:
        failure = classify(exc, DEFAULT_MODEL)
        if failure is not None and failure.error.kind == ErrorKind.BILLING:
            return "The key works, but the account has run out of credit."
        if exc.status_code in (404, 429, 529) or (failure is not None and failure.error.kind == ErrorKind.BAD_REQUEST):
            return "The key works."  # it passed authentication; the refusal is about something else
        return f"The key could not be checked right now (the API answered {exc.status_code}); try again later."
    finally:
        await client.close()


__all__ = ["ClaudeGenerator", "TEXT_RESTART", "check_key", "classify", "list_models", "split_quotes"]

