"""GIFT (Moodle's plain-text question format): the quizzes and the exam, one category per quiz.

In GIFT `~ = # { } :` are syntax and a blank line ends a question, so every course string is
HTML-escaped (texts are declared `[html]`), then GIFT-escaped with backslashes, and newlines
are written as the `\\n` escape.
"""

from __future__ import annotations

import html
from pathlib import Path

from coursegen_desktop.core.export.course_parts import all_assessments, answer_line
from coursegen_desktop.core.export.moodle import category_path
from coursegen_desktop.core.export.text import one_line, xml_safe
from coursegen_desktop.core.models import Course, Question

_SPECIAL = "~=#{}:"


def gift_escape(text: str) -> str:
    text = xml_safe(text).replace("\\", "\\\\")
    for char in _SPECIAL:
        text = text.replace(char, "\\" + char)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _html(text: str) -> str:
    """Course text as GIFT-escaped HTML (quotes stay as they are: they are not special here)."""
    return gift_escape(html.escape(text.strip(), quote=False).replace("\n", "<br>\n"))


def _question(question: Question, title: str) -> str:
    lines = [f"::{gift_escape(one_line(title))}::[html]{_html(question.stem)} {{"]
    for index, option in enumerate(question.options):
        correct = index == question.answer_index
        feedback = "Correct." if correct else f"Not this one; the answer is {answer_line(question)}"
        lines.append(f"\t{'=' if correct else '~'}{_html(option)}#{_html(feedback)}")
    if question.explanation.strip():
        lines.append(f"\t####{_html(question.explanation)}")
    lines.append("}")
    return "\n".join(lines)


def course_gift(course: Course) -> str:
    blocks = ["// Questions exported by CourseGen Desktop"]
    for title, questions in all_assessments(course):
        blocks.append(f"$CATEGORY: {category_path(course.title, title)}")
        blocks += [_question(question, f"{title} — {number}") for number, question in enumerate(questions, start=1)]
    return "\n\n".join(blocks) + "\n"


def write_gift(course: Course, path: Path) -> None:
    path.write_text(course_gift(course), encoding="utf-8")
