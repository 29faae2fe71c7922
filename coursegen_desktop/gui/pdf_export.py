"""Print a course to PDF with Qt (QTextDocument laid out for an A4 QPdfWriter).

Lives in `gui/` because it needs Qt; the app and the CLI add it to core's export registry
(`pdf_format.py`), and it is imported only when a PDF is asked for. Works inside the running app and from the CLI, where it makes an offscreen
QGuiApplication of its own. Pages are painted one by one rather than with `print_()`, so each
gets a footer with the course title and "page n of m", and the title page gets none.

The PDF is drawn into memory and written by Python: QPdfWriter reports no write errors, while
a Python write raises OSError on a full disk, which the export turns into one sentence.

Known Qt behaviour: when a paragraph continues on the next page, Qt draws its last line of the
previous page once more above the new page's clip (QTextLayout::draw starts one line early).
Viewers do not show it, but text extraction finds it, as it does in PDFs from QTextDocument.print_.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QBuffer, QCoreApplication, QIODevice, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument

from coursegen_desktop import APP_NAME
from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.export.print_html import STYLE, print_html
from coursegen_desktop.core.export.text import one_line
from coursegen_desktop.core.models import Course

RESOLUTION = 300  # dpi; text is vector either way, this only sets the layout grid
MARGINS_MM = QMarginsF(18, 18, 18, 14)
FOOTER_MM = 8
BODY_PT = 11

_own_app: QGuiApplication | None = None  # kept alive for the process: Qt allows one per process


def _ensure_gui_app() -> None:
    """Fonts and painting need a QGuiApplication; make an offscreen one if the caller has none."""
    global _own_app
    app = QCoreApplication.instance()
    if isinstance(app, QGuiApplication):
        return
    if app is not None or threading.current_thread() is not threading.main_thread():
        raise CourseGenError(
            ErrorKind.INTERNAL,
            "PDF export needs Qt's graphical application on the main thread; export to PDF from the app window or the command line.",
            resumable=False,
        )
    _own_app = QGuiApplication(["coursegen", "-platform", "offscreen"])


def _mm(mm: float) -> float:
    return mm / 25.4 * RESOLUTION


def _anchor_pages(doc: QTextDocument, page_height: float) -> dict[str, int]:
    """The page (1-based) on which each anchor (`id`) of the laid-out document lands."""
    layout = doc.documentLayout()
    pages: dict[str, int] = {}
    block = doc.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            for name in fragments.fragment().charFormat().anchorNames():
                pages.setdefault(name, int(layout.blockBoundingRect(block).top() // page_height) + 1)
            fragments += 1
        block = block.next()
    return pages


def _footer(painter: QPainter, rect: QRectF, title: str, page: int, total: int) -> None:
    painter.save()
    painter.setPen(QColor("#8a949e"))
    painter.drawLine(rect.topLeft(), rect.topRight())
    font = QFont()
    font.setPointSizeF(8)
    painter.setFont(font)
    number = f"{page} / {total}"
    number_width = painter.fontMetrics().horizontalAdvance(number) + _mm(6)
    elided = painter.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, int(rect.width() - number_width))
    painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, elided)
    painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, number)
    painter.restore()


def render_pdf(course: Course) -> bytes:
    """The course as PDF bytes: title page, contents with page numbers, lessons, quizzes, key."""
    _ensure_gui_app()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(
        QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, MARGINS_MM, QPageLayout.Unit.Millimeter)
    )
    writer.setTitle(one_line(course.title))
    writer.setCreator(APP_NAME)

    paint_rect = writer.pageLayout().paintRectPixels(RESOLUTION)
    body = QSizeF(paint_rect.width(), paint_rect.height() - _mm(FOOTER_MM))
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(writer)  # lay out in printer units, fonts in true pt
    font = QFont()
    font.setPointSizeF(BODY_PT)
    doc.setDefaultFont(font)
    doc.setDefaultStyleSheet(STYLE)
    doc.setDocumentMargin(0)
    doc.setPageSize(body)
    doc.setHtml(print_html(course))
    doc.setHtml(print_html(course, _anchor_pages(doc, body.height())))

    painter = QPainter()
    if not painter.begin(writer):
        raise OSError("Qt could not start drawing the PDF")
    try:
        total = doc.pageCount()
        footer = QRectF(0, body.height(), body.width(), _mm(FOOTER_MM))
        for index in range(total):
            if index:
                writer.newPage()
            painter.save()
            painter.translate(0, -index * body.height())
            # 1 px short: a block starting exactly at the next page's top would be drawn here too
            # (invisible behind the clip, but found by search and text extraction).
            doc.drawContents(painter, QRectF(0, index * body.height(), body.width(), body.height() - 1))
            painter.restore()
            if index:  # no footer on the title page
                _footer(painter, footer, one_line(course.title), index + 1, total)
    finally:
        painter.end()
    return bytes(buffer.data())


def write_pdf(course: Course, out: Path) -> Path:
    """Write the course as an A4 PDF to `out` and return it (called by `core.export`)."""
    out.write_bytes(render_pdf(course))
    return out
