"""The seven-step generation pipeline.

`run()` drives one job from its first unsaved part to the end through a `Generator`, saving each
part the moment it exists and emitting typed events. It owns ordering, concurrency, cancel and
error handling, so generators stay small. It runs its own asyncio loop on the calling thread
(a worker QThread in the GUI, the main thread in the CLI).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import AsyncIterator, TypeVar

from pydantic import BaseModel, ValidationError

from coursegen_desktop.core.cancel import Cancelled, CancelToken
from coursegen_desktop.core.errors import BadInput, CourseGenError, ErrorKind
from coursegen_desktop.core.eta import EtaEstimator, learned_rates
from coursegen_desktop.core.events import (
    AnyEvent,
    Event,
    JobCancelled,
    JobCompleted,
    JobFailed,
    JobPaused,
    JobStarted,
    OutlineReady,
    Progress,
    Retrying,
    StepCompleted,
    StepStarted,
    TopicCompleted,
    TopicStarted,
)
from coursegen_desktop.core.generators.base import TEXT_RESTART, GenerationContext, Generator
from coursegen_desktop.core import outline_review
from coursegen_desktop.core.material import Material, load_material
from coursegen_desktop.core.models import (
    Course,
    CourseRequest,
    JobRecord,
    JobStatus,
    Lesson,
    LessonPlan,
    ModulePlan,
    Outline,
    Quiz,
    Usage,
)
from coursegen_desktop.core.review import review_course
from coursegen_desktop.core.steps import STEP_BY_NAME, Step
from coursegen_desktop.core.store import SavedParts, Store

log = logging.getLogger(__name__)

Emit = Callable[[AnyEvent], None]
T = TypeVar("T")

PROGRESS_INTERVAL_S = 0.1  # at most ~10 Progress events a second per job
PREVIEW_CHARS = 1500
EXPECTED_LESSON_CHARS = 4000  # for the within-lesson share of the bar while text streams
INTERNAL_ERROR_MESSAGE = "Something went wrong while writing the course (details are in the log); Resume to try again."
INTERRUPTED_MESSAGE = "Stopped while the app was closing; Resume continues it."


class EventRecorder:
    """Numbers, stores and forwards events. Storing comes first so a view that replays the
    store and then follows the live stream never misses an event."""

    def __init__(self, store: Store, job_id: str, emit: Emit) -> None:
        self.store, self.job_id, self._emit = store, job_id, emit
        self._seq = store.last_seq(job_id)

    def __call__(self, cls: type[Event], *, store_errors_fatal: bool = True, **fields: object) -> AnyEvent:
        self._seq += 1
        event = cls(job_id=self.job_id, seq=self._seq, **fields)
        try:
            self.store.append_event(event)
        except CourseGenError:
            if store_errors_fatal:
                raise
            log.warning("could not store %s for job %s", cls.__name__, self.job_id)
        self._emit(event)  # type: ignore[arg-type]
        return event  # type: ignore[return-value]


class ProgressTracker:
    """Turns step fractions and streamed text into `Progress` events: monotone, throttled."""

    def __init__(self, record: EventRecorder, start_percent: float, eta: EtaEstimator) -> None:
        self._record, self._eta = record, eta
        self.percent = start_percent
        self.tokens = 0
        self._last_emit = 0.0
        self._step: Step = STEP_BY_NAME["prepare"]
        self._fraction = 0.0

    def enter(self, step: Step) -> None:
        self._step, self._fraction = step, 0.0
        self._eta.step_started(step.name)

    def update(self, fraction: float, message: str, *, force: bool = False, **extra: object) -> None:
        self._fraction = max(self._fraction, min(fraction, 1.0))
        self.percent = max(self.percent, round(self._step.at(self._fraction), 2))
        now = time.monotonic()
        if not force and now - self._last_emit < PROGRESS_INTERVAL_S:
            return
        self._last_emit = now
        eta = self._eta.remaining(self._fraction)
        self._record(
            Progress,
            percent=self.percent,
            message=message,
            eta_s=None if eta is None else round(eta, 1),
            tokens=self.tokens,
            **extra,
        )

    def note(self, message: str) -> None:
        """A line for the job log, shown at once without moving the bar."""
        self.update(self._fraction, message, force=True)

    def finish(self) -> None:
        self.percent = 100.0
        self._record(Progress, percent=100.0, message="Course ready.", eta_s=0.0, tokens=self.tokens)


class Paused(Exception):
    """The user paused the job and what was in flight has been saved: end it as paused."""


class AwaitingReview(Exception):
    """Control flow: the outline is written and the user asked to review it before lessons."""

    def __init__(self, outline: Outline) -> None:
        super().__init__("awaiting review")
        self.outline = outline


class _Job:
    """The state of one run of one job; `run()` below is the public entry point."""

    def __init__(self, job: JobRecord, generator: Generator, store: Store, emit: Emit, cancel: CancelToken) -> None:
        self.job, self.request, self.generator, self.store, self.cancel = job, job.request, generator, store, cancel
        self.record = EventRecorder(store, job.id, emit)
        self.saved: SavedParts = store.saved_parts(job.id)
        self.previous_usage = job.usage
        self.eta = EtaEstimator(
            generator.name, self._units(), learned_rates(store, generator.name, generator.model), concurrency=job.request.concurrency
        )
        self.progress = ProgressTracker(self.record, job.percent if job.status != JobStatus.QUEUED else 0.0, self.eta)
        self.ctx = GenerationContext(
            job_id=job.id,
            request=job.request,
            material=Material(),
            cancel=cancel,
            on_retry=self._on_retry,
            on_note=self._on_note,
            lessons=dict(self.saved.lessons),
            instruction=outline_review.instruction(store, job.id),
            on_usage=self._on_usage,
        )
        self.current_step: str | None = None
        # The first user-facing failure of a lesson or quiz. Work already in flight is allowed
        # to finish and be saved (it is paid for); nothing new starts; then the job fails.
        self.failure: CourseGenError | None = None
        self.lessons_done = len(self.saved.lessons)
        self._lesson_chars: dict[str, int] = {}
        self._lesson_text: dict[str, str] = {}

    def _units(self) -> dict[str, int]:
        request = self.request
        return {"lessons": request.lesson_count, "quizzes": request.modules}

    # -- events from the generator ------------------------------------------------------------

    def _on_retry(self, attempt: int, delay: float, reason: str) -> None:
        self.eta.retrying(delay)
        self.record(Retrying, attempt=attempt, delay_s=round(delay, 2), reason=reason)

    def _on_usage(self, kind: str, usage: Usage) -> None:
        """Keep what each call used, so plans learn from real jobs (best effort: never fails a job)."""
        try:
            self.store.record_call_usage(self.job.id, kind, str(self.generator.model), self.ctx.material.char_count // 4, usage)
        except CourseGenError:
            log.warning("could not store the usage of a %s call of job %s", kind, self.job.id)

    def _on_note(self, message: str) -> None:
        log.info("job %s: %s", self.job.id, message)
        self.progress.note(message)

    # -- steps ----------------------------------------------------------------------------------

    def begin_step(self, name: str) -> tuple[str, float]:
        self.cancel.raise_if_cancelled()
        step = STEP_BY_NAME[name]
        self.current_step = name
        self.record(StepStarted, step=name, index=step.index, label=step.label)
        self.progress.enter(step)
        self.progress.update(0.0, f"{step.label}…", force=True)
        return name, time.monotonic()

    def end_step(self, handle: tuple[str, float], units_done: int) -> None:
        """Close a step; `units_done` is the work this run really did (for the learned ETA)."""
        self.cancel.raise_if_cancelled()
        name, started = handle
        step = STEP_BY_NAME[name]
        seconds = time.monotonic() - started
        self.progress.update(1.0, f"{step.label}: done", force=True)
        self.record(StepCompleted, step=name, index=step.index, duration_s=round(seconds, 3))
        self.eta.step_finished(name, seconds, units_done)
        if units_done:
            self.store.record_step_timing(self.job.id, self.generator.name, name, units_done, seconds)

    @asynccontextmanager
    async def step(self, name: str, units: Callable[[], int] = lambda: 1) -> AsyncIterator[None]:
        handle = self.begin_step(name)
        yield
        self.end_step(handle, units())

    def save(self, kind: str, key: str, part: BaseModel) -> None:
        """Save a finished part, unless the job was cancelled while it was being made."""
        self.cancel.raise_if_cancelled()
        self.store.save_part(self.job.id, kind, key, part.model_dump_json())

    @property
    def pausing(self) -> bool:
        return self.cancel.pause_requested

    def stop_if_paused(self) -> None:
        """Before a part that would start a new request: a paused job stops here."""
        if self.cancel.pause_requested:
            raise Paused()

    async def call(self, make: Callable[[], Awaitable[T]]) -> T:
        """Await a generator call; a model that fails validation is reported as invalid output."""
        try:
            return await make()
        except ValidationError as exc:
            raise CourseGenError(
                ErrorKind.INVALID_OUTPUT,
                f"The generator returned a part that is not valid ({exc.errors()[0]['msg']}); Resume to try again.",
            ) from exc

    async def run(self) -> Course:
        self.record(
            JobStarted,
            generator=self.generator.name,
            model=self.generator.model,
            resumed=self.saved.count > 0,
            parts_saved=self.saved.count,
        )
        async with self.step("prepare"):
            self.ctx.material = await asyncio.to_thread(load_material, self.request.material)
        self.stop_if_paused()
        async with self.step("outline", lambda: 0 if self.saved.outline else 1):
            outline = self.saved.outline or await self.call(lambda: self.generator.outline(self.ctx))
            if not self.saved.outline:
                self.save("outline", "outline", outline)
            self.ctx.outline = outline
        if outline_review.needs_review(self.store, self.job.id, self.request.review_outline):
            raise AwaitingReview(outline)
        self.total_lessons = len(outline.lesson_plans())
        quizzes = await self.lessons_and_quizzes(outline)
        lessons = [self.ctx.lessons[plan.id] for _, plan in outline.lesson_plans()]
        if not self.saved.exam:
            self.stop_if_paused()
        async with self.step("exam", lambda: int(self.saved.exam is None)):
            exam = self.saved.exam or await self.call(lambda: self.generator.exam(self.ctx, lessons))
            if not self.saved.exam:
                self.save("exam", "exam", exam)
            self.progress.update(0.6, "Practice exam written", force=True)
            if not self.saved.flashcards:
                self.stop_if_paused()
            deck = self.saved.flashcards or await self.call(lambda: self.generator.flashcards(self.ctx, lessons))
            if not self.saved.flashcards:
                self.save("flashcards", "deck", deck)
        async with self.step("review"):
            quiz_list = [quizzes[module.id] for module in outline.modules]
            quiz_list, exam, cards, notes = await asyncio.to_thread(
                review_course, outline, lessons, quiz_list, exam, deck.cards, self.ctx.material
            )
        async with self.step("save"):
            course = Course(
                title=outline.title,
                description=outline.description,
                topic=self.request.topic,
                level=self.request.level,
                language=self.request.language,
                generator=self.generator.name if not self.generator.model else f"{self.generator.name}:{self.generator.model}",
                outline=outline,
                lessons=lessons,
                quizzes=quiz_list,
                exam=exam,
                flashcards=cards,
                review=notes,
            )
            self.store.save_course(self.job.id, course)
        return course

    # -- lessons and quizzes ------------------------------------------------------------------------

    async def lessons_and_quizzes(self, outline: Outline) -> dict[str, Quiz]:
        """Write every unsaved lesson (concurrently) and each module's quiz as soon as that
        module's lessons exist. Step events stay in order: quizzes that finish early are
        simply already saved when the quizzes step begins."""
        limit = asyncio.Semaphore(self.request.concurrency)
        plans = outline.lesson_plans()
        pending = [(module, plan) for module, plan in plans if plan.id not in self.ctx.lessons]
        lesson_tasks: dict[str, asyncio.Task[Lesson | None]] = {}
        quiz_tasks: dict[str, asyncio.Task[Quiz | None]] = {}
        quizzes_written = 0

        async def write_quiz(module: ModulePlan) -> Quiz | None:
            nonlocal quizzes_written
            if module.id in self.saved.quizzes:
                return self.saved.quizzes[module.id]
            for lesson in module.lessons:
                if lesson.id in lesson_tasks:
                    await lesson_tasks[lesson.id]
            if self.failure or self.pausing or any(lesson.id not in self.ctx.lessons for lesson in module.lessons):
                return None
            lessons = [self.ctx.lessons[lesson.id] for lesson in module.lessons]
            async with limit:
                if self.pausing:
                    return None
                quiz = await self.guarded(lambda: self.generator.quiz(self.ctx, module, lessons))
            if quiz is None:
                return None
            self.save("quiz", module.id, quiz)
            quizzes_written += 1
            if self.current_step == "quizzes":
                self.progress.update(self._quiz_fraction(outline, quiz_tasks, finishing=1), f"Quiz for “{module.title}” written", force=True)
            return quiz

        lessons_step = self.begin_step("lessons")
        if pending and self.saved.lessons:
            done = len(self.saved.lessons)
            self.progress.update(self._lesson_fraction(), f"Resuming: {done} of {len(plans)} lessons already saved", force=True)
        async with asyncio.TaskGroup() as group:
            rest = pending
            if pending and self.generator.warm_cache_first and not self.ctx.lessons and self.request.concurrency > 1:
                # Write one lesson alone so the shared prompt prefix is cached before the fan-out.
                first_module, first_plan = pending[0]
                lesson_tasks[first_plan.id] = group.create_task(self.write_lesson(first_module, first_plan, limit))
                await lesson_tasks[first_plan.id]
                rest = pending[1:]
            for module, plan in rest:
                lesson_tasks[plan.id] = group.create_task(self.write_lesson(module, plan, limit))
            for module in outline.modules:
                quiz_tasks[module.id] = group.create_task(write_quiz(module))
            await asyncio.gather(*lesson_tasks.values())
            if self.failure or self.pausing:
                await asyncio.gather(*quiz_tasks.values())  # quizzes already under way may still be saved
                if self.failure:
                    raise self.failure
                raise Paused()
            self.end_step(lessons_step, len(pending))
            quizzes_step = self.begin_step("quizzes")
            written_before = quizzes_written  # the step's own work (the ETA learns from it) is the rest
            self.progress.update(self._quiz_fraction(outline, quiz_tasks), "Writing module quizzes…", force=True)
            await asyncio.gather(*quiz_tasks.values())
            if self.failure:
                raise self.failure
            if any(task.result() is None for task in quiz_tasks.values()):
                raise Paused()  # a quiz was not started because the job is pausing
            # No quiz left when the step began is still a (short) round for the ETA to learn.
            self.end_step(quizzes_step, max(quizzes_written - written_before, 1) if quizzes_written else 0)
        return {module_id: task.result() for module_id, task in quiz_tasks.items()}  # type: ignore[misc]

    def _lesson_fraction(self) -> float:
        partial = sum(min(chars / EXPECTED_LESSON_CHARS, 0.9) for chars in self._lesson_chars.values())
        return (self.lessons_done + partial) / max(self.total_lessons, 1)

    def _quiz_fraction(self, outline: Outline, quiz_tasks: dict[str, asyncio.Task[Quiz]], finishing: int = 0) -> float:
        """Share of quizzes written; `finishing` counts the calling quiz, whose task is not done yet."""
        done = finishing + sum(1 for task in quiz_tasks.values() if task.done() and not task.cancelled())
        return done / max(len(outline.modules), 1)

    async def guarded(self, make: Callable[[], Awaitable[T]]) -> T | None:
        """Like `call`, but a user-facing failure is kept for later instead of stopping siblings."""
        if self.failure:
            return None
        try:
            return await self.call(make)
        except CourseGenError as exc:
            self.failure = self.failure or exc
            return None

    async def write_lesson(self, module: ModulePlan, plan: LessonPlan, limit: asyncio.Semaphore) -> Lesson | None:
        index = next(i for i, (_, p) in enumerate(self.ctx.outline.lesson_plans(), 1) if p.id == plan.id)  # type: ignore[union-attr]
        async with limit:
            self.cancel.raise_if_cancelled()
            if self.failure or self.pausing:
                return None
            self.record(TopicStarted, lesson_id=plan.id, module_id=module.id, title=plan.title, index=index, total=self.total_lessons)
            self._lesson_chars[plan.id] = 0
            self._lesson_text[plan.id] = ""

            def on_text(delta: str) -> None:
                if delta == TEXT_RESTART:  # a retried stream: the lesson starts over
                    self._lesson_chars[plan.id], self._lesson_text[plan.id] = 0, ""
                    return
                self._lesson_chars[plan.id] = self._lesson_chars.get(plan.id, 0) + len(delta)
                text = (self._lesson_text.get(plan.id, "") + delta)[-PREVIEW_CHARS:]
                self._lesson_text[plan.id] = text
                self.progress.tokens += max(1, len(delta) // 4)
                self.progress.update(
                    self._lesson_fraction(), f"Writing “{plan.title}” ({self.lessons_done} of {self.total_lessons} done)",
                    preview=text, lesson_id=plan.id,
                )

            lesson = await self.guarded(lambda: self.generator.lesson(self.ctx, module, plan, on_text))
        if lesson is None:
            self._lesson_chars.pop(plan.id, None)
            return None
        self.save("lesson", plan.id, lesson)
        self.ctx.lessons[plan.id] = lesson
        self._lesson_chars.pop(plan.id, None)
        self._lesson_text.pop(plan.id, None)
        self.lessons_done += 1
        self.eta.lesson_done()
        self.record(TopicCompleted, lesson_id=plan.id, title=lesson.title, index=index, total=self.total_lessons, done=self.lessons_done, lesson=lesson)
        self.progress.update(self._lesson_fraction(), f"“{lesson.title}” written ({self.lessons_done} of {self.total_lessons})", force=True)
        return lesson


# ---------------------------------------------------------------------------------------------
# Public entry points


def run(
    request: CourseRequest | None,
    generator: Generator,
    store: Store,
    emit: Emit,
    cancel: CancelToken,
    *,
    job_id: str | None = None,
    owned: bool = False,
) -> JobRecord:
    """Run a job to its end on this thread and return its final record.

    With `job_id`, continue that job (resume) from the first part not yet saved; otherwise
    create a new job from `request`. `owned=True` means the caller already holds the job's lock
    (the GUI's JobManager claims a job when it is queued). Never raises for job failures: they
    end as a `JobFailed` event and a `failed` record.
    """
    return asyncio.run(run_async(request, generator, store, emit, cancel, job_id=job_id, owned=owned))


async def run_async(
    request: CourseRequest | None,
    generator: Generator,
    store: Store,
    emit: Emit,
    cancel: CancelToken,
    *,
    job_id: str | None = None,
    owned: bool = False,
) -> JobRecord:
    if job_id is None:
        if request is None:
            raise BadInput("Give a request or the id of a job to resume.")
        job_id = store.create_job(request).id
    job = store.get_job(job_id)
    if job.status == JobStatus.COMPLETED:
        raise BadInput("This job is already complete; open it with `coursegen show`.")
    if not owned:
        store.acquire_job(job_id)
    try:
        store.mark_running(job_id)
        job = store.get_job(job_id)
        await _drive(_job_class(store, job_id)(job, generator, store, emit, cancel))
    finally:
        try:
            await generator.aclose()
        finally:
            store.release_job(job_id)
    return store.get_job(job_id)


def _job_class(store: Store, job_id: str) -> type[_Job]:
    """A regenerate job (one part of a finished course) runs its own short sequence of steps."""
    if store.regeneration(job_id) is None:
        return _Job
    from coursegen_desktop.core.regenerate import RegenerateJob

    return RegenerateJob


async def _drive(job: _Job) -> None:
    """Run the job's steps, translating every way it can end into one terminal event."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    assert task is not None
    unregister = job.cancel.on_cancel(lambda: loop.call_soon_threadsafe(task.cancel))
    try:
        course = await job.run()
    except (asyncio.CancelledError, Cancelled):
        _end_cancelled(job)
        return
    except AwaitingReview as stop:
        _await_review(job, stop.outline)
        return
    except Paused:
        _end_paused(job)
        return
    except BaseExceptionGroup as group:  # a task group wraps what its body raised
        first = _first_interesting(group)
        if isinstance(first, Paused):
            _end_paused(job)
        else:
            _end_with_error(job, first)
        return
    except Exception as exc:  # noqa: BLE001 - every failure must become a JobFailed event
        _end_with_error(job, exc)
        return
    finally:
        unregister()
    job.progress.finish()
    usage = job.previous_usage + job.generator.usage()
    job.store.finish_job(job.job.id, JobStatus.COMPLETED, usage=usage, course_title=course.title)
    record = job.store.get_job(job.job.id)
    job.record(JobCompleted, title=course.title, duration_s=round(record.run_seconds, 3), usage=usage)


def _end_paused(job: _Job) -> None:
    """Paused by the user: not running, not failed; Resume continues from the saved parts."""
    usage = job.previous_usage + job.generator.usage()
    job.store.finish_job(job.job.id, JobStatus.PAUSED, usage=usage, error_step=job.current_step, resumable=True)
    job.record(JobPaused, step=job.current_step, usage=usage)


def _await_review(job: _Job, outline: Outline) -> None:
    """Stop after the outline: the job waits (not running, not failed) for the user's approval."""
    usage = job.previous_usage + job.generator.usage()
    job.store.finish_job(job.job.id, JobStatus.AWAITING_REVIEW, usage=usage)
    job.record(OutlineReady, outline=outline, usage=usage)


def fail_before_start(store: Store, job_id: str, error: CourseGenError, emit: Emit) -> None:
    """End a job whose generator could not even be made (e.g. no API key) as failed, with the
    same record and terminal event a failure inside the pipeline gives."""
    try:
        usage = store.get_job(job_id).usage
        store.finish_job(job_id, JobStatus.FAILED, usage=usage, error_kind=error.kind.value, error_message=error.message, resumable=error.resumable)
        event = JobFailed(job_id=job_id, seq=store.last_seq(job_id) + 1, kind=error.kind.value, message=error.message, resumable=error.resumable, usage=usage)
        store.append_event(event)
    except CourseGenError:
        log.warning("could not record the failure of job %s", job_id)
        event = JobFailed(job_id=job_id, seq=0, kind=error.kind.value, message=error.message, resumable=error.resumable)
    emit(event)


def _first_interesting(group: BaseExceptionGroup) -> BaseException:
    """The exception to report from a task group: a cancel wins, then a user-facing error."""
    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        else:
            leaves.append(exc)

    walk(group)
    for kind in (Cancelled, asyncio.CancelledError, CourseGenError, Paused):
        for exc in leaves:
            if isinstance(exc, kind):
                return exc
    return leaves[0]


def _end_with_error(job: _Job, exc: BaseException) -> None:
    if isinstance(exc, (Cancelled, asyncio.CancelledError)) or job.cancel.is_cancelled:
        _end_cancelled(job)
        return
    if isinstance(exc, CourseGenError):
        log.warning("job %s failed in %s: %s (%s)", job.job.id, job.current_step, exc.message, exc.kind.value)
        _end(job, JobStatus.FAILED, kind=exc.kind.value, message=exc.message, resumable=exc.resumable)
    else:
        log.error("job %s failed with an unexpected error", job.job.id, exc_info=exc)
        _end(job, JobStatus.FAILED, kind=ErrorKind.INTERNAL.value, message=INTERNAL_ERROR_MESSAGE, resumable=True)


def _end_cancelled(job: _Job) -> None:
    """Cancelled by the user, or interrupted by a closing app or engine (then Resume continues it)."""
    if job.cancel.interrupted:
        _end(job, JobStatus.INTERRUPTED, message=INTERRUPTED_MESSAGE)
    else:
        _end(job, JobStatus.CANCELLED)


def _end(job: _Job, status: JobStatus, *, kind: str = "", message: str = "", resumable: bool = True) -> None:
    """Record a failed or cancelled end. Storage may be what failed, so storing is best effort:
    the terminal event still reaches the caller."""
    usage = job.previous_usage + job.generator.usage()
    try:
        job.store.finish_job(
            job.job.id, status, usage=usage, error_kind=kind or None, error_message=message or None,
            error_step=job.current_step, resumable=resumable,
        )
    except CourseGenError:
        log.warning("could not record the end of job %s", job.job.id)
    if status == JobStatus.INTERRUPTED:
        job.record(JobCancelled, store_errors_fatal=False, message=message, interrupted=True, step=job.current_step, usage=usage)
    elif status == JobStatus.CANCELLED:
        job.record(JobCancelled, store_errors_fatal=False, step=job.current_step, usage=usage)
    else:
        job.record(JobFailed, store_errors_fatal=False, kind=kind, message=message, step=job.current_step, resumable=resumable, usage=usage)
