"""Settings for local models: who writes new courses (Claude or an OpenAI-compatible server
such as Ollama, LM Studio or llama.cpp), the server's address, its model and optional key.

Everything that touches the network or the key store runs on the background pool
(`gui.tasks`): listing the server's models, the Test button, saving or removing the key. The
OpenAI-compatible code (and httpx2) is imported there too, never on the GUI thread. The key is
saved at once like the Anthropic key (keychain or private file, `core.secrets`), never in the
settings file or the database.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from coursegen_desktop.core import secrets
from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.models import check_base_url
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.settings import PROVIDER_ANTHROPIC, PROVIDER_LOCAL, Settings
from coursegen_desktop.gui.widgets import button

log = logging.getLogger(__name__)

ACCOUNT = secrets.OPENAI_COMPATIBLE


@dataclass(frozen=True)
class LocalChoice:
    """The local model entry of the new-course form: what a job needs besides the request."""

    model: str
    base_url: str

    @property
    def label(self) -> str:
        return f"Local — {self.model}"


def local_choice(settings: Settings) -> LocalChoice | None:
    """The configured local model, or None when none is chosen yet."""
    model = settings.local_model.strip()
    return LocalChoice(model, settings.local_base_url) if model else None


# -- work for the background pool ------------------------------------------------------------------


def _module():  # noqa: ANN202 - the module, imported off the GUI thread
    return importlib.import_module("coursegen_desktop.core.generators.openai_compat")


def fetch_models(base_url: str) -> list[str]:
    import asyncio  # here, off the GUI thread: the window process does not otherwise need it

    return asyncio.run(_module().list_models(base_url, secrets.get_api_key(ACCOUNT)))


def test_server(base_url: str, model: str, typed_key: str) -> str:
    import asyncio

    key = typed_key or secrets.get_api_key(ACCOUNT)
    return asyncio.run(_module().check_server(base_url, key, model or None))


def key_location() -> str | None:
    return secrets.key_location(ACCOUNT)


# -- the group box ------------------------------------------------------------------------------------


class LocalModelBox(QGroupBox):
    """Provider choice and the local server's settings, for the Settings dialog.

    Signals:
        key_changed(): the local server's key was saved or removed.
    """

    key_changed = Signal()

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__("Who writes the courses", parent)
        self.setObjectName("LocalModelBox")
        form = QFormLayout(self)
        self.providerCombo = QComboBox()
        self.providerCombo.setObjectName("providerCombo")
        self.providerCombo.addItem("Claude (Anthropic API)", PROVIDER_ANTHROPIC)
        self.providerCombo.addItem("A local model (OpenAI-compatible server: Ollama, LM Studio, llama.cpp)", PROVIDER_LOCAL)
        self.providerCombo.setCurrentIndex(max(0, self.providerCombo.findData(settings.provider)))
        self.providerCombo.currentIndexChanged.connect(self._provider_changed)
        form.addRow("New courses:", self.providerCombo)

        self.baseUrlEdit = QLineEdit(settings.local_base_url)
        self.baseUrlEdit.setObjectName("baseUrlEdit")
        self.baseUrlEdit.setPlaceholderText("http://localhost:11434/v1")
        self.baseUrlEdit.editingFinished.connect(self.refresh_models)
        form.addRow("Server address:", self.baseUrlEdit)

        self.localModelCombo = QComboBox()
        self.localModelCombo.setObjectName("localModelCombo")
        self.localModelCombo.setEditable(True)
        self.localModelCombo.setCurrentText(settings.local_model)
        self.localModelCombo.lineEdit().setPlaceholderText("for example llama3.2:3b")
        self.refreshButton = button("List models", "refreshModelsButton", self.refresh_models)
        model_row = QHBoxLayout()
        model_row.addWidget(self.localModelCombo, 1)
        model_row.addWidget(self.refreshButton)
        form.addRow("Model:", model_row)

        self.localKeyEdit = QLineEdit()
        self.localKeyEdit.setObjectName("localKeyEdit")
        self.localKeyEdit.setEchoMode(QLineEdit.EchoMode.Password)
        self.localKeyEdit.setPlaceholderText("only if the server needs one (or set OPENAI_API_KEY)")
        self.localKeyEdit.textChanged.connect(lambda text: self.saveLocalKeyButton.setEnabled(bool(text.strip())))
        self.saveLocalKeyButton = button("Save key", "saveLocalKeyButton", self._save_key, enabled=False)
        self.removeLocalKeyButton = button("Remove key", "removeLocalKeyButton", self._remove_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.localKeyEdit, 1)
        key_row.addWidget(self.saveLocalKeyButton)
        key_row.addWidget(self.removeLocalKeyButton)
        form.addRow("API key:", key_row)

        self.testServerButton = button("Test", "testServerButton", self.test_server)
        self.serverResultLabel = QLabel()
        self.serverResultLabel.setObjectName("serverResultLabel")
        self.serverResultLabel.setWordWrap(True)
        self.serverResultLabel.setTextFormat(Qt.TextFormat.PlainText)
        test_row = QHBoxLayout()
        test_row.addWidget(self.testServerButton)
        test_row.addWidget(self.serverResultLabel, 1)
        form.addRow("", test_row)
        self._listing = ""
        self._local_rows = [self.baseUrlEdit, self.localModelCombo, self.refreshButton, self.localKeyEdit, self.testServerButton]
        self._provider_changed()
        self._refresh_key_status()

    @property
    def provider(self) -> str:
        return str(self.providerCombo.currentData())

    def _provider_changed(self) -> None:
        local = self.provider == PROVIDER_LOCAL
        for widget in self._local_rows:
            widget.setEnabled(local)
        if local and self.localModelCombo.count() == 0:
            self.refresh_models()

    # -- server ---------------------------------------------------------------------------------------

    def refresh_models(self) -> None:
        """List the server's models off the GUI thread; the typed model stays as it is."""
        url = self.baseUrlEdit.text().strip()
        if not url:
            return
        self._listing = url
        tasks.run_in_background(fetch_models, url, on_done=lambda models: self._models_listed(url, models), on_error=self._failed, owner=self)

    def _models_listed(self, url: str, models: list[str]) -> None:
        if url != self._listing:
            return  # the address changed while this list was on its way
        typed = self.localModelCombo.currentText()
        self.localModelCombo.clear()
        self.localModelCombo.addItems(models)
        self.localModelCombo.setCurrentText(typed or (models[0] if models else ""))
        if not models:
            self.serverResultLabel.setText("The server listed no models; check the address, or type the model's name.")

    def test_server(self) -> None:
        """One plain sentence: does the server answer, and does it have the model?"""
        self.testServerButton.setEnabled(False)
        self.serverResultLabel.setText("Testing the server…")
        args = (self.baseUrlEdit.text().strip(), self.localModelCombo.currentText().strip(), self.localKeyEdit.text().strip())
        tasks.run_in_background(test_server, *args, on_done=self._tested, on_error=self._failed, owner=self)

    def _tested(self, sentence: str) -> None:
        self.serverResultLabel.setText(sentence)
        self.testServerButton.setEnabled(True)

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, CourseGenError):
            log.error("a local model server check failed", exc_info=error)
        self.serverResultLabel.setText(error.message if isinstance(error, CourseGenError) else "The server could not be checked; details are in the log.")
        self.testServerButton.setEnabled(True)

    # -- key ------------------------------------------------------------------------------------------

    def _refresh_key_status(self) -> None:
        tasks.run_in_background(key_location, on_done=self._show_key_status, on_error=self._failed, owner=self)

    def _show_key_status(self, location: str | None) -> None:
        self.removeLocalKeyButton.setEnabled(location is not None and location != ACCOUNT.environment)
        self.localKeyEdit.setPlaceholderText(f"a key is saved in the {location}" if location else "only if the server needs one (or set OPENAI_API_KEY)")

    def _save_key(self) -> None:
        key = self.localKeyEdit.text().strip()
        self.localKeyEdit.clear()  # never shown again once saved
        tasks.run_in_background(secrets.set_api_key, key, ACCOUNT, on_done=self._key_saved, on_error=self._failed, owner=self)

    def _key_saved(self, where: str) -> None:
        self.serverResultLabel.setText(f"Key saved in the {where}.")
        self.key_changed.emit()
        self._refresh_key_status()

    def _remove_key(self) -> None:
        tasks.run_in_background(secrets.delete_api_key, ACCOUNT, on_done=self._key_removed, on_error=self._failed, owner=self)

    def _key_removed(self, _result: object) -> None:
        self.serverResultLabel.setText("The saved key was removed.")
        self.key_changed.emit()
        self._refresh_key_status()

    # -- OK ---------------------------------------------------------------------------------------------

    def apply(self, settings: Settings) -> str | None:
        """Write the choices; a sentence when the local settings cannot be used (nothing written)."""
        if self.provider == PROVIDER_LOCAL:
            try:
                url = check_base_url(self.baseUrlEdit.text())
            except ValueError as exc:
                return str(exc)
            if not self.localModelCombo.currentText().strip():
                return "Choose the local model (List models asks the server), or choose Claude."
            settings.local_base_url = url
            settings.local_model = self.localModelCombo.currentText().strip()
        settings.provider = self.provider
        return None
