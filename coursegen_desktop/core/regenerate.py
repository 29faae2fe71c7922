"""Regenerate one part of a finished course: a lesson, a module quiz, the exam or the flashcards.

Design: a regenerate job is a *new job row* that refers to its source course (table
`regenerations`), not a re-run of the source job. That keeps the history honest with no special
cases: the source job keeps the cost, events and run time of the generation it really was, and
the rewrite has its own events, Cancel, Resume and cost, shown as its own line in the history.
It runs through `pipeline.run` like any job (so the CLI, the GUI's job threads and an engine
process all run it the same way); `pipeline` picks `RegenerateJob` for it.

The rewrite touches only its part: the new part is saved in the regenerate job's own parts
first (it is paid for, and Resume reuses it), the review step runs over the course with the new
part and keeps only the repairs and notes about that part, and the swap into the source course
happens in one transaction that keeps the previous version (`coursegen versions`, restore).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from pydantic import BaseModel

from coursegen_desktop.core.errors import BadInput, NotFound
from coursegen_desktop.core.events import JobStarted, TopicCompleted, TopicStarted
from coursegen_desktop.core.generators.base import TEXT_RESTART
from coursegen_desktop.core.material import load_material
from coursegen_desktop.core.models import Course, Exam, FlashcardDeck, JobRecord, JobStatus, Lesson, Quiz, ReviewNote
from coursegen_desktop.core.outline_review import MAX_INSTRUCTION_CHARS
from coursegen_desktop.core.pipeline import PREVIEW_CHARS, _Job
from coursegen_desktop.core.review import review_course
from coursegen_desktop.core.store import Store

PART_HELP = "m1-l2 (a lesson id), quiz:m1 (a module's quiz), exam or flashcards"


@dataclass(frozen=True)
class PartRef:
    """One replaceable part of a course, named as on the command line."""

    kind: str  # lesson | quiz | exam | flashcards
    key: str  # lesson id, module id, "exam" or "deck" (the key of the saved part)

    @property
    def name(self) -> str:
        return {"lesson": self.key, "quiz": f"quiz:{self.key}", "exam": "exam", "flashcards": "flashcards"}[self.kind]

    def label(self, course: Course) -> str:
        if self.kind == "lesson":
            lesson = course.lesson(self.key)
            return f"lesson “{lesson.title if lesson else self.key}”"
        if self.kind == "quiz":
            module = next((m for m in course.outline.modules if m.id == self.key), None)
            return f"the quiz of “{module.title if module else self.key}”"
        return "the practice exam" if self.kind == "exam" else "the flashcards"

    def step(self) -> str:
        return {"lesson": "lessons", "quiz": "quizzes"}.get(self.kind, "exam")

    def body(self, course: Course) -> str:
        """This part as it is in the course, as JSON (what a version keeps)."""
        return self.model(course).model_dump_json()

    def model(self, course: Course) -> BaseModel:
        if self.kind == "lesson":
            return course.lesson(self.key)  # type: ignore[return-value]
        if self.kind == "quiz":
            return course.quiz_for(self.key)  # type: ignore[return-value]
        if self.kind == "exam":
            return course.exam
        return FlashcardDeck(cards=course.flashcards)

    def put(self, course: Course, body: str) -> Course:
        """A copy of the course with this part replaced by `body` (JSON); everything else is the same object."""
        if self.kind == "lesson":
            lesson = Lesson.model_validate_json(body)
            return course.model_copy(update={"lessons": [lesson if item.id == self.key else item for item in course.lessons]})
        if self.kind == "quiz":
            quiz = Quiz.model_validate_json(body)
            return course.model_copy(update={"quizzes": [quiz if item.module_id == self.key else item for item in course.quizzes]})
        if self.kind == "exam":
            return course.model_copy(update={"exam": Exam.model_validate_json(body)})
        return course.model_copy(update={"flashcards": FlashcardDeck.model_validate_json(body).cards})

    def is_about(self, note: ReviewNote) -> bool:
        """Whether a review note concerns this part (so a rewrite replaces it)."""
        where = note.where
        if self.kind == "lesson":
            return where == f"Lesson {self.key}"
        if self.kind == "quiz":
            return where == f"Quiz {self.key}" or where.startswith(f"Quiz {self.key} ")
        if self.kind == "exam":
            return where == "Exam" or where.startswith("Exam ")
        return where.startswith("Flashcard")


def parse_part(text: str, course: Course) -> PartRef:
    """`m1-l2`, `quiz:m1`, `exam` or `flashcards`, checked against the course; BadInput otherwise."""
    name = text.strip()
    if name == "exam":
        return PartRef("exam", "exam")
    if name == "flashcards":
        return PartRef("flashcards", "deck")
    if name.startswith("quiz:"):
        module_id = name[5:]
        if course.quiz_for(module_id) is None:
            ids = ", ".join(f"quiz:{quiz.module_id}" for quiz in course.quizzes)
            raise BadInput(f"The course has no quiz for module '{module_id[:40]}'; choose one of {ids}.")
        return PartRef("quiz", module_id)
    if course.lesson(name) is None:
        ids = ", ".join(lesson.id for lesson in course.lessons[:12])
        raise BadInput(f"'{name[:40]}' is not a part of this course; give {PART_HELP} (lessons: {ids}).")
    return PartRef("lesson", name)


def _source_course(store: Store, source_job_id: str) -> Course:
    try:
        record = store.get_job(source_job_id)
    except NotFound:
        raise BadInput("The course this part belonged to has been deleted, so there is nothing to rewrite.") from None
    course = store.get_course(source_job_id) if record.status == JobStatus.COMPLETED else None
    if course is None:
        raise BadInput(f"Job {source_job_id} has no finished course, so none of its parts can be regenerated; finish it first.")
    return course


def create_job(store: Store, source_job_id: str, part: str, instruction: str = "") -> JobRecord:
    """Queue a regenerate job for one part of a finished course (run it like any job)."""
    source_job_id = source_of(store, source_job_id)  # asked on a rewrite: it is its source's course
    course = _source_course(store, source_job_id)
    ref = parse_part(part, course)
    instruction = " ".join(instruction.split())
    if len(instruction) > MAX_INSTRUCTION_CHARS:
        raise BadInput(f"The instruction is {len(instruction)} characters long; keep it under {MAX_INSTRUCTION_CHARS}.")
    source = store.get_job(source_job_id)
    topic = f"{course.title}: new {ref.label(course)}"
    return store.create_regeneration(source.request, topic[:500], source_job_id, ref.name, instruction)


def source_of(store: Store, job_id: str) -> str:
    """The job whose course a job shows: the source for a regenerate job, else the job itself."""
    spec = store.regeneration(job_id)
    return spec[0] if spec else job_id


# ---------------------------------------------------------------------------------------------
# Earlier versions


@dataclass(frozen=True)
class PartVersion:
    part: str
    version: int
    saved_at: float
    replaced_by: str | None


def versions(store: Store, job_id: str) -> list[PartVersion]:
    """Earlier versions of the parts of a job's course, newest first."""
    return [PartVersion(*row) for row in store.part_versions(source_of(store, job_id))]


