"""Small shared widgets."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

STYLES = {
    "info": "QFrame#messageBar { background: #e8f0fe; border: 1px solid #aecbfa; border-radius: 6px; }",
    "warning": "QFrame#messageBar { background: #fef7e0; border: 1px solid #fdd663; border-radius: 6px; }",
    "error": "QFrame#messageBar { background: #fce8e6; border: 1px solid #f6aea9; border-radius: 6px; }",
}


def button(text: str, object_name: str, on_click: Callable[[], object], *, enabled: bool = True, tip: str = "") -> QPushButton:
    """A push button with the object name tests and checks find it by."""
    widget = QPushButton(text)
    widget.setObjectName(object_name)
    widget.setEnabled(enabled)
    if tip:
        widget.setToolTip(tip)
    widget.clicked.connect(on_click)
    return widget


def muted(label: QLabel) -> QLabel:
    """Secondary text in the theme's placeholder colour, light or dark. A palette role rather than
    a style sheet: one colour is not worth Qt's style-sheet machinery in every window."""
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


ERROR_COLOUR = "#c5221f"  # the red of one-sentence errors next to a form


def coloured(label: QLabel, colour: str | None = ERROR_COLOUR) -> QLabel:
    """Text in a fixed colour (errors in red), through the palette as `muted`; None: the theme's again."""
    palette = QPalette()  # no role set: every colour comes from the parent again
    if colour is not None:
        palette = label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(colour))
    label.setPalette(palette)
    return label


def heading(text: str) -> QLabel:
    """A section title (bold, a fifth larger), as over the new-course form and the history."""
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.2)
    label.setFont(font)
    return label


class MessageBar(QFrame):
    """A dismissable, non-blocking message above the window's content, with optional buttons."""

    def __init__(self, text: str, kind: str = "info", parent: QWidget | None = None, key: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.key = key  # lets the window find (and dismiss) a particular message
        self.setStyleSheet(STYLES[kind] + " QLabel { color: #202124; }")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self._layout.addWidget(self.label, 1)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        self._close = close
        self._layout.addWidget(close)

    def add_button(self, text: str, action: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(action)
        self._layout.insertWidget(self._layout.count() - 1, button)
        return button

    def dismiss(self) -> None:
        self.hide()
        self.deleteLater()
