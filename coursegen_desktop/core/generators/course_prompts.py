"""Which prompt text each part of a course is asked with, independent of the wire format.

Every network generator sends the same prompts (claude_prompts.py): a byte-stable system part
(rules, then the study documents when they fit, then the outline) that a server can cache, and
a user turn with the passages chosen for this request (when the material is too large to send
whole), the part's context, and the task last. The generator maps `PromptParts` onto its API.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.generators.base import GenerationContext
from coursegen_desktop.core.generators.claude_prompts import (
    course_summary,
    documents,
    exam_task,
    flashcards_task,
    lesson_task,
    lessons_block,
    objective_list,
    outline_task,
    outline_text,
    quiz_task,
    rules,
    with_instruction,
)
from coursegen_desktop.core.material import Chunk
from coursegen_desktop.core.models import Lesson, LessonPlan, ModulePlan, Outline

LARGE_MATERIAL_NOTE = "Material is larger than the model's context; using the most relevant passages for each lesson."


@dataclass(frozen=True)
class SystemBlock:
    text: str
    cache: bool = False  # a cache breakpoint after this block (the documents)


@dataclass
class PromptParts:
    system: list[SystemBlock]
    prefix: list[str]  # user-turn text before the task
    task: str
    chunks: list[Chunk] = field(default_factory=list)  # the material this request can quote


class CoursePrompts:
    """Prompt parts for one job. Material over `budget_chars` is not sent whole: each request
    gets the `selected_chars` of passages most relevant to it, in the user turn."""

    def __init__(self, budget_chars: int, selected_chars: int) -> None:
        self.budget_chars = budget_chars
        self.selected_chars = selected_chars

    def large(self, ctx: GenerationContext) -> bool:
        return ctx.material.char_count > self.budget_chars

    def outline(self, ctx: GenerationContext) -> PromptParts:
        grounded = not ctx.material.is_empty
        chunks = self._chunks_for(ctx, ctx.request.topic)
        return PromptParts(self._system(ctx, None), self._documents_turn(ctx, chunks), with_instruction(outline_task(ctx.request, grounded), ctx.instruction), chunks)

    def lesson(self, ctx: GenerationContext, module: ModulePlan, plan: LessonPlan) -> PromptParts:
        outline = self.require_outline(ctx)
        query = " ".join([module.title, plan.title, plan.summary, objective_list(outline, plan.objective_ids)])
        chunks = self._chunks_for(ctx, query)
        task = with_instruction(lesson_task(outline, module, plan, not ctx.material.is_empty), ctx.instruction)
        return PromptParts(self._system(ctx, outline), self._documents_turn(ctx, chunks), task, chunks)

    def quiz(self, ctx: GenerationContext, module: ModulePlan, lessons: list[Lesson]) -> PromptParts:
        outline = self.require_outline(ctx)
        chunks = self._chunks_for(ctx, " ".join([module.title, *(lesson.title for lesson in module.lessons)]))
        prefix = [*self._documents_turn(ctx, chunks), lessons_block(lessons)]
        return PromptParts(self._system(ctx, outline), prefix, with_instruction(quiz_task(ctx.request, outline, module), ctx.instruction), chunks)

    def exam(self, ctx: GenerationContext, lessons: list[Lesson]) -> PromptParts:
        outline = self.require_outline(ctx)
        chunks = self._chunks_for(ctx, " ".join([outline.title, *(o.text for o in outline.objectives)]))
        prefix = [*self._documents_turn(ctx, chunks), course_summary(lessons)]
        return PromptParts(self._system(ctx, outline), prefix, with_instruction(exam_task(ctx.request, outline), ctx.instruction), chunks)

    def flashcards(self, ctx: GenerationContext, lessons: list[Lesson]) -> PromptParts:
        outline = self.require_outline(ctx)
        return PromptParts(self._system(ctx, outline), [course_summary(lessons)], with_instruction(flashcards_task(ctx.request), ctx.instruction))

    @staticmethod
    def require_outline(ctx: GenerationContext) -> Outline:
        if ctx.outline is None:
            raise CourseGenError(ErrorKind.INTERNAL, "The outline is missing, so this part cannot be written; Resume the job.")
        return ctx.outline

    def _system(self, ctx: GenerationContext, outline: Outline | None) -> list[SystemBlock]:
        """Rules → documents → outline, all byte-stable for the job."""
        blocks = [SystemBlock(rules(ctx.request, not ctx.material.is_empty))]
        if not ctx.material.is_empty and not self.large(ctx):
            blocks.append(SystemBlock(documents(list(ctx.material.chunks)), cache=True))
        if outline is not None:
            blocks.append(SystemBlock(outline_text(outline)))
        return blocks

    def _chunks_for(self, ctx: GenerationContext, query: str) -> list[Chunk]:
        """All of the material when it fits, else the passages most relevant to `query`."""
        if not self.large(ctx):
            return list(ctx.material.chunks)
        return ctx.material.select(query, self.selected_chars)

    def _documents_turn(self, ctx: GenerationContext, chunks: list[Chunk]) -> list[str]:
        """User-turn documents for large material (the chosen passages); none when they are in the system part."""
        return [documents(chunks)] if self.large(ctx) else []
