"""The About dialog: version, where the data and log live, and the licences of what is bundled."""

from __future__ import annotations

import html
from importlib import metadata

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from coursegen_desktop import APP_NAME, __version__
from coursegen_desktop.core import paths
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.icons import app_icon

# (distribution, what it is, licence as declared in its dist-info METADATA)
COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("PySide6-Essentials", "Qt 6 and its Python bindings", "LGPL-3.0-only (or GPL-2.0/GPL-3.0)"),
    ("shiboken6", "PySide6 binding runtime", "LGPL-3.0-only (or GPL-2.0/GPL-3.0)"),
    ("PySide6-Addons", "Qt Charts (the Analytics view's charts)", "LGPL-3.0-only (or GPL-2.0/GPL-3.0)"),
    ("anthropic", "Claude API client", "Apache-2.0"),
    ("httpx2", "HTTP client used by anthropic", "BSD-3-Clause"),
    ("pydantic", "data validation", "MIT"),
    ("pypdf", "reading PDF material", "BSD-3-Clause"),
    ("python-docx", "reading Word material", "MIT"),
    ("markdown-it-py", "rendering lessons", "MIT"),
    ("genanki", "Anki export", "MIT"),
    ("EbookLib", "EPUB export", "AGPL-3.0-or-later"),
    ("qasync", "asyncio on the Qt event loop", "BSD-2-Clause"),
    ("keyring", "system keychain access", "MIT"),
    ("platformdirs", "standard folders", "MIT"),
    ("filelock", "job locks", "MIT"),
)


def component_versions() -> dict[str, str]:
    """Installed versions (reads package metadata: call it off the GUI thread)."""
    versions = {}
    for name, _, _ in COMPONENTS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = ""
    return versions


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AboutDialog")
        self.setWindowTitle(f"About {APP_NAME}")
        layout = QVBoxLayout(self)
        header = QLabel()
        header.setPixmap(app_icon().pixmap(64, 64))
        title = QLabel(f"<h2>{APP_NAME} {__version__}</h2><p>Turns a topic and your own study material into a study course.</p>")
        title.setWordWrap(True)
        layout.addWidget(header, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(title)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.resize(560, 520)
        self._render({})
        tasks.run_in_background(component_versions, on_done=self._render, owner=self)

    def _render(self, versions: dict[str, str]) -> None:
        rows = "".join(
            f"<tr><td>{html.escape(name)} {html.escape(versions.get(name, ''))}</td><td>{html.escape(what)}</td><td>{html.escape(licence)}</td></tr>"
            for name, what, licence in COMPONENTS
        )
        self.text.setHtml(
            f"<p><b>Data folder:</b> {html.escape(str(paths.data_dir()))}<br>"
            f"<b>Log folder:</b> {html.escape(str(paths.log_dir()))}</p>"
            "<p>CourseGen Desktop is MIT-licensed. It bundles these components, each under its own licence:</p>"
            f"<table cellspacing='0' cellpadding='3'><tr><th align='left'>Component</th><th align='left'>Used for</th>"
            f"<th align='left'>Licence</th></tr>{rows}</table>"
            "<p>Qt is used under the LGPLv3: you may replace the Qt libraries in this installation with your own build.</p>"
        )