def restore(store: Store, job_id: str, part: str, version: int) -> Course:
    """Put an earlier version back; the version it replaces is kept in its place (nothing is lost)."""
    job_id = source_of(store, job_id)
    course = _source_course(store, job_id)
    ref = parse_part(part, course)
    body = store.part_version(job_id, ref.name, version)
    restored = ref.put(course, body)
    store.replace_course_part(job_id, ref.name, ref.body(course), restored, (ref.kind, ref.key, body), consume_version=version)
    return restored


# ---------------------------------------------------------------------------------------------
# The job


class RegenerateJob(_Job):
    """The steps of a regenerate job: prepare, write the one part, review it, swap it in."""

    def _units(self) -> dict[str, int]:
        return {"lessons": 1, "quizzes": 1}

    async def run(self) -> Course:
        source_id, part, instruction = self.store.regeneration(self.job.id)  # type: ignore[misc]
        self.record(JobStarted, generator=self.generator.name, model=self.generator.model, resumed=self.saved.count > 0, parts_saved=self.saved.count)
        async with self.step("prepare"):
            course = _source_course(self.store, source_id)
            ref = parse_part(part, course)
            self.ctx.material = await asyncio.to_thread(load_material, self.request.material)
            self.ctx.outline = course.outline
            self.ctx.lessons = {lesson.id: lesson for lesson in course.lessons}
            self.ctx.instruction = instruction
        async with self.step(ref.step()):
            new_part = self._saved(ref) or await self._write(ref, course)
            if not self._saved(ref):
                self.save(ref.kind, ref.key, new_part)
        async with self.step("review"):
            updated = await asyncio.to_thread(_reviewed, course, ref, new_part.model_dump_json(), self.ctx.material)
        async with self.step("save"):
            self.cancel.raise_if_cancelled()
            self.store.replace_course_part(
                source_id, ref.name, ref.body(course), updated, (ref.kind, ref.key, new_part.model_dump_json()), made_by=self.job.id
            )
        return updated

    def _saved(self, ref: PartRef) -> BaseModel | None:
        """The new part when an earlier run of this job already wrote it (Resume)."""
        if ref.kind == "lesson":
            return self.saved.lessons.get(ref.key)
        if ref.kind == "quiz":
            return self.saved.quizzes.get(ref.key)
        return self.saved.exam if ref.kind == "exam" else self.saved.flashcards

    async def _write(self, ref: PartRef, course: Course) -> BaseModel:
        outline = course.outline
        if ref.kind == "lesson":
            return await self._write_lesson(ref.key, course)
        if ref.kind == "quiz":
            module = next(m for m in outline.modules if m.id == ref.key)
            lessons = [self.ctx.lessons[plan.id] for plan in module.lessons if plan.id in self.ctx.lessons]
            return await self.call(lambda: self.generator.quiz(self.ctx, module, lessons))
        if ref.kind == "exam":
            return await self.call(lambda: self.generator.exam(self.ctx, list(course.lessons)))
        return await self.call(lambda: self.generator.flashcards(self.ctx, list(course.lessons)))

    async def _write_lesson(self, lesson_id: str, course: Course) -> Lesson:
        plans = course.outline.lesson_plans()
        index, (module, plan) = next((i, pair) for i, pair in enumerate(plans, 1) if pair[1].id == lesson_id)
        self.record(TopicStarted, lesson_id=plan.id, module_id=module.id, title=plan.title, index=index, total=len(plans))
        text = ""

        def on_text(delta: str) -> None:
            nonlocal text
            text = "" if delta == TEXT_RESTART else (text + delta)[-PREVIEW_CHARS:]
            self.progress.tokens += max(1, len(delta) // 4)
            self.progress.update(min(len(text) / 4000, 0.9), f"Rewriting “{plan.title}”", preview=text, lesson_id=plan.id)

        lesson = await self.call(lambda: self.generator.lesson(self.ctx, module, plan, on_text))
        self.record(TopicCompleted, lesson_id=plan.id, title=lesson.title, index=index, total=len(plans), done=1, lesson=lesson)
        return lesson


def _reviewed(course: Course, ref: PartRef, body: str, material) -> Course:  # noqa: ANN001 - Material
    """The course with the new part after the review step; other parts and their notes stay as they were."""
    candidate = ref.put(course, body)
    quizzes, exam, cards, notes = review_course(
        candidate.outline, candidate.lessons, candidate.quizzes, candidate.exam, candidate.flashcards, material
    )
    reviewed = {
        "lesson": lambda: candidate,
        "quiz": lambda: ref.put(course, next(q for q in quizzes if q.module_id == ref.key).model_dump_json()),
        "exam": lambda: ref.put(course, exam.model_dump_json()),
        "flashcards": lambda: ref.put(course, json.dumps({"cards": [c.model_dump(mode="json") for c in cards]})),
    }[ref.kind]()
    kept = [note for note in course.review if not ref.is_about(note)]
    return reviewed.model_copy(update={"review": kept + [note for note in notes if ref.is_about(note)]})


__all__ = ["PART_HELP", "PartRef", "PartVersion", "RegenerateJob", "create_job", "parse_part", "restore", "source_of", "versions"]
