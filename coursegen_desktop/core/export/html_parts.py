"""HTML fragments shared by the web page, SCORM, EPUB and PDF exports.

They use only markup that Qt's rich-text engine, EPUB readers (XHTML) and browsers all
understand: headings with `id`s (Qt reads them as anchors), paragraphs, lists and tables.
Every course string goes through `esc`; lesson bodies through `render_markdown_safe`.
"""

from __future__ import annotations

from coursegen_desktop.core.export.course_parts import (
    ModuleView,
    all_assessments,
    answer_line,
    lesson_heading,
    lesson_markdown,
    module_views,
)
from coursegen_desktop.core.export.markdown_render import render_markdown_safe
from coursegen_desktop.core.export.text import esc, esc_lines
from coursegen_desktop.core.models import Course, Lesson, Question


def heading(level: int, text: str, anchor: str = "", attrs: str = "") -> str:
    """`<hN id=…>` with escaped text; `attrs` is trusted markup from the caller, never course text."""
    id_attr = f' id="{esc(anchor)}"' if anchor else ""
    return f"<h{level}{id_attr}{attrs}>{esc(text)}</h{level}>\n"


def course_header(course: Course, level: int = 1) -> str:
    facts = f"{course.topic} · {course.level.value} · {course.language} · {course.created_at:%Y-%m-%d}"
    parts = [heading(level, course.title, "top")]
    if course.description.strip():
        parts.append(f'<p class="description">{esc_lines(course.description)}</p>\n')
    parts.append(f'<p class="facts">{esc(facts)}</p>\n')
    if course.outline.objectives:
        items = "".join(f"<li>{esc(objective.text)}</li>" for objective in course.outline.objectives)
        parts.append(f'<p class="label">Objectives</p>\n<ul class="objectives">{items}</ul>\n')
    return "".join(parts)


def lesson_anchor(module: ModuleView, index: int) -> str:
    return f"m{module.number}-l{index}"


def lesson_section(module: ModuleView, index: int, lesson: Lesson, level: int) -> str:
    body = render_markdown_safe(lesson_markdown(lesson, level + 1))
    title = heading(level, lesson_heading(module, index, lesson), lesson_anchor(module, index))
    return f'<section class="lesson">\n{title}{body}</section>\n'


def questions_list(questions: list[Question]) -> str:
    """Questions with lettered options and no answers: for print and e-books, keyed at the end."""
    items = []
    for question in questions:
        options = "".join(f"<li>{esc(option)}</li>" for option in question.options)
        items.append(f'<li><p class="stem">{esc_lines(question.stem)}</p><ol type="A" class="options">{options}</ol></li>\n')
    return f'<ol class="questions">\n{"".join(items)}</ol>\n'


def answer_key(course: Course, level: int, attrs: str = "") -> str:
    parts = [heading(level, "Answer key", "answer-key", attrs)]
    for title, questions in all_assessments(course):
        parts.append(heading(level + 1, title))
        items = []
        for question in questions:
            why = f" — {esc_lines(question.explanation)}" if question.explanation.strip() else ""
            items.append(f"<li><strong>{esc(answer_line(question))}</strong>{why}</li>\n")
        parts.append(f'<ol class="key">\n{"".join(items)}</ol>\n')
    return "".join(parts)


def flashcards(course: Course, level: int, attrs: str = "") -> str:
    if not course.flashcards:
        return ""
    cards = "".join(f"<dt>{esc_lines(card.front)}</dt><dd>{esc_lines(card.back)}</dd>\n" for card in course.flashcards)
    return heading(level, "Flashcards", "flashcards", attrs) + f'<dl class="flashcards">\n{cards}</dl>\n'


def outline_list(course: Course, link: bool) -> str:
    """The modules and their lessons as nested lists, as links to the sections when `link`."""

    def item(text: str, anchor: str) -> str:
        return f'<a href="#{anchor}">{esc(text)}</a>' if link else esc(text)

    modules = []
    for module in module_views(course):
        lessons = "".join(
            f"<li>{item(lesson_heading(module, i, lesson), lesson_anchor(module, i))}</li>" for i, lesson in enumerate(module.lessons, 1)
        )
        modules.append(f"<li>{item(module.heading, f'm{module.number}')}<ul>{lessons}</ul></li>\n")
    return f'<ul class="outline">\n{"".join(modules)}</ul>\n'
