"""The course as paginated HTML for Qt's rich-text engine, which the PDF writer in `gui/` prints.

Building the HTML here keeps it testable without Qt and shares the safe renderer with the
other exports. Qt understands a subset of HTML 4 and CSS 2: page breaks, `id`s as anchors,
lists and tables, but no flexbox and no scripts. The table of contents is laid out twice: once
with placeholder page numbers to find where each anchor lands, once with the real numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coursegen_desktop.core.export import html_parts
from coursegen_desktop.core.export.course_parts import lesson_heading, module_views
from coursegen_desktop.core.export.text import esc, esc_lines
from coursegen_desktop.core.models import Course

# Qt's rich text honours font-size keywords reliably (pt sizes on h4-h5 are ignored) and
# margins only in px, which it scales to the printer's resolution. The body size is set by the
# PDF writer (QTextDocument.setDefaultFont).
STYLE = """
h1 { font-size: xx-large; margin-bottom: 16px; }
h2 { font-size: x-large; margin-top: 24px; margin-bottom: 8px; color: #1d3f7a; }
h3 { font-size: large; margin-top: 18px; margin-bottom: 6px; }
h4 { font-size: medium; margin-top: 12px; margin-bottom: 4px; }
h5 { font-size: medium; margin-top: 10px; }
h6 { font-size: medium; margin-top: 10px; font-style: italic; }
p, li { margin-top: 3px; margin-bottom: 3px; }
pre { font-family: monospace; font-size: small; background-color: #f1f3f5; }
code { font-family: monospace; }
th { background-color: #e8ebee; }
.facts, .label { color: #5b6670; }
.label { font-weight: bold; margin-top: 12px; }
.stem { font-weight: bold; margin-top: 10px; }
.toc-page { color: #5b6670; }
"""

_BREAK = ' style="page-break-before: always"'
_TITLE_SPACER = '<p style="font-size: 96pt">&#160;</p>\n'  # Qt ignores a top margin on the first block
PLACEHOLDER_PAGE = 888  # as wide as any real page number, so the first layout paginates like the second


@dataclass(frozen=True)
class TocEntry:
    anchor: str
    label: str
    depth: int  # 0 for modules and the back matter, 1 for lessons


def toc_entries(course: Course) -> list[TocEntry]:
    entries: list[TocEntry] = []
    for module in module_views(course):
        entries.append(TocEntry(f"m{module.number}", module.heading, 0))
        for index, lesson in enumerate(module.lessons, start=1):
            entries.append(TocEntry(html_parts.lesson_anchor(module, index), lesson_heading(module, index, lesson), 1))
        if module.quiz is not None:
            entries.append(TocEntry(f"quiz-{module.number}", module.quiz.title, 1))
    entries += [TocEntry("exam", course.exam.title, 0), TocEntry("answer-key", "Answer key", 0)]
    if course.flashcards:
        entries.append(TocEntry("flashcards", "Flashcards", 0))
    return entries


def _toc(course: Course, pages: Mapping[str, int]) -> str:
    rows = []
    for entry in toc_entries(course):
        indent = "&#160;" * 6 * entry.depth
        page = pages.get(entry.anchor, PLACEHOLDER_PAGE)
        rows.append(f'<tr><td>{indent}{esc(entry.label)}</td><td align="right" class="toc-page">{page}</td></tr>\n')
    return f'<h2{_BREAK}>Contents</h2>\n<table width="100%" cellspacing="0" cellpadding="2">\n{"".join(rows)}</table>\n'


def print_html(course: Course, pages: Mapping[str, int] | None = None) -> str:
    """Title page, contents (with `pages` if known), modules, exam, answer key and flashcards.

    Each module and the back matter start on a new page. Questions are printed without
    answers; the key at the end gives answer and explanation.
    """
    parts = [_TITLE_SPACER, html_parts.course_header(course), _toc(course, pages or {})]
    for module in module_views(course):
        parts.append(html_parts.heading(2, module.heading, f"m{module.number}", _BREAK))
        parts.append(f"<p>{esc_lines(module.summary)}</p>\n" if module.summary.strip() else "")
        parts += [html_parts.lesson_section(module, i, lesson, 3) for i, lesson in enumerate(module.lessons, start=1)]
        if module.quiz is not None:
            parts.append(html_parts.heading(3, module.quiz.title, f"quiz-{module.number}"))
            parts.append(html_parts.questions_list(module.quiz.questions))
    parts.append(html_parts.heading(2, course.exam.title, "exam", _BREAK))
    parts.append(html_parts.questions_list(course.exam.questions))
    parts.append(html_parts.answer_key(course, 2, _BREAK))
    parts.append(html_parts.flashcards(course, 2, _BREAK))
    body = "".join(parts)
    return f'<html><head><meta charset="utf-8"><title>{esc(course.title)}</title></head><body>{body}</body></html>'
