"""Plan and estimate a job before it starts: API calls, tokens, a cost range and a time range.

No Messages call is made. The shape of a job is known in advance (one outline call, one call per
lesson, one quiz per module, the exam and the flashcards), and so is most of every prompt: the
cached rules, the tool definitions, the material (counted with `messages.count_tokens` when a
key is set, estimated from characters otherwise) and the outline. Prompt caching is modelled the
way the generator lays its prompts out (rules → documents → outline, one shared prefix for the
lessons and one for the structured parts). What is not known in advance is how much Claude
writes: that is learned from the history (`call_usage`, every call of every finished job,
tagged with the kind of part it wrote), with built-in defaults for a first job. The width of
the cost range comes from how far this model's figures were off for past jobs.
"""

from __future__ import annotations

import json
import logging
import math
import os
import statistics
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from coursegen_desktop.core import pricing
from coursegen_desktop.core.eta import DEFAULT_SECONDS_PER_UNIT
from coursegen_desktop.core.material import Material, load_material
from coursegen_desktop.core.models import CourseRequest, GeneratorKind, JobStatus
from coursegen_desktop.core.steps import STEP_NAMES
from coursegen_desktop.core.store import Store

log = logging.getLogger(__name__)

KINDS = ("outline", "lesson", "quiz", "exam", "flashcards")
# Output tokens of one call: fixed part + per unit (lessons of the outline, questions, cards).
# Defaults for a first job, from Claude's typical answers to these prompts.
DEFAULT_OUTPUT: dict[str, tuple[float, float]] = {
    "outline": (400.0, 90.0),
    "lesson": (0.0, 2100.0),
    "quiz": (150.0, 170.0),
    "exam": (150.0, 170.0),
    "flashcards": (50.0, 45.0),
}
# Input tokens of each call besides rules, tools, documents and outline (task, lessons context).
TASK_TOKENS = {"outline": 220, "lesson": 180, "quiz": 250, "exam": 200, "flashcards": 80}
SUMMARY_TOKENS_PER_LESSON = 70  # key points of each lesson, sent with the exam and the flashcards
# The smallest prefix a model caches, in practice (ENVIRONMENT.md): Sonnet ~2,048, Opus/Haiku 4,096.
CACHE_MINIMUM = {"sonnet": 2048, "opus": 4096, "haiku": 4096}
DEFAULT_SPREAD = (0.8, 1.5)  # cost range around the estimate with no history (×1.9 wide)
MAX_WIDTH = 1.9  # the range is never wider than this factor
HISTORY_JOBS = 20
SECONDS_SPREAD = (0.75, 1.5)
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Plan:
    calls: int
    input_tokens: int  # every input token, cached ones included
    output_tokens: int
    cost_low: float
    cost_high: float
    seconds_low: float
    seconds_high: float
    basis: str  # "history" when past jobs were used, else "defaults"

    def to_json(self) -> dict[str, object]:
        """The `coursegen plan --json` contract."""
        return {
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": {"low": round(self.cost_low, 4), "high": round(self.cost_high, 4)},
            "seconds": {"low": round(self.seconds_low, 1), "high": round(self.seconds_high, 1)},
            "basis": self.basis,
        }

    def label(self) -> str:
        """"≈ 14 calls · $0.21–0.34 · 2–4 min" (offline: "No API calls · free · 5–10 s")."""
        duration = format_seconds(self.seconds_low, self.seconds_high)
        if self.calls == 0:
            return f"No API calls · free · {duration}"
        return f"≈ {self.calls} calls · ${self.cost_low:.2f}–{self.cost_high:.2f} · {duration}"


def format_seconds(low: float, high: float) -> str:
    if high < 90:
        return f"{max(1, round(low))}–{max(2, round(high))} s"
    return f"{max(1, math.floor(low / 60))}–{max(2, math.ceil(high / 60))} min"


# ---------------------------------------------------------------------------------------------
# The shape of a job


