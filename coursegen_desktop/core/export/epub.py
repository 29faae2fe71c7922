"""EPUB 3 e-book: one chapter per lesson, the quizzes and exam, the answer key, flashcards.

Written with the standard library (an EPUB is a zip of XML files), so no AGPL-licensed EPUB
library ends up in an MIT app's bundle. The layout follows EPUB 3.3: an uncompressed `mimetype`
first, `META-INF/container.xml` pointing at the package document, a navigation document and one
XHTML file per chapter, every course string escaped (`text.esc`) and every lesson body rendered
by `render_markdown_safe` (XHTML-style output: `<br />`, `<hr />`).

Readers have no scripting to rely on, so questions are printed with lettered options and the
key is its own chapter at the end. The identifier is derived from the title, so a re-export
replaces the book in a reader's library instead of adding a second copy.
"""

from __future__ import annotations

import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path

from coursegen_desktop import APP_NAME
from coursegen_desktop.core.export import html_parts
from coursegen_desktop.core.export.course_parts import lesson_heading, module_views
from coursegen_desktop.core.export.text import esc, language_code, one_line
from coursegen_desktop.core.models import Course

CSS = """
body { font-family: serif; line-height: 1.5; }
h1, h2, h3 { font-family: sans-serif; line-height: 1.25; }
pre { white-space: pre-wrap; font-size: 0.85em; background: #f1f3f5; padding: 0.5em; }
table { border-collapse: collapse; } th, td { border: 1px solid #999; padding: 0.2em 0.5em; }
.facts, .label { color: #5b6670; } .stem { font-weight: bold; margin-bottom: 0.2em; }
ol.options { margin-top: 0; } dt { font-weight: bold; margin-top: 0.6em; }
"""

