"""Render coursegen.svg to the PNG sizes the app and Linux installer use, plus coursegen.ico
(Windows) and coursegen.icns (macOS) for the packaging spec.

Run after editing the SVG: QT_QPA_PLATFORM=offscreen python resources/icons/render_icons.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv)  # noqa: F841 - QPainter needs it
    folder = Path(__file__).resolve().parent
    renderer = QSvgRenderer(str(folder / "coursegen.svg"))
    if not renderer.isValid():
        print("coursegen.svg is not a valid SVG", file=sys.stderr)
        return 1
    images = {}
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        image.save(str(folder / f"coursegen-{size}.png"))
        images[size] = image
    images[256].save(str(folder / "coursegen.ico"), "ICO")
    images[512].save(str(folder / "coursegen.icns"), "ICNS")
    print(f"wrote {len(SIZES)} PNGs, coursegen.ico and coursegen.icns to {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
