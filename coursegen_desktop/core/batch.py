"""Bulk courses with Message Batches: half the price, results within 24 h (usually within an hour).

Every topic is an ordinary job in the history, with status *batched* while its parts are written
in rounds: each round is one Message Batch of every part whose inputs exist (outlines first, then
lessons, then quizzes, exam and flashcards), sent exactly as the Claude generator would stream it
(same prompts, strict tools, the cached material prefix with the 1-hour TTL, since a batch may
take longer than five minutes). Each request's `custom_id` (job id, part kind, position; at
most 64 characters) maps its result back to the job and part, through `batch_store`.

`poll()` advances one step and is safe to call from any process at any time (a file lock keeps
two pollers apart): while a batch is processing it only asks for its state; once it has ended,
its results are judged with `tolerance` and saved as parts, and the next round is submitted. A
part whose request errored, expired or could not be used goes into the next round again, twice
at most; after that, and for every part when no round is left, the job is finished by the
ordinary pipeline, which writes whatever is still missing with normal calls. A saved part is
never requested again, so nothing is paid for twice, even across restarts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout

from coursegen_desktop.core import pipeline, pricing, secrets
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.batch_store import SUCCEEDED, BatchRow, BatchStore, PartRequest
from coursegen_desktop.core.errors import BadInput, CourseGenError, NotFound
from coursegen_desktop.core.events import Progress
from coursegen_desktop.core.generators.base import GenerationContext
from coursegen_desktop.core.generators.claude_prompts import EXAM_TOOL, FLASHCARDS_TOOL, OUTLINE_TOOL, QUIZ_TOOL
from coursegen_desktop.core.generators.course_prompts import PromptParts
from coursegen_desktop.core.generators.lesson_text import make_lesson
from coursegen_desktop.core.generators.tolerance import Verdict, judge_exam, judge_flashcards, judge_outline, judge_quiz
from coursegen_desktop.core.material import Material, load_material
from coursegen_desktop.core.models import CourseRequest, GeneratorKind, JobRecord, JobStatus, Usage
from coursegen_desktop.core.store import SavedParts, Store

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

    from coursegen_desktop.core.generators.anthropic import ClaudeGenerator

log = logging.getLogger(__name__)

BATCH_DISCOUNT = 0.5
CACHE_1H = {"type": "ephemeral", "ttl": "1h"}
ONE_HOUR_WRITE = 2.0  # 1-hour cache writes cost twice the input price (5-minute ones 1.25x)
MAX_BATCH_TRIES = 2
ROUNDS = {"outline": "outlines", "lesson": "lessons", "quiz": "quizzes, exam and flashcards", "exam": "quizzes, exam and flashcards", "flashcards": "quizzes, exam and flashcards"}
ROUND_PERCENT = {"outlines": 5.0, "lessons": 15.0, "quizzes, exam and flashcards": 70.0}
_LETTER = {"outline": "o", "lesson": "l", "quiz": "q", "exam": "e", "flashcards": "f"}
_PART_KEYS = {"outline": "outline", "exam": "exam", "flashcards": "deck"}  # as the pipeline saves them (store.saved_parts)
_TOOLS = {"outline": OUTLINE_TOOL, "quiz": QUIZ_TOOL, "exam": EXAM_TOOL, "flashcards": FLASHCARDS_TOOL}


def batch_cost(model: str, counts: Any) -> float:
    """Cost of one batch result: half the standard price, 1-hour cache writes at 2x input."""
    price, _known = pricing.price_for(model)

    def count(name: str) -> int:
        return int(getattr(counts, name, 0) or 0)

    total = (
        count("input_tokens") * price.input
        + count("output_tokens") * price.output
        + count("cache_creation_input_tokens") * price.input * ONE_HOUR_WRITE
        + count("cache_read_input_tokens") * price.cache_read
    )
    return round(total / 1_000_000 * BATCH_DISCOUNT, 6)


@dataclass
class Planned:
    part: PartRequest
    params: dict[str, Any]


@dataclass
class PollReport:
    """What one `poll()` did, for the CLI and the app's status line."""

    state: str  # waiting, submitted, idle, busy
    batch_id: str | None = None
    round: str | None = None
    collected: int = 0
    finished: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        done = f" {len(self.finished)} course(s) finished." if self.finished else ""
        if self.state == "busy":
            return "Another CourseGen is polling the batches right now; try again in a moment."
        if self.state == "waiting":
            return f"Batch {self.batch_id} ({self.round}) is still being processed.{done}"
        got = f"{self.collected} result(s) saved; " if self.collected else ""
        if self.state == "submitted":
            return f"{got}submitted batch {self.batch_id} ({self.round}).{done}"
        return f"{got}no batch is running.{done}".capitalize()


