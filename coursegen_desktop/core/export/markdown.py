"""Markdown exports: the whole course in one `.md` file, or a folder with one file per lesson.

Titles, stems and options are plain text, so they are escaped (`md_escape`) before they sit in
markdown structure. Lesson bodies are markdown already and are kept as written, with their
headings moved below the lesson title; renderers in this app show them with raw HTML off.
"""

from __future__ import annotations

from pathlib import Path

from coursegen_desktop.core.export.course_parts import (
    ModuleView,
    all_assessments,
    answer_line,
    lesson_heading,
    lesson_markdown,
    letter,
    module_views,
)
from coursegen_desktop.core.export.text import md_escape, slug
from coursegen_desktop.core.models import Course, Question


def _header(course: Course) -> list[str]:
    lines = [f"# {md_escape(course.title)}", ""]
    lines += [md_escape(line) for line in course.description.splitlines() if line.strip()]
    facts = f"{course.topic} · {course.level.value} · {course.language} · {course.created_at:%Y-%m-%d}"
    lines += ["", f"*{md_escape(facts)}*", ""]
    if course.outline.objectives:
        lines += ["**Objectives**", ""] + [f"- {md_escape(objective.text)}" for objective in course.outline.objectives] + [""]
    return lines


def _questions(questions: list[Question]) -> list[str]:
    lines: list[str] = []
    for number, question in enumerate(questions, start=1):
        lines += [f"{number}. {md_escape(question.stem)}", ""]
        lines += [f"   - {letter(i)}. {md_escape(option)}" for i, option in enumerate(question.options)]
        lines.append("")
    return lines


def _answer_key(course: Course, level: int) -> list[str]:
    lines = ["#" * level + " Answer key", ""]
    for title, questions in all_assessments(course):
        lines += ["#" * (level + 1) + f" {md_escape(title)}", ""]
        for number, question in enumerate(questions, start=1):
            explanation = f" — {md_escape(question.explanation)}" if question.explanation.strip() else ""
            lines.append(f"{number}. **{md_escape(answer_line(question))}**{explanation}")
        lines.append("")
    return lines


def _flashcards(course: Course, level: int) -> list[str]:
    if not course.flashcards:
        return []
    lines = ["#" * level + " Flashcards", ""]
    lines += [f"- **{md_escape(card.front)}** — {md_escape(card.back)}" for card in course.flashcards]
    return [*lines, ""]


def _module_quiz(module: ModuleView, level: int) -> list[str]:
    if module.quiz is None:
        return []
    return ["#" * level + f" {md_escape(module.quiz.title)}", "", *_questions(module.quiz.questions)]


def _exam(course: Course, level: int) -> list[str]:
    return ["#" * level + f" {md_escape(course.exam.title)}", "", *_questions(course.exam.questions)]


def course_markdown(course: Course) -> str:
    """The whole course as one markdown document, answer key near the end so it is not a spoiler."""
    modules = module_views(course)
    lines = [*_header(course), "## Outline", ""]
    for module in modules:
        lines.append(f"- {md_escape(module.heading)}")
        lines += [f"  - {md_escape(lesson_heading(module, i, lesson))}" for i, lesson in enumerate(module.lessons, 1)]
    lines.append("")
    for module in modules:
        lines += [f"## {md_escape(module.heading)}", ""]
        lines += [md_escape(module.summary), ""] if module.summary.strip() else []
        for index, lesson in enumerate(module.lessons, start=1):
            lines += [f"### {md_escape(lesson_heading(module, index, lesson))}", "", lesson_markdown(lesson, 4).strip(), ""]
        lines += _module_quiz(module, 3)
    lines += _exam(course, 2) + _answer_key(course, 2) + _flashcards(course, 2)
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(course: Course, path: Path) -> None:
    path.write_text(course_markdown(course), encoding="utf-8")


def _lesson_file(module: ModuleView, index: int, title: str) -> str:
    return f"{module.number:02d}-{index:02d}-{slug(title, 'lesson')}.md"


def write_markdown_folder(course: Course, folder: Path) -> None:
    """`index.md`, one `NN-NN-title.md` per lesson, `quizzes.md` (with the key), `flashcards.md`."""
    modules = module_views(course)
    index = [*_header(course), "## Contents", ""]
    for module in modules:
        index += [f"### {md_escape(module.heading)}", ""]
        for number, lesson in enumerate(module.lessons, start=1):
            name = _lesson_file(module, number, lesson.title)
            heading = lesson_heading(module, number, lesson)
            index.append(f"- [{md_escape(heading)}]({name})")
            page = [f"# {md_escape(heading)}", "", f"*{md_escape(module.heading)}* · [Contents](index.md)", ""]
            page.append(lesson_markdown(lesson, 2).strip())
            (folder / name).write_text("\n".join(page).rstrip() + "\n", encoding="utf-8")
        index.append("")
    index += ["### Practice", "", "- [Quizzes, exam and answer key](quizzes.md)"]
    index += ["- [Flashcards](flashcards.md)"] if course.flashcards else []
    (folder / "index.md").write_text("\n".join(index).rstrip() + "\n", encoding="utf-8")

    quizzes = [f"# {md_escape(course.title)}: quizzes", "", "[Contents](index.md)", ""]
    for module in modules:
        quizzes += _module_quiz(module, 2)
    quizzes += _exam(course, 2) + _answer_key(course, 2)
    (folder / "quizzes.md").write_text("\n".join(quizzes).rstrip() + "\n", encoding="utf-8")
    if course.flashcards:
        cards = [*_flashcards(course, 1), "[Contents](index.md)"]
        (folder / "flashcards.md").write_text("\n".join(cards) + "\n", encoding="utf-8")