def flashcard_count(request: CourseRequest) -> int:
    from coursegen_desktop.core.generators.claude_prompts import _flashcard_count

    return _flashcard_count(request)


def units(kind: str, request: CourseRequest) -> int:
    """What one call's output grows with: lessons (outline), questions (quiz, exam), cards."""
    return {
        "outline": request.lesson_count,
        "lesson": 1,
        "quiz": request.questions_per_quiz,
        "exam": request.exam_questions,
        "flashcards": flashcard_count(request),
    }[kind]


def call_counts(request: CourseRequest) -> dict[str, int]:
    return {"outline": 1, "lesson": request.lesson_count, "quiz": request.modules, "exam": 1, "flashcards": 1}


@dataclass(frozen=True)
class _Call:
    kind: str
    uncached: float
    cache_write: float
    cache_read: float
    output: float

    @property
    def input(self) -> float:
        return self.uncached + self.cache_write + self.cache_read


@dataclass(frozen=True)
class _Prompt:
    """Token sizes of the fixed parts of this job's prompts."""

    rules: float
    tools: float
    documents: float  # in the cached system prompt
    per_call_documents: float  # chosen passages in each request when the material is too large
    outline: float


def _prompt_sizes(request: CourseRequest, material_tokens: int) -> _Prompt:
    from coursegen_desktop.core.generators.anthropic import MATERIAL_BUDGET_CHARS, SELECTED_CHARS
    from coursegen_desktop.core.generators.claude_prompts import rules, tool_params

    grounded = material_tokens > 0
    large = material_tokens * CHARS_PER_TOKEN > MATERIAL_BUDGET_CHARS
    tools = len(json.dumps(list(tool_params()), separators=(",", ":"))) / CHARS_PER_TOKEN
    outline = 40 + request.modules * 65 + request.lesson_count * 30
    documents = 0.0 if large or not grounded else material_tokens * 1.02 + 30
    per_call = SELECTED_CHARS / CHARS_PER_TOKEN if large else 0.0
    return _Prompt(len(rules(request, grounded)) / CHARS_PER_TOKEN, tools, documents, per_call, outline)


def _cache_minimum(model: str) -> int:
    return next((tokens for family, tokens in CACHE_MINIMUM.items() if family in model), CACHE_MINIMUM["sonnet"])


def _calls(request: CourseRequest, material_tokens: int, output: dict[str, tuple[float, float]]) -> list[_Call]:
    """Every call of the job with its input split as the API bills it (prompt cache included)."""
    p = _prompt_sizes(request, material_tokens)
    minimum = _cache_minimum(request.model)
    cached: set[float] = set()  # prefix sizes written so far

    def call(kind: str, prefixes: list[float], total: float) -> _Call:
        cacheable = [n for n in prefixes if n >= minimum]
        read = max((n for n in cacheable if n in cached), default=0.0)
        written = max(cacheable, default=0.0)
        cached.update(cacheable)
        write = max(0.0, written - read)
        fixed, per_unit = output[kind]
        return _Call(kind, max(1.0, total - read - write), write, read, fixed + per_unit * units(kind, request))

    lesson_out = output["lesson"][0] + output["lesson"][1]
    structured = p.tools + p.rules + p.documents  # the breakpoint after the documents
    calls = [call("outline", [structured], structured + p.per_call_documents + TASK_TOKENS["outline"])]
    lesson_prefix = p.rules + p.documents + p.outline
    calls += [call("lesson", [lesson_prefix], lesson_prefix + p.per_call_documents + TASK_TOKENS["lesson"]) for _ in range(request.lesson_count)]
    with_outline = structured + p.outline
    quiz_input = with_outline + p.per_call_documents + request.lessons_per_module * lesson_out + TASK_TOKENS["quiz"]
    calls += [call("quiz", [structured, with_outline], quiz_input) for _ in range(request.modules)]
    summary = request.lesson_count * SUMMARY_TOKENS_PER_LESSON
    calls.append(call("exam", [structured, with_outline], with_outline + p.per_call_documents + summary + TASK_TOKENS["exam"]))
    calls.append(call("flashcards", [structured, with_outline], with_outline + summary + TASK_TOKENS["flashcards"]))
    return calls


