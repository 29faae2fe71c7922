"""The `Generator` protocol every backend implements, and the context the pipeline hands it.

The pipeline owns ordering, saving, events and cancel; a generator only turns a request (and
what is already written) into the next part. Methods are coroutines so a network backend can
run lessons concurrently; a CPU-only backend simply returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.material import Material
from coursegen_desktop.core.models import (
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


@dataclass
class GenerationContext:
    """Everything a generator may read. `outline` and `lessons` fill in as the job advances."""

    job_id: str
    request: CourseRequest
    material: Material
    cancel: CancelToken
    # Called by a generator before it waits to retry: (attempt, delay in seconds, reason).
    on_retry: Callable[[int, float, str], None] = lambda attempt, delay, reason: None
    # A line for the job log (shown in the progress dialog's log and as a Progress message).
    on_note: Callable[[str], None] = lambda message: None
    outline: Outline | None = None
    lessons: dict[str, Lesson] = field(default_factory=dict)
    # The user's wish for the part being (re)written, e.g. "simpler" or "more examples"; "" for none.
    instruction: str = ""
    # Called by a network generator after each API call: (part kind, that call's usage). The
    # pipeline stores it so `core.plan` can learn what each kind of call really costs.
    on_usage: Callable[[str, Usage], None] = lambda kind, usage: None


# Receives each new piece of lesson text as it streams (the pipeline turns it into Progress).
TextSink = Callable[[str], None]
# Sent to a TextSink when a lesson's stream was cut and the lesson starts again from nothing.
TEXT_RESTART = "\n\n[Connection interrupted: this lesson starts again]\n\n"


@runtime_checkable
class Generator(Protocol):
    name: str  # "offline" or "claude": stored with step timings, shown in the history
    model: str | None
    # True when lessons share a cached prompt prefix: the pipeline then writes the first
    # lesson alone so the cache exists before the others fan out.
    warm_cache_first: bool

    async def outline(self, ctx: GenerationContext) -> Outline: ...

    async def lesson(self, ctx: GenerationContext, module: ModulePlan, plan: LessonPlan, on_text: TextSink) -> Lesson: ...

    async def quiz(self, ctx: GenerationContext, module: ModulePlan, lessons: list[Lesson]) -> Quiz: ...

    async def exam(self, ctx: GenerationContext, lessons: list[Lesson]) -> Exam: ...

    async def flashcards(self, ctx: GenerationContext, lessons: list[Lesson]) -> FlashcardDeck: ...

    def usage(self) -> Usage: ...

    async def aclose(self) -> None: ...
