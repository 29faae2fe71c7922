"""A small Generator for pipeline tests: counts every call, can fail or block on a chosen lesson."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.generators.base import GenerationContext, TextSink
from coursegen_desktop.core.models import (
    Exam,
    Flashcard,
    FlashcardDeck,
    Lesson,
    LessonPlan,
    ModulePlan,
    Objective,
    Outline,
    Question,
    Quiz,
    Usage,
)


def _question(n: int, objective: str) -> Question:
    return Question(
        id=f"q{n}",
        stem=f"Which statement about item {n} is correct?",
        options=[f"Right answer {n}", f"Wrong answer {n}a", f"Wrong answer {n}b", f"Wrong answer {n}c"],
        answer_index=0,
        explanation=f"Item {n}: the right answer is 'Right answer {n}' because the lesson says so.",
        objective_id=objective,
    )


class ScriptedGenerator:
    name = "scripted"
    model = None
    warm_cache_first = False

    def __init__(self, *, fail_on_lesson: str | None = None, block_on_lesson: str | None = None, delay: float = 0.0) -> None:
        self.calls: Counter[str] = Counter()
        self.fail_on_lesson = fail_on_lesson
        self.block_on_lesson = block_on_lesson
        self.delay = delay
        self.blocked = threading.Event()  # set when the blocking lesson has started
        self.closed = False

    async def outline(self, ctx: GenerationContext) -> Outline:
        self.calls["outline"] += 1
        request = ctx.request
        modules = [
            ModulePlan(
                id=f"m{m}",
                title=f"Module {m} of {request.topic}",
                lessons=[LessonPlan(id=f"m{m}l{n}", title=f"Lesson {m}.{n}", objective_ids=[f"o{m}"]) for n in range(1, request.lessons_per_module + 1)],
            )
            for m in range(1, request.modules + 1)
        ]
        objectives = [Objective(id=f"o{m}", text=f"Explain part {m}") for m in range(1, request.modules + 1)]
        return Outline(title=f"A course on {request.topic}", objectives=objectives, modules=modules)

    async def lesson(self, ctx: GenerationContext, module: ModulePlan, plan: LessonPlan, on_text: TextSink) -> Lesson:
        self.calls["lesson"] += 1
        self.calls[f"lesson:{plan.id}"] += 1
        if plan.id == self.block_on_lesson:
            self.blocked.set()
            await asyncio.sleep(3600)
        if plan.id == self.fail_on_lesson:
            raise CourseGenError(ErrorKind.NETWORK, "Network unavailable — Resume when you are back online.", resumable=True)
        body = f"# {plan.title}\n\nThis lesson explains {plan.title}.\n"
        for piece in (body[: len(body) // 2], body[len(body) // 2 :]):
            on_text(piece)
            await asyncio.sleep(self.delay)
        return Lesson(id=plan.id, module_id=module.id, title=plan.title, markdown=body, objectives_covered=plan.objective_ids)

    async def quiz(self, ctx: GenerationContext, module: ModulePlan, lessons: list[Lesson]) -> Quiz:
        self.calls["quiz"] += 1
        return Quiz(module_id=module.id, title=f"Quiz: {module.title}", questions=[_question(i, module.lessons[0].objective_ids[0]) for i in range(ctx.request.questions_per_quiz)])

    async def exam(self, ctx: GenerationContext, lessons: list[Lesson]) -> Exam:
        self.calls["exam"] += 1
        return Exam(title="Practice exam", questions=[_question(100 + i, "o1") for i in range(ctx.request.exam_questions)])

    async def flashcards(self, ctx: GenerationContext, lessons: list[Lesson]) -> FlashcardDeck:
        self.calls["flashcards"] += 1
        return FlashcardDeck(cards=[Flashcard(front=f"What is {lesson.title}?", back=f"Lesson {lesson.id}", module_id=lesson.module_id) for lesson in lessons])

    def usage(self) -> Usage:
        return Usage()

    async def aclose(self) -> None:
        self.closed = True