def _cost(model: str, calls: Iterable[_Call]) -> float:
    price, _known = pricing.price_for(model)
    total = sum(c.uncached * price.input + c.cache_write * price.cache_write + c.cache_read * price.cache_read + c.output * price.output for c in calls)
    return total / 1_000_000


# ---------------------------------------------------------------------------------------------
# What the history says


@dataclass(frozen=True)
class _Learned:
    output: dict[str, tuple[float, float]]
    spread: tuple[float, float] | None  # (low, high) factor from past jobs, None without any
    jobs: int


def _learn(store: Store | None) -> _Learned:
    """Output per unit of each kind of call, and how far estimates were off for past jobs."""
    if store is None:
        return _Learned(dict(DEFAULT_OUTPUT), None, 0)
    rows = store.call_usage(limit=4000)
    if not rows:
        return _Learned(dict(DEFAULT_OUTPUT), None, 0)
    requests: dict[str, CourseRequest | None] = {}
    per_unit: dict[str, list[float]] = {kind: [] for kind in KINDS}
    by_job: dict[str, list[tuple]] = {}
    for row in rows:
        job_id, kind = row[0], row[1]
        if job_id not in requests:
            requests[job_id] = _request_of(store, job_id)
        request = requests[job_id]
        if request is None or kind not in per_unit:
            continue
        fixed = DEFAULT_OUTPUT[kind][0]
        per_unit[kind].append(max(0.0, row[5] - fixed) / max(1, units(kind, request)))
        by_job.setdefault(job_id, []).append(row)
    output = {kind: (DEFAULT_OUTPUT[kind][0], statistics.median(values) if values else DEFAULT_OUTPUT[kind][1]) for kind, values in per_unit.items()}
    ratios = []
    for job_id, job_rows in list(by_job.items())[:HISTORY_JOBS * 3]:
        request = requests[job_id]
        if request is None or not _complete_job(store, job_id, request, job_rows):
            continue
        predicted = _cost(request.model, _calls(request, job_rows[0][3], output))
        actual = sum(row[8] for row in job_rows)
        if predicted > 0 and actual > 0:
            ratios.append(actual / predicted)
        if len(ratios) >= HISTORY_JOBS:
            break
    spread = None
    if ratios:
        ratios.sort()
        low = ratios[int(0.1 * (len(ratios) - 1))]
        high = ratios[math.ceil(0.9 * (len(ratios) - 1))]
        spread = (min(low * 0.95, 0.88), max(high * 1.05, 1.15))
    return _Learned(output, spread, len(ratios))


def _request_of(store: Store, job_id: str) -> CourseRequest | None:
    try:
        return store.get_job(job_id).request
    except Exception:  # noqa: BLE001 - a deleted or damaged job simply teaches nothing
        return None


def _complete_job(store: Store, job_id: str, request: CourseRequest, rows: list[tuple]) -> bool:
    """A finished generation whose every call is on record (not a regenerate job)."""
    if store.regeneration(job_id) is not None or store.get_job(job_id).status != JobStatus.COMPLETED:
        return False
    kinds = [row[1] for row in rows]
    return all(kinds.count(kind) >= count for kind, count in call_counts(request).items())


def _seconds(request: CourseRequest, store: Store | None) -> tuple[float, bool]:
    generator = request.generator.value
    learned = store.seconds_per_unit(generator) if store is not None else {}
    defaults = DEFAULT_SECONDS_PER_UNIT.get(generator, DEFAULT_SECONDS_PER_UNIT["claude"])
    job_units = {"lessons": request.lesson_count, "quizzes": request.modules}
    total = sum(learned.get(step, defaults[step]) * job_units.get(step, 1) for step in STEP_NAMES)
    return total, bool(learned)


