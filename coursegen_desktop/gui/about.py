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

# Every distribution a bundle carries: (distribution, what it is, licence as declared in its
# dist-info METADATA). The app's own dependencies first, then what they pull in. A test walks
# the installed dependency tree and fails when one is missing here or in packaging/README.md,
# or when a licence would not fit an MIT app (GPL/AGPL without an LGPL choice).
COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("PySide6-Essentials", "Qt 6 and its Python bindings", "LGPL-3.0-only (or GPL-2.0/GPL-3.0)"),
    ("shiboken6", "PySide6 binding runtime", "LGPL-3.0-only (or GPL-2.0/GPL-3.0)"),
    ("PySide6-Addons", "Qt Charts (the Analytics view's charts)", "LGPL-3.0-only (or GPL-2.0/GPL-3.0)"),
    ("anthropic", "Claude API client", "Apache-2.0"),
    ("pydantic", "data validation", "MIT"),
    ("pypdf", "reading PDF material", "BSD-3-Clause"),
    ("python-docx", "reading Word material", "MIT"),
    ("markdown-it-py", "rendering lessons", "MIT"),
    ("genanki", "Anki export", "MIT"),
    ("fsrs", "spaced-repetition scheduling (py-fsrs)", "MIT"),
    ("keyring", "system keychain access", "MIT"),
    ("platformdirs", "standard folders", "MIT"),
    ("filelock", "job locks", "MIT"),
    # pulled in by the above
    ("httpx2", "HTTP client (anthropic)", "BSD-3-Clause"),
    ("httpcore2", "HTTP transport (httpx2)", "BSD-3-Clause"),
    ("h11", "HTTP/1.1 protocol (httpcore2)", "MIT"),
    ("anyio", "async I/O (httpx2)", "MIT"),
    ("idna", "international domain names (httpx2)", "BSD-3-Clause"),
    ("truststore", "system certificates (httpx2)", "MIT"),
    ("sniffio", "async library detection (anthropic)", "MIT OR Apache-2.0"),
    ("jiter", "fast JSON (anthropic)", "MIT"),
    ("docstring-parser", "tool schemas (anthropic)", "MIT"),
    ("opentelemetry-api", "tracing hooks (anthropic)", "Apache-2.0"),
    ("pydantic-core", "pydantic's validator", "MIT"),
    ("annotated-types", "constraint types (pydantic)", "MIT"),
    ("typing-inspection", "type introspection (pydantic)", "MIT"),
    ("typing-extensions", "typing back-ports", "PSF-2.0"),
    ("lxml", "XML parser (python-docx)", "BSD-3-Clause"),
    ("mdurl", "URL handling (markdown-it-py)", "MIT"),
    ("cached-property", "genanki helper", "BSD-3-Clause"),
    ("chevron", "card templates (genanki)", "MIT"),
    ("frozendict", "immutable dicts (genanki)", "LGPL-3.0-only"),
    ("PyYAML", "YAML (genanki)", "MIT"),
    ("jaraco.classes", "keyring helper", "MIT"),
    ("jaraco.context", "keyring helper", "MIT"),
    ("jaraco.functools", "keyring helper", "MIT"),
    ("backports.tarfile", "tarfile back-port (jaraco.context, Python < 3.12)", "MIT"),
    ("more-itertools", "iteration helpers (jaraco.functools)", "MIT"),
    ("importlib-metadata", "package metadata (keyring)", "Apache-2.0"),
    ("zipp", "zip paths (importlib-metadata)", "MIT"),
    ("lazy-importer", "lazy imports (importlib-metadata)", "Apache-2.0"),
    ("SecretStorage", "Secret Service keychain on Linux (keyring)", "BSD-3-Clause"),
    ("jeepney", "D-Bus on Linux (keyring)", "MIT"),
    ("cryptography", "encryption (SecretStorage)", "Apache-2.0 OR BSD-3-Clause"),
    ("cffi", "C bindings (cryptography)", "MIT-0"),
    ("pycparser", "C parser (cffi)", "BSD-3-Clause"),
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
