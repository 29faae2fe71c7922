"""Moodle XML: every quiz and the exam as multiple-choice questions, one category per quiz.

Built with ElementTree, so XML escaping cannot be forgotten. Question texts are declared as
HTML (`format="html"`) and so are HTML-escaped first: a stem about `<b>` shows `<b>`, it does
not turn bold. Category paths use `/` as separator; Moodle reads `//` as a literal slash.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from coursegen_desktop.core.export.course_parts import all_assessments, answer_line
from coursegen_desktop.core.export.text import esc, esc_lines, one_line
from coursegen_desktop.core.models import Course, Question


def _text(parent: ET.Element, tag: str, value: str, html: bool = True) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": "html"} if html else {})
    ET.SubElement(element, "text").text = value
    return element


def category_path(*names: str) -> str:
    return "$course$/top/" + "/".join(one_line(name).replace("/", "//") or "Untitled" for name in names)


def _category(quiz: ET.Element, path: str) -> None:
    question = ET.SubElement(quiz, "question", {"type": "category"})
    category = ET.SubElement(question, "category")
    ET.SubElement(category, "text").text = path


def _question(quiz: ET.Element, question: Question, name: str) -> None:
    element = ET.SubElement(quiz, "question", {"type": "multichoice"})
    _text(element, "name", name[:250], html=False)
    _text(element, "questiontext", f"<p>{esc_lines(question.stem)}</p>")
    explanation = f"<p>{esc_lines(question.explanation)}</p>" if question.explanation.strip() else ""
    _text(element, "generalfeedback", explanation)
    for tag, value in (
        ("defaultgrade", "1"),
        ("penalty", "0.3333333"),
        ("hidden", "0"),
        ("single", "true"),
        ("shuffleanswers", "true"),
        ("answernumbering", "ABCD"),
    ):
        ET.SubElement(element, tag).text = value
    _text(element, "correctfeedback", "<p>Correct.</p>")
    _text(element, "incorrectfeedback", "<p>Not quite.</p>")
    for index, option in enumerate(question.options):
        correct = index == question.answer_index
        answer = ET.SubElement(element, "answer", {"fraction": "100" if correct else "0", "format": "html"})
        ET.SubElement(answer, "text").text = f"<p>{esc(option)}</p>"
        feedback = "Correct." if correct else f"Not this one; the answer is {answer_line(question)}"
        _text(answer, "feedback", f"<p>{esc(feedback)}</p>")


def moodle_xml(course: Course) -> ET.ElementTree:
    quiz = ET.Element("quiz")
    for title, questions in all_assessments(course):
        _category(quiz, category_path(course.title, title))
        for number, question in enumerate(questions, start=1):
            _question(quiz, question, f"{title} — {number}: {one_line(question.stem)}")
    ET.indent(quiz)
    return ET.ElementTree(quiz)


def write_moodle_xml(course: Course, path: Path) -> None:
    moodle_xml(course).write(path, encoding="UTF-8", xml_declaration=True)