# ---------------------------------------------------------------------------------------------
# Entry points


def make_plan(request: CourseRequest, material_tokens: int, store: Store | None = None) -> Plan:
    """The plan for a request whose material has `material_tokens` tokens (0 for none)."""
    seconds, timed = _seconds(request, store)
    seconds_low, seconds_high = seconds * SECONDS_SPREAD[0], seconds * SECONDS_SPREAD[1]
    if request.generator == GeneratorKind.OFFLINE:
        return Plan(0, 0, 0, 0.0, 0.0, seconds_low, seconds_high, "history" if timed else "defaults")
    learned = _learn(store)
    calls = _calls(request, material_tokens, learned.output)
    cost = _cost(request.model, calls)
    low, high = learned.spread or DEFAULT_SPREAD
    if high / low > MAX_WIDTH:  # keep the range useful: narrow it around its middle
        middle = math.sqrt(low * high)
        low, high = middle / math.sqrt(MAX_WIDTH), middle * math.sqrt(MAX_WIDTH)
    return Plan(
        calls=len(calls),
        input_tokens=round(sum(c.input for c in calls)),
        output_tokens=round(sum(c.output for c in calls)),
        cost_low=cost * low,
        cost_high=cost * high,
        seconds_low=seconds_low,
        seconds_high=seconds_high,
        basis="history" if learned.jobs or timed else "defaults",
    )


_material_cache: dict[tuple, tuple[int, int | None]] = {}  # files and mtimes -> (chars, counted tokens)
_cache_lock = threading.Lock()


def _files_key(paths: tuple[Path, ...], model: str) -> tuple:
    stamps = []
    for path in paths:
        try:
            info = path.stat()
            stamps.append((str(path), info.st_mtime_ns, info.st_size))
        except OSError:
            stamps.append((str(path), 0, 0))
    return (model, tuple(stamps))


def plan_request(request: CourseRequest, store: Store | None = None, *, api_key: str | None = None, base_url: str | None = None) -> Plan:
    """Read the material (cached per file version), count its tokens with the API when a key is
    given and Claude will write the course, else estimate them from characters; then plan.
    Blocking: call it off the GUI thread."""
    tokens = 0
    if request.material:
        key = _files_key(request.material, request.model if api_key else "")
        with _cache_lock:
            cached = _material_cache.get(key)
        if cached is None:
            material = load_material(request.material)
            counted = None
            if api_key and request.generator == GeneratorKind.CLAUDE:
                counted = count_material_tokens(request.model, material, api_key, base_url)
            cached = (material.char_count, counted)
            with _cache_lock:
                _material_cache[key] = cached
        chars, counted = cached
        tokens = counted if counted is not None else chars // CHARS_PER_TOKEN
    return make_plan(request, tokens, store)


def count_material_tokens(model: str, material: Material, api_key: str, base_url: str | None = None) -> int | None:
    """The material's size in tokens from `messages.count_tokens` (free, no Messages call);
    None when the API cannot be asked (offline, a gateway without the endpoint)."""
    from coursegen_desktop.core.generators.anthropic import MATERIAL_BUDGET_CHARS
    from coursegen_desktop.core.generators.claude_prompts import documents
    from coursegen_desktop.core.generators.claude_sdk import sdk

    if material.is_empty or material.char_count > MATERIAL_BUDGET_CHARS:
        return None  # large material is sent as chosen passages of a fixed size: nothing to count
    try:
        anthropic = sdk()
        client = anthropic.Anthropic(api_key=api_key, base_url=base_url or os.environ.get("ANTHROPIC_BASE_URL") or None, max_retries=1, timeout=15.0)
        try:
            result = client.messages.count_tokens(model=model, messages=[{"role": "user", "content": documents(list(material.chunks))}])
        finally:
            client.close()
        return int(result.input_tokens)
    except Exception as exc:  # noqa: BLE001 - the estimate falls back to characters
        log.info("count_tokens failed (%s); estimating the material from characters", type(exc).__name__)
        return None