class BatchRunner:
    """Submits and polls the bulk-course batches of one history database."""

    def __init__(self, store: Store, *, api_key: str | None = None, base_url: str | None = None) -> None:
        self.store = store
        self.batches = BatchStore(store)
        key = api_key or secrets.get_api_key()
        self._api_key = secrets.Secret(key) if key else None
        self._base_url = base_url
        self._client: AsyncAnthropic | None = None
        self._material: dict[str, Material] = {}

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # -- public ---------------------------------------------------------------------------------

    def create_jobs(self, requests: Iterable[CourseRequest]) -> list[str]:
        """One batched job per request (Claude, status *batched*), written before anything is sent."""
        ids = []
        for request in requests:
            job = self.store.create_job(request.model_copy(update={"generator": GeneratorKind.CLAUDE}))
            self.batches.mark_batched(job.id)
            self._event(job.id, 0.0, "Batched: waiting for the first round.")
            ids.append(job.id)
        return ids

    async def submit(self, requests: Iterable[CourseRequest]) -> list[str]:
        """Create the jobs and submit the first round; returns the job ids."""
        self._require_key()
        ids = self.create_jobs(requests)
        await self.poll()
        return ids

    async def poll(self) -> PollReport:
        """Advance every batched job one step (see the module docstring)."""
        self._require_key()
        lock = FileLock(self.store.locks_dir / "batches.lock", is_singleton=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return PollReport("busy")
        try:
            return await self._poll()
        finally:
            lock.release(force=True)

    # -- one step -------------------------------------------------------------------------------

    async def _poll(self) -> PollReport:
        client = self._ensure_client()
        collected = 0
        open_batch = self.batches.open_batch()
        if open_batch is not None:
            batch = await self._api(client.messages.batches.retrieve(open_batch.id))
            if batch.processing_status != "ended":
                return PollReport("waiting", open_batch.id, open_batch.round)
            collected = await self._collect(open_batch)
        report = PollReport("idle", collected=collected)
        pending = self.batches.pending_jobs()
        planned: list[Planned] = []
        for job_id in self.batches.batched_jobs():
            if job_id in pending:
                continue
            try:
                job_plan = await self._plan_writing_exhausted(job_id)
            except CourseGenError as exc:  # its material is gone, the key was refused…: this job fails, the others go on
                pipeline.fail_before_start(self.store, job_id, exc, lambda event: None)
                report.failed.append(job_id)
                continue
            if job_plan:
                planned += job_plan
            elif await self._finish(job_id):
                report.finished.append(job_id)
            else:
                report.failed.append(job_id)
        if planned:
            report.state, report.batch_id, report.round = "submitted", *await self._submit(planned)
        return report

    async def _submit(self, planned: list[Planned]) -> tuple[str, str]:
        round_name = " + ".join(dict.fromkeys(ROUNDS[p.part.kind] for p in planned))
        requests = [{"custom_id": p.part.custom_id, "params": p.params} for p in planned]
        batch = await self._api(self._ensure_client().messages.batches.create(requests=requests))  # type: ignore[arg-type]
        self.batches.record_batch(batch.id, round_name, [p.part for p in planned])
        for job_id in dict.fromkeys(p.part.job_id for p in planned):
            kinds = {ROUNDS[p.part.kind] for p in planned if p.part.job_id == job_id}
            percent = min(ROUND_PERCENT[k] for k in kinds)
            self._event(job_id, percent, f"Batched: {' + '.join(sorted(kinds))} round submitted (batch {batch.id}).")
        log.info("submitted batch %s (%s): %d requests", batch.id, round_name, len(requests))
        return batch.id, round_name

    async def _collect(self, row: BatchRow) -> int:
        """Save the parts of an ended batch; every request gets its final state."""
        requests = self.batches.requests_of(row.id)
        states = dict.fromkeys(requests, "pending")
        saved = 0
        results = await self._api(self._ensure_client().messages.batches.results(row.id))
        async for item in results:
            part = requests.get(item.custom_id)
            if part is None or states.get(item.custom_id) != "pending":
                continue
            outcome = item.result.type
            job = self._job_or_none(part.job_id)
            if job is None:  # deleted from the history while its batch ran
                outcome = "canceled"
            elif outcome == "succeeded":
                message = item.result.message
                self.batches.add_usage(part.job_id, Usage(**_counts(message.usage), cost_usd=batch_cost(job.request.model, message.usage), requests=1))
                outcome = SUCCEEDED if self._save(job, part, message) else "invalid"
                saved += outcome == SUCCEEDED
            else:
                log.info("batch %s: %s %s of job %s %s", row.id, part.kind, part.key, part.job_id, outcome)
            states[item.custom_id] = outcome
            self.batches.set_state(row.id, item.custom_id, outcome)
        for custom_id, state in states.items():
            if state == "pending":  # no result line at all: counts as expired
                self.batches.set_state(row.id, custom_id, "expired")
        self.batches.end_batch(row.id)
        return saved

    # -- parts ----------------------------------------------------------------------------------

    async def _plan_writing_exhausted(self, job_id: str) -> list[Planned]:
        """The job's next batch requests; a part that failed in `MAX_BATCH_TRIES` batches is
        written at once with a normal call (standard price) so the rounds after it can go on."""
        while True:
            planned, exhausted = self._plan(job_id)
            if not exhausted:
                return planned
            for part in exhausted:
                await self._write_now(part)

    async def _write_now(self, part: PartRequest) -> None:
        from coursegen_desktop.core.generators.anthropic import ClaudeGenerator

        job = self.store.get_job(part.job_id)
        saved = self.store.saved_parts(job.id)
        ctx = self._context(job, saved)
        self._event(job.id, job.percent, f"Batched: the {part.kind} {part.key} failed in {MAX_BATCH_TRIES} batches; writing it now with a normal call.")
        generator = ClaudeGenerator(job.request, api_key=self._key(), base_url=self._base_url)
        ctx.on_note = lambda message: self._event(job.id, job.percent, message)
        try:
            value: Any
            if part.kind == "outline":
                value = await generator.outline(ctx)
            elif part.kind == "lesson" and saved.outline is not None:
                module, plan = next((m, p) for m, p in saved.outline.lesson_plans() if p.id == part.key)
                value = await generator.lesson(ctx, module, plan, lambda text: None)
            elif part.kind == "quiz" and saved.outline is not None:
                module = next(m for m in saved.outline.modules if m.id == part.key)
                value = await generator.quiz(ctx, module, [saved.lessons[p.id] for p in module.lessons])
            else:
                lessons = list(saved.lessons.values())
                value = await (generator.exam(ctx, lessons) if part.kind == "exam" else generator.flashcards(ctx, lessons))
            self.store.save_part(job.id, part.kind, _PART_KEYS.get(part.kind, part.key), value.model_dump_json())
        finally:
            self.batches.add_usage(job.id, generator.usage())
            await generator.aclose()

    def _plan(self, job_id: str) -> tuple[list[Planned], list[PartRequest]]:
        """The requests for every part of the job whose inputs exist, and the parts among them
        that batches have already tried `MAX_BATCH_TRIES` times."""
        job = self.store.get_job(job_id)
        saved = self.store.saved_parts(job_id)
        tries = self.batches.attempts(job_id)
        ctx = self._context(job, saved)
        gen = self._params_builder(job.request)
        prompts = gen._prompts
        planned: list[Planned] = []
        exhausted: list[PartRequest] = []

        def add(kind: str, key: str, index: int, parts: Callable[[], PromptParts]) -> None:
            part = PartRequest(f"{job_id}-{_LETTER[kind]}{index}", job_id, kind, key)
            if tries[(kind, key)] >= MAX_BATCH_TRIES:
                exhausted.append(part)
            else:
                planned.append(Planned(part, gen.part_params(parts(), _TOOLS.get(kind))))

        if saved.outline is None:
            add("outline", "outline", 0, lambda: prompts.outline(ctx))
            return planned, exhausted
        plans = saved.outline.lesson_plans()
        for index, (module, plan) in enumerate(plans):
            if plan.id not in saved.lessons:
                add("lesson", plan.id, index, lambda module=module, plan=plan: prompts.lesson(ctx, module, plan))  # type: ignore[misc]
        if any(plan.id not in saved.lessons for _, plan in plans):
            return planned, exhausted
        lessons = [saved.lessons[plan.id] for _, plan in plans]
        for index, module in enumerate(saved.outline.modules):
            if module.id not in saved.quizzes:
                add("quiz", module.id, index, lambda module=module: prompts.quiz(ctx, module, [saved.lessons[p.id] for p in module.lessons]))  # type: ignore[misc]
        if saved.exam is None:
            add("exam", "exam", 0, lambda: prompts.exam(ctx, lessons))
        if saved.flashcards is None:
            add("flashcards", "flashcards", 0, lambda: prompts.flashcards(ctx, lessons))
        return planned, exhausted

    def _save(self, job: JobRecord, part: PartRequest, message: Any) -> bool:
        """Judge one result and save it as the job's part; False when it cannot be used."""
        saved = self.store.saved_parts(job.id)
        ctx = self._context(job, saved)
        request = job.request
        notes: list[str] = []
        value: Any = None
        if part.kind == "lesson" and saved.outline is not None:
            found = next(((m, p) for m, p in saved.outline.lesson_plans() if p.id == part.key), None)
            if found is not None:
                text = "".join(block.text for block in message.content if block.type == "text")
                value = make_lesson(found[0], found[1], text, self._params_builder(request)._prompts.lesson(ctx, *found).chunks)
        else:
            raw = next((block.input for block in message.content if block.type == "tool_use"), None)
            verdict = self._judge(part, raw, request, saved)
            notes = verdict.notes
            value = verdict.value.outline if part.kind == "outline" and verdict.value is not None else verdict.value
            if verdict.problems:
                log.warning("batch result for %s %s of job %s cannot be used: %s", part.kind, part.key, job.id, "; ".join(verdict.problems)[:300])
        if value is None:
            return False
        self.store.save_part(job.id, part.kind, _PART_KEYS.get(part.kind, part.key), value.model_dump_json())
        for note in notes:
            self._event(job.id, self.store.get_job(job.id).percent, note)
        return True

    def _judge(self, part: PartRequest, raw: Any, request: CourseRequest, saved: SavedParts) -> Verdict[Any]:
        """A batch has no repair turn: the answer is judged as a last try (`final=True`)."""
        if part.kind == "outline":
            return judge_outline(raw, request, True)
        outline = saved.outline
        if outline is None:
            return Verdict(problems=["the outline is missing"])
        if part.kind == "quiz":
            module = next((m for m in outline.modules if m.id == part.key), None)
            return judge_quiz(raw, request, outline, module, True) if module else Verdict(problems=["unknown module"])
        if part.kind == "exam":
            return judge_exam(raw, request, outline, True)
        return judge_flashcards(raw, outline, True)

    async def _finish(self, job_id: str) -> bool:
        """Assemble the course with the ordinary pipeline; it writes any part batches could not."""
        from coursegen_desktop.core.generators.anthropic import ClaudeGenerator

        job = self.store.get_job(job_id)
        missing = not self._complete(job_id)
        if missing:
            self._event(job_id, job.percent, "Batched: some parts could not be written in a batch; writing them now with normal calls.")
        generator = ClaudeGenerator(job.request, api_key=self._key(), base_url=self._base_url)
        record = await pipeline.run_async(None, generator, self.store, lambda event: None, CancelToken(), job_id=job_id)
        return record.status == JobStatus.COMPLETED

    def _job_or_none(self, job_id: str) -> JobRecord | None:
        try:
            return self.store.get_job(job_id)
        except NotFound:
            return None

    def _complete(self, job_id: str) -> bool:
        saved = self.store.saved_parts(job_id)
        if saved.outline is None or saved.exam is None or saved.flashcards is None:
            return False
        return all(p.id in saved.lessons for _, p in saved.outline.lesson_plans()) and all(m.id in saved.quizzes for m in saved.outline.modules)

    # -- helpers ------------------------------------------------------------------------------

    def _context(self, job: JobRecord, saved: SavedParts) -> GenerationContext:
        if job.id not in self._material:
            self._material[job.id] = load_material(job.request.material)
        return GenerationContext(job.id, job.request, self._material[job.id], CancelToken(), outline=saved.outline, lessons=dict(saved.lessons))

    def _params_builder(self, request: CourseRequest) -> ClaudeGenerator:
        from coursegen_desktop.core.generators.anthropic import ClaudeGenerator

        return ClaudeGenerator(request, api_key=self._key() or "unused", cache_control=CACHE_1H)

    def _event(self, job_id: str, percent: float, message: str) -> None:
        self.store.append_event(Progress(job_id=job_id, seq=self.store.last_seq(job_id) + 1, percent=percent, message=message))

    def _key(self) -> str | None:
        return self._api_key.reveal() if self._api_key else None

    def _require_key(self) -> None:
        if not self._api_key:
            raise BadInput("Bulk courses are written by Claude: set ANTHROPIC_API_KEY (or save a key in Settings) first.")

    def _ensure_client(self) -> AsyncAnthropic:
        if self._client is None:
            from coursegen_desktop.core.generators.anthropic import CHECK_TIMEOUT_S, _make_client

            self._client = _make_client(self._key() or "", self._base_url, CHECK_TIMEOUT_S * 4)
        return self._client

    async def _api(self, call: Any) -> Any:
        """Await one Batches API call; a failure is one sentence (the next poll simply tries again)."""
        from coursegen_desktop.core.generators.claude_errors import classify

        try:
            return await call
        except Exception as exc:
            failure = classify(exc, "")
            if failure is None:
                raise
            raise failure.error from None


def _counts(usage: Any) -> dict[str, int]:
    names = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    return {name: int(getattr(usage, name, 0) or 0) for name in names}


# -- blocking entry points (the engine runs them on a thread) ---------------------------------------


def submit_jobs(store: Store, requests: Iterable[CourseRequest]) -> list[str]:
    """Create the batched jobs and submit their first round (blocking: the engine runs it on a
    thread); returns the job ids."""

    async def main() -> list[str]:
        runner = BatchRunner(store)
        try:
            return await runner.submit(requests)
        finally:
            await runner.aclose()

    try:
        return asyncio.run(main())
    finally:
        store.close_thread_connection()


def poll_jobs(store: Store) -> list[str]:
    """Advance the batches one step when there are batched jobs (blocking); the ids of the jobs
    that were batched before, whose rows may have changed."""
    try:
        before = BatchStore(store).batched_jobs()
        if not before:
            return []

        async def main() -> None:
            runner = BatchRunner(store)
            try:
                await runner.poll()
            finally:
                await runner.aclose()

        asyncio.run(main())
        return before
    finally:
        store.close_thread_connection()
