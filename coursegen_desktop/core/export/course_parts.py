"""The course in reading order, as every exporter walks it: module by module, lessons then quiz.

The outline gives the order; lessons and quizzes are looked up by id. Anything the outline
does not mention (a repaired or hand-edited course) is still exported, in a last module,
because an export must never silently drop part of what the user made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from coursegen_desktop.core.export.markdown_render import shift_headings
from coursegen_desktop.core.export.text import one_line
from coursegen_desktop.core.models import Course, Lesson, Question, Quiz

_LEADING_HEADING = re.compile(r"\A\s*#{1,6}[ \t]+(.*?)[ \t#]*(?:\n|\Z)")


@dataclass
class ModuleView:
    number: int
    title: str
    summary: str
    lessons: list[Lesson] = field(default_factory=list)
    quiz: Quiz | None = None

    @property
    def heading(self) -> str:
        return f"Module {self.number}: {one_line(self.title)}"


def module_views(course: Course) -> list[ModuleView]:
    views: list[ModuleView] = []
    seen_lessons: set[int] = set()
    seen_quizzes: set[int] = set()
    for number, plan in enumerate(course.outline.modules, start=1):
        view = ModuleView(number, plan.title, plan.summary)
        planned = [course.lesson(lesson_plan.id) for lesson_plan in plan.lessons]
        extra = [lesson for lesson in course.lessons if lesson.module_id == plan.id]
        for lesson in [*planned, *extra]:
            if lesson is not None and id(lesson) not in seen_lessons:
                seen_lessons.add(id(lesson))
                view.lessons.append(lesson)
        view.quiz = course.quiz_for(plan.id)
        if view.quiz is not None:
            seen_quizzes.add(id(view.quiz))
        views.append(view)
    rest = ModuleView(len(views) + 1, "More lessons", "")
    rest.lessons = [lesson for lesson in course.lessons if id(lesson) not in seen_lessons]
    orphans = [quiz for quiz in course.quizzes if id(quiz) not in seen_quizzes]
    if orphans:  # several quizzes cannot share one module view: fold their questions together
        rest.quiz = Quiz(module_id="", title="More questions", questions=[q for quiz in orphans for q in quiz.questions])
    if rest.lessons or rest.quiz:
        views.append(rest)
    return views


def lesson_heading(module: ModuleView, index: int, lesson: Lesson) -> str:
    return f"Lesson {module.number}.{index}: {one_line(lesson.title)}"


def lesson_markdown(lesson: Lesson, top_level: int) -> str:
    """The lesson body with its own headings moved below the lesson title.

    Generators often repeat the lesson title as the first heading; the exporters print the
    title themselves, so that copy is dropped.
    """
    body = lesson.markdown
    match = _LEADING_HEADING.match(body)
    if match and one_line(match.group(1)).casefold() == one_line(lesson.title).casefold():
        body = body[match.end() :]
    return shift_headings(body, top_level)


def letter(index: int) -> str:
    return "ABCDEF"[index]


def answer_line(question: Question) -> str:
    """`B. the option` — how every answer key names the correct option."""
    return f"{letter(question.answer_index)}. {one_line(question.answer)}"


def all_assessments(course: Course) -> list[tuple[str, list[Question]]]:
    """Every question set with its title, module quizzes first, then the exam: the answer-key order."""
    sets = [(one_line(module.quiz.title), module.quiz.questions) for module in module_views(course) if module.quiz]
    return [*sets, (one_line(course.exam.title), course.exam.questions)]
