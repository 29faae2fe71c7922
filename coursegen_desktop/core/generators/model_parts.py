"""The structured parts of a course as every model-backed generator asks for them.

Claude and OpenAI-compatible servers differ in how a structured answer travels (a forced tool
call, a JSON-schema response, JSON in text), not in which prompt is sent or how the answer is
judged. A generator subclasses `ModelParts`, sets `_prompts`, and implements `_notes` (its
one-time job-log notes) and `_structured` (one part over its own wire format).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.generators.base import GenerationContext
from coursegen_desktop.core.generators.claude_prompts import EXAM_TOOL, FLASHCARDS_TOOL, OUTLINE_TOOL, QUIZ_TOOL, Tool
from coursegen_desktop.core.generators.course_prompts import CoursePrompts, PromptParts
from coursegen_desktop.core.generators.lesson_text import LessonText, make_lesson
from coursegen_desktop.core.generators.retry import short
from coursegen_desktop.core.generators.tolerance import Verdict, judge_exam, judge_flashcards, judge_outline, judge_quiz
from coursegen_desktop.core.models import Exam, FlashcardDeck, Lesson, LessonPlan, ModulePlan, Outline, Quiz, Usage

T = TypeVar("T")


class ModelParts:
    """Outline, quizzes, exam, flashcards and usage for a generator backed by a language model."""

    _prompts: CoursePrompts
    _usage: Usage

    def _notes(self, ctx: GenerationContext) -> None:
        raise NotImplementedError

    async def _structured(self, ctx: GenerationContext, tool: Tool, what: str, parts: PromptParts, judge: Callable[[Any, bool], Verdict[T]]) -> T:
        raise NotImplementedError

    async def outline(self, ctx: GenerationContext) -> Outline:
        self._notes(ctx)
        request = ctx.request
        planned = await self._structured(ctx, OUTLINE_TOOL, "the outline", self._prompts.outline(ctx), lambda raw, final: judge_outline(raw, request, final))
        gaps = [short(gap, 80) for gap in planned.coverage_gaps if gap.strip()][:3]
        if not ctx.material.is_empty and gaps:
            ctx.on_note(f"Your material does not cover everything the course needs (for example: {'; '.join(gaps)}).")
        return planned.outline

    async def quiz(self, ctx: GenerationContext, module: ModulePlan, lessons: list[Lesson]) -> Quiz:
        self._notes(ctx)
        outline, request = self._prompts.require_outline(ctx), ctx.request
        return await self._structured(
            ctx, QUIZ_TOOL, f"the quiz for “{module.title}”", self._prompts.quiz(ctx, module, lessons),
            lambda raw, final: judge_quiz(raw, request, outline, module, final),
        )

    async def exam(self, ctx: GenerationContext, lessons: list[Lesson]) -> Exam:
        self._notes(ctx)
        outline, request = self._prompts.require_outline(ctx), ctx.request
        return await self._structured(
            ctx, EXAM_TOOL, "the practice exam", self._prompts.exam(ctx, lessons), lambda raw, final: judge_exam(raw, request, outline, final)
        )

    async def flashcards(self, ctx: GenerationContext, lessons: list[Lesson]) -> FlashcardDeck:
        self._notes(ctx)
        outline = self._prompts.require_outline(ctx)
        return await self._structured(
            ctx, FLASHCARDS_TOOL, "the flashcards", self._prompts.flashcards(ctx, lessons), lambda raw, final: judge_flashcards(raw, outline, final)
        )

    def usage(self) -> Usage:
        return self._usage

    @staticmethod
    async def _lesson_from(
        module: ModulePlan, plan: LessonPlan, parts: PromptParts, text: LessonText, author: str, answer: Callable[[], Awaitable[str]]
    ) -> Lesson:
        """The lesson `answer()` writes; an empty one is asked for once more, then it fails."""
        for _attempt in (1, 2):
            lesson = make_lesson(module, plan, await answer(), parts.chunks)
            if lesson is not None:
                return lesson
            text.restart()
        raise CourseGenError(ErrorKind.INVALID_OUTPUT, f"{author} returned an empty lesson for “{plan.title}” twice; Resume the job to try again.")