ROOT = "EPUB/"  # where the package document and everything it lists live inside the zip
CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"""


@dataclass
class Chapter:
    file_name: str  # relative to ROOT: lower-case letters, digits and hyphens only
    title: str
    body: str  # trusted XHTML built from escaped course text


@dataclass
class TocEntry:
    title: str
    href: str
    children: list[TocEntry] = field(default_factory=list)


def xhtml_document(title: str, body: str, lang: str, *, head_extra: str = "", epub_ns: bool = False) -> str:
    """A complete XHTML5 content document (the EPUB flavour of HTML: XML syntax, UTF-8)."""
    ns = ' xmlns:epub="http://www.idpf.org/2007/ops"' if epub_ns else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml"{ns} xml:lang="{esc(lang)}" lang="{esc(lang)}">\n'
        f'<head>\n<meta charset="UTF-8" />\n<title>{esc(title)}</title>\n'
        f'<link rel="stylesheet" type="text/css" href="style/course.css" />\n{head_extra}</head>\n'
        f"<body>\n{body}</body>\n</html>\n"
    )


def _chapters(course: Course, title: str) -> tuple[list[Chapter], list[TocEntry]]:
    """Every chapter in reading order, and the table of contents (modules hold their lessons)."""
    intro = Chapter("intro.xhtml", title, html_parts.course_header(course) + html_parts.outline_list(course, link=False))
    chapters, toc = [intro], [TocEntry(title, intro.file_name)]
    for module in module_views(course):
        children: list[Chapter] = []
        for index, lesson in enumerate(module.lessons, start=1):
            body = html_parts.lesson_section(module, index, lesson, 1)
            children.append(Chapter(f"lesson-{module.number:02d}-{index:02d}.xhtml", lesson_heading(module, index, lesson), body))
        if module.quiz is not None:
            body = html_parts.heading(1, module.quiz.title) + html_parts.questions_list(module.quiz.questions)
            children.append(Chapter(f"quiz-{module.number:02d}.xhtml", module.quiz.title, body))
        if children:
            chapters += children
            toc.append(TocEntry(module.heading, children[0].file_name, [TocEntry(c.title, c.file_name) for c in children]))
    back_matter = [
        Chapter("exam.xhtml", course.exam.title, html_parts.heading(1, course.exam.title) + html_parts.questions_list(course.exam.questions)),
        Chapter("answer-key.xhtml", "Answer key", html_parts.answer_key(course, 1)),
    ]
    if course.flashcards:
        back_matter.append(Chapter("flashcards.xhtml", "Flashcards", html_parts.flashcards(course, 1)))
    chapters += back_matter
    toc += [TocEntry(c.title, c.file_name) for c in back_matter]
    for chapter in chapters:
        chapter.title = one_line(chapter.title) or "Untitled"
    return chapters, toc


def _nav_list(entries: list[TocEntry]) -> str:
    items = []
    for entry in entries:
        inner = _nav_list(entry.children) if entry.children else ""
        items.append(f'<li><a href="{esc(entry.href)}">{esc(one_line(entry.title) or "Untitled")}</a>{inner}</li>\n')
    return f"<ol>\n{''.join(items)}</ol>\n"


def _nav(toc: list[TocEntry], lang: str) -> str:
    body = f'<nav epub:type="toc" id="toc">\n<h1>Contents</h1>\n{_nav_list(toc)}</nav>\n'
    return xhtml_document("Contents", body, lang, epub_ns=True)


def _package(course: Course, title: str, lang: str, chapters: list[Chapter]) -> str:
    identifier = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'coursegen:' + title)}"
    created = course.created_at.astimezone(timezone.utc) if course.created_at.tzinfo else course.created_at
    metadata = [
        f'<dc:identifier id="book-id">{esc(identifier)}</dc:identifier>',
        f"<dc:title>{esc(title)}</dc:title>",
        f"<dc:language>{esc(lang)}</dc:language>",
        f"<dc:creator>{esc(APP_NAME)}</dc:creator>",
        f"<dc:date>{created:%Y-%m-%d}</dc:date>",
        f'<meta property="dcterms:modified">{created:%Y-%m-%dT%H:%M:%SZ}</meta>',
    ]
    for name, value in (("description", course.description or course.outline.description), ("subject", course.topic)):
        if one_line(value):
            metadata.append(f"<dc:{name}>{esc(one_line(value))}</dc:{name}>")
    manifest = [
        '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
        '<item id="style" href="style/course.css" media-type="text/css"/>',
    ]
    spine = ['<itemref idref="nav"/>']
    for number, chapter in enumerate(chapters, start=1):
        manifest.append(f'<item id="c{number}" href="{esc(chapter.file_name)}" media-type="application/xhtml+xml"/>')
        spine.append(f'<itemref idref="c{number}"/>')
    newline = "\n    "
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id" xml:lang="{esc(lang)}">\n'
        f'  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n    {newline.join(metadata)}\n  </metadata>\n'
        f"  <manifest>\n    {newline.join(manifest)}\n  </manifest>\n"
        f"  <spine>\n    {newline.join(spine)}\n  </spine>\n"
        "</package>\n"
    )


def build_files(course: Course) -> dict[str, bytes]:
    """Every file of the book (path inside the zip → bytes), `mimetype` first."""
    title = one_line(course.title) or "Course"
    lang = language_code(course.language)
    chapters, toc = _chapters(course, title)
    files = {
        "mimetype": b"application/epub+zip",
        "META-INF/container.xml": CONTAINER.encode(),
        ROOT + "package.opf": _package(course, title, lang, chapters).encode(),
        ROOT + "nav.xhtml": _nav(toc, lang).encode(),
        ROOT + "style/course.css": CSS.encode(),
    }
    for chapter in chapters:
        files[ROOT + chapter.file_name] = xhtml_document(chapter.title, chapter.body, lang).encode()
    return files


def write_epub(course: Course, path: Path) -> None:
    files = build_files(course)
    with zipfile.ZipFile(path, "w") as archive:
        # The first entry, stored and without extra fields, so readers can sniff the type at byte 30.
        archive.writestr(zipfile.ZipInfo("mimetype", date_time=(1980, 1, 1, 0, 0, 0)), files.pop("mimetype"), zipfile.ZIP_STORED)
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=course.created_at.timetuple()[:6])
            archive.writestr(info, data, zipfile.ZIP_DEFLATED)
