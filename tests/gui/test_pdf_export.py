"""The PDF export, printed by Qt offscreen and read back with pypdf."""

from __future__ import annotations

import subprocess
import sys
import threading
import unicodedata
from pathlib import Path

import pytest
from pypdf import PageObject, PdfReader
from PySide6.QtWidgets import QApplication

from coursegen_desktop.core.export import export_course
from coursegen_desktop.core.export.print_html import print_html
from coursegen_desktop.core.models import Course
from coursegen_desktop.gui.pdf_export import FOOTER_MM, MARGINS_MM, write_pdf
from coursegen_desktop.gui.pdf_format import register_pdf_format
from tests.helpers.course_factory import make_course

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]


def squash(text: str) -> str:
    """pypdf splits words and lines where Qt placed glyph runs, and keeps ligatures (ﬁ)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def body_and_footer(page: PageObject) -> tuple[str, str]:
    """The page's text as a viewer shows it, split into the body and the footer.

    Qt draws the last line of a paragraph that continues on the next page once more, above
    that page's clip (QTextLayout::draw starts one line early); it is invisible but pypdf
    extracts it, so text above the top margin is left out here.
    """
    points = 72 / 25.4
    top_edge = float(page.mediabox.height) - MARGINS_MM.top() * points
    footer_top = (MARGINS_MM.bottom() + FOOTER_MM) * points
    body: list[str] = []
    footer: list[str] = []

    def keep(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if y < top_edge:
            (footer if y < footer_top else body).append(text)

    page.extract_text(visitor_text=keep)
    return squash("".join(body)), squash("".join(footer))


def read_pdf(path: Path) -> tuple[list[str], list[str]]:
    """Body text and footer text of every page."""
    reader = PdfReader(path)
    assert reader.metadata is not None and reader.metadata.producer.startswith("Qt")
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    bodies, footers = zip(*(body_and_footer(page) for page in reader.pages), strict=True)
    return list(bodies), list(footers)


def first_page_with(pages: list[str], text: str) -> int:
    return next(number for number, page in enumerate(pages, start=1) if squash(text) in page)


@pytest.mark.parametrize("hostile", [False, True], ids=["plain", "hostile"])
def test_pdf_has_every_part_with_page_numbers(qapp: QApplication, tmp_path: Path, hostile: bool) -> None:
    course = make_course(hostile=hostile, modules=2, lessons=2, questions=3)
    pages, footers = read_pdf(write_pdf(course, tmp_path / "course.pdf"))
    everything = "".join(pages)
    assert len(pages) >= 6
    for lesson in course.lessons:
        assert squash(lesson.title) in everything
    for question in [q for quiz in course.quizzes for q in quiz.questions] + course.exam.questions:
        assert squash(question.stem) in everything
        assert squash(question.explanation) in everything  # in the answer key
    assert footers[0] == ""  # no footer on the title page
    for number, footer in enumerate(footers[1:], start=2):
        assert footer.endswith(f"{number}/{len(pages)}")
    exam_page = first_page_with(pages[2:], course.exam.title) + 2
    assert first_page_with(pages[2:], "Answer key") + 2 > exam_page
    if not hostile:  # the contents page lists the page each part starts on (hostile titles repeat)
        assert pages[0].startswith(squash(course.title)) and "Contents" in pages[1]
        assert f"{squash(course.exam.title)}{exam_page}" in pages[1]
        for index, lesson in enumerate(course.lessons[:2], start=1):
            assert f"{squash(lesson.title)}{first_page_with(pages[2:], f'Lesson 1.{index}: {lesson.title}') + 2}" in pages[1]


def test_hostile_markup_is_printed_as_text(qapp: QApplication, tmp_path: Path) -> None:
    course = make_course(hostile=True, modules=1, lessons=1, questions=2)
    everything = "".join(read_pdf(write_pdf(course, tmp_path / "h.pdf"))[0])
    assert squash("<script>alert('xss')</script>") in everything  # shown, not interpreted
    assert "tracker.example" not in print_html(course).split("<a href=")[0]  # no remote image is loaded
    assert '<img src="http' not in print_html(course)


def test_pdf_through_the_registry_from_a_worker_thread(qapp: QApplication, tmp_path: Path) -> None:
    """The app exports on a worker thread; the registry imports the Qt writer only then."""
    result: list[Path | BaseException] = []

    def export(course: Course) -> None:
        try:
            result.append(export_course(course, "pdf", tmp_path))
        except BaseException as exc:  # reported to the test thread
            result.append(exc)

    register_pdf_format()
    thread = threading.Thread(target=export, args=(make_course(),))
    thread.start()
    thread.join(60)
    assert len(result) == 1 and isinstance(result[0], Path), result
    assert result[0].name == "Introduction to Photosynthesis.pdf"
    assert squash(make_course().lessons[0].title) in "".join(read_pdf(result[0])[0])


def test_pdf_from_the_command_line_makes_its_own_offscreen_app(tmp_path: Path) -> None:
    out = tmp_path / "cli.pdf"
    script = (
        "from pathlib import Path; from tests.helpers.course_factory import make_course\n"
        "from coursegen_desktop.core.export import export_course\n"
        "from coursegen_desktop.gui.pdf_format import register_pdf_format; register_pdf_format()\n"
        f"export_course(make_course(), 'pdf', Path({str(out)!r}))\n"
    )
    env = {key: value for key, value in __import__("os").environ.items() if key not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=60)
    assert len(PdfReader(out).pages) >= 5
