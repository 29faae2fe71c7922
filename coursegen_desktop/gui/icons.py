"""Icons: the app icon from resources/icons, and small step-state icons painted with QPainter
(no icon theme is guaranteed on Linux, and painted icons look the same everywhere)."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from coursegen_desktop.gui.job_state import StepStatus
from coursegen_desktop.gui.resources import resources_dir


@cache
def app_icon() -> QIcon:
    icon = QIcon()
    folder = resources_dir() / "icons"
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        png = folder / f"coursegen-{size}.png"
        if png.is_file():
            icon.addFile(str(png))
    if icon.isNull() and (folder / "coursegen.svg").is_file():
        icon.addFile(str(folder / "coursegen.svg"))
    return icon


_COLOURS = {
    StepStatus.PENDING: QColor("#9aa0a6"),
    StepStatus.RUNNING: QColor("#1a73e8"),
    StepStatus.DONE: QColor("#188038"),
    StepStatus.FAILED: QColor("#d93025"),
    StepStatus.STOPPED: QColor("#e37400"),
}


@cache
def step_icon(status: StepStatus, size: int = 18) -> QIcon:
    """A circle per state: hollow (pending), ring with a dot (running), check, cross, square."""
    pixmap = QPixmap(size * 2, size * 2)  # drawn at 2x so it stays crisp on HiDPI screens
    pixmap.fill(Qt.GlobalColor.transparent)
    pixmap.setDevicePixelRatio(2.0)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = _COLOURS[status]
    box = QRectF(2, 2, size - 4, size - 4)
    centre = box.center()
    if status == StepStatus.PENDING:
        painter.setPen(QPen(colour, 1.6))
        painter.drawEllipse(box)
    elif status == StepStatus.RUNNING:
        painter.setPen(QPen(colour, 2))
        painter.drawEllipse(box)
        painter.setBrush(colour)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(centre, size * 0.18, size * 0.18)
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(box)
        pen = QPen(QColor("white"), 2.0)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        s = size
        if status == StepStatus.DONE:
            path = QPainterPath(QPointF(s * 0.30, s * 0.52))
            path.lineTo(QPointF(s * 0.45, s * 0.66))
            path.lineTo(QPointF(s * 0.71, s * 0.36))
            painter.drawPath(path)
        elif status == StepStatus.FAILED:
            painter.drawLine(QPointF(s * 0.35, s * 0.35), QPointF(s * 0.65, s * 0.65))
            painter.drawLine(QPointF(s * 0.65, s * 0.35), QPointF(s * 0.35, s * 0.65))
        else:
            painter.setBrush(QColor("white"))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRect(QRectF(s * 0.36, s * 0.36, s * 0.28, s * 0.28))
    painter.end()
    return QIcon(pixmap)
