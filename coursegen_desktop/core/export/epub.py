"""EPUB 3 e-book: one chapter per lesson, the quizzes and exam, the answer key, flashcards.

Readers have no scripting to rely on, so questions are printed with lettered options and the
key is its own chapter at the end. The identifier is derived from the title, so a re-export
replaces the book in a reader's library instead of adding a second copy.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from ebooklib import epub

from coursegen_desktop import APP_NAME
from coursegen_desktop.core.export import html_parts
from coursegen_desktop.core.export.course_parts import lesson_heading, module_views
from coursegen_desktop.core.export.text import language_code, one_line
from coursegen_desktop.core.models import Course

CSS = """
body { font-family: serif; line-height: 1.5; }
h1, h2, h3 { font-family: sans-serif; line-height: 1.25; }
pre { white-space: pre-wrap; font-size: 0.85em; background: #f1f3f5; padding: 0.5em; }
table { border-collapse: collapse; } th, td { border: 1px solid #999; padding: 0.2em 0.5em; }
.facts, .label { color: #5b6670; } .stem { font-weight: bold; margin-bottom: 0.2em; }
ol.options { margin-top: 0; } dt { font-weight: bold; margin-top: 0.6em; }
"""


def _chapter(book: epub.EpubBook, file_name: str, title: str, body: str, lang: str) -> epub.EpubHtml:
    chapter = epub.EpubHtml(title=one_line(title) or "Untitled", file_name=file_name, lang=lang)
    chapter.content = f"<html><head></head><body>{body}</body></html>"
    chapter.add_link(href="style/course.css", rel="stylesheet", type="text/css")
    book.add_item(chapter)
    return chapter


def build_book(course: Course) -> epub.EpubBook:
    book = epub.EpubBook()
    title = one_line(course.title) or "Course"
    lang = language_code(course.language)
    book.set_identifier(f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'coursegen:' + title)}")
    book.set_title(title)
    book.set_language(lang)
    book.add_author(APP_NAME)
    book.add_metadata("DC", "description", one_line(course.description or course.outline.description))
    book.add_metadata("DC", "subject", one_line(course.topic))
    book.add_metadata("DC", "date", course.created_at.strftime("%Y-%m-%d"))
    book.add_item(epub.EpubItem(uid="style", file_name="style/course.css", media_type="text/css", content=CSS.encode()))

    intro = _chapter(book, "intro.xhtml", title, html_parts.course_header(course) + html_parts.outline_list(course, link=False), lang)
    toc: list[object] = [intro]
    spine: list[object] = ["nav", intro]
    for module in module_views(course):
        children = []
        for index, lesson in enumerate(module.lessons, start=1):
            name = f"lesson-{module.number:02d}-{index:02d}.xhtml"
            body = html_parts.lesson_section(module, index, lesson, 1)
            children.append(_chapter(book, name, lesson_heading(module, index, lesson), body, lang))
        if module.quiz is not None:
            body = html_parts.heading(1, module.quiz.title) + html_parts.questions_list(module.quiz.questions)
            children.append(_chapter(book, f"quiz-{module.number:02d}.xhtml", module.quiz.title, body, lang))
        if children:
            toc.append((epub.Section(module.heading, href=children[0].file_name), children))
            spine += children
    back_matter = [
        ("exam.xhtml", course.exam.title, html_parts.heading(1, course.exam.title) + html_parts.questions_list(course.exam.questions)),
        ("answer-key.xhtml", "Answer key", html_parts.answer_key(course, 1)),
    ]
    if course.flashcards:
        back_matter.append(("flashcards.xhtml", "Flashcards", html_parts.flashcards(course, 1)))
    for name, chapter_title, body in back_matter:
        chapter = _chapter(book, name, chapter_title, body, lang)
        toc.append(chapter)
        spine.append(chapter)
    book.toc = toc
    book.spine = spine
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    return book


def write_epub(course: Course, path: Path) -> None:
    epub.write_epub(str(path), build_book(course))
