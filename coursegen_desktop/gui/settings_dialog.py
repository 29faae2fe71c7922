"""Settings: the Claude API key (saved via core.secrets, tested by the job engine), who writes the
courses (Claude or a local model: `local_model_settings`), the default model, how many jobs and
lessons run at once, the study preferences, and where the data lives."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from coursegen_desktop.core import secrets
from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.study_config import RETENTION_RANGE, StudyConfig
from coursegen_desktop.gui import claude, tasks
from coursegen_desktop.gui.local_model_settings import LocalModelBox
from coursegen_desktop.gui.settings import Settings
from coursegen_desktop.gui.widgets import button

log = logging.getLogger(__name__)

AskEngine = Callable[..., None]  # JobManager.call: (command, on_reply, **arguments)


class SettingsDialog(QDialog):
    """Preferences; the key is saved at once (Save key), the rest on OK.

    Signals:
        key_changed(): a key was saved or removed.
        settings_applied(): OK was pressed and the preferences were written.
    """

    key_changed = Signal()
    settings_applied = Signal()

    def __init__(self, settings: Settings, models: list[str], parent: QWidget | None = None, ask_engine: AskEngine | None = None) -> None:
        super().__init__(parent)
        self._ask_engine = ask_engine  # the key is checked by the job engine: the window never imports the SDK
        self.setObjectName("SettingsDialog")
        self.setWindowTitle("Settings — CourseGen")
        self._settings = settings
        layout = QVBoxLayout(self)

        key_box = QGroupBox("Claude API key")
        key_layout = QVBoxLayout(key_box)
        intro = QLabel("With a key, Claude writes your courses. Without one, the offline generator builds them from your own material.")
        intro.setWordWrap(True)
        self.keyEdit = QLineEdit()
        self.keyEdit.setObjectName("keyEdit")
        self.keyEdit.setEchoMode(QLineEdit.EchoMode.Password)
        self.keyEdit.setPlaceholderText("sk-ant-…")
        self.keyEdit.textChanged.connect(self._key_typed)
        self.saveKeyButton = button("Save key", "saveKeyButton", self._save_key, enabled=False)
        self.testKeyButton = button("Test key", "testKeyButton", self.test_key)
        self.removeKeyButton = button("Remove key", "removeKeyButton", self._remove_key)
        row = QHBoxLayout()
        row.addWidget(self.keyEdit, 1)
        row.addWidget(self.saveKeyButton)
        row.addWidget(self.testKeyButton)
        row.addWidget(self.removeKeyButton)
        self.keyStatusLabel = QLabel("Looking for a saved key…")
        self.keyStatusLabel.setObjectName("keyStatusLabel")
        self.keyStatusLabel.setWordWrap(True)
        self.keyResultLabel = QLabel()
        self.keyResultLabel.setObjectName("keyResultLabel")
        self.keyResultLabel.setWordWrap(True)
        self.keyResultLabel.setTextFormat(Qt.TextFormat.PlainText)
        self.storageLabel = QLabel()
        self.storageLabel.setWordWrap(True)
        self.storageLabel.setStyleSheet("color: palette(placeholder-text);")
        key_layout.addWidget(intro)
        key_layout.addLayout(row)
        key_layout.addWidget(self.keyStatusLabel)
        key_layout.addWidget(self.keyResultLabel)
        key_layout.addWidget(self.storageLabel)
        layout.addWidget(key_box)
        self.localBox = LocalModelBox(settings)
        layout.addWidget(self.localBox)

        jobs_box = QGroupBox("Generation")
        form = QFormLayout(jobs_box)
        self.modelCombo = QComboBox()
        self.modelCombo.setObjectName("modelCombo")
        self.modelCombo.setEditable(True)
        self.modelCombo.addItems(models or list(claude.FALLBACK_MODELS))
        self.modelCombo.setCurrentText(settings.default_model)
        self.jobsSpin = QSpinBox()
        self.jobsSpin.setObjectName("jobsSpin")
        self.jobsSpin.setRange(1, 8)
        self.jobsSpin.setValue(settings.max_jobs)
        self.lessonsAtOnceSpin = QSpinBox()
        self.lessonsAtOnceSpin.setObjectName("lessonsAtOnceSpin")
        self.lessonsAtOnceSpin.setRange(1, 16)
        self.lessonsAtOnceSpin.setValue(settings.lesson_concurrency)
        form.addRow("Default Claude model:", self.modelCombo)
        form.addRow("Jobs at once:", self.jobsSpin)
        form.addRow("Lessons at once (per job):", self.lessonsAtOnceSpin)
        layout.addWidget(jobs_box)

        study_box = QGroupBox("Study")
        study_form = QFormLayout(study_box)
        self.retentionSpin = QDoubleSpinBox()
        self.retentionSpin.setObjectName("retentionSpin")
        self.retentionSpin.setRange(*RETENTION_RANGE)
        self.retentionSpin.setSingleStep(0.01)
        self.retentionSpin.setValue(settings.study.desired_retention)
        self.retentionSpin.setToolTip("How likely you want to be to remember a card when it comes back. Higher means more reviews.")
        self.newPerDaySpin = QSpinBox()
        self.newPerDaySpin.setObjectName("newPerDaySpin")
        self.newPerDaySpin.setRange(0, 9999)
        self.newPerDaySpin.setValue(settings.study.new_per_day)
        study_form.addRow("Desired retention:", self.retentionSpin)
        study_form.addRow("New cards per day:", self.newPerDaySpin)
        layout.addWidget(study_box)

        data_box = QGroupBox("Data folder")
        data_row = QHBoxLayout(data_box)
        self.dataLabel = QLabel(claude.data_folder())
        self.dataLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dataLabel.setWordWrap(True)
        open_button = QPushButton("Open")
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(claude.data_folder())))
        data_row.addWidget(self.dataLabel, 1)
        data_row.addWidget(open_button)
        layout.addWidget(data_box)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._apply)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, self.sizeHint().height())
        self._refresh_key_status()

    # -- key ----------------------------------------------------------------------------------------

    def _refresh_key_status(self) -> None:
        tasks.run_in_background(claude.key_status, on_done=self._show_key_status, on_error=self._key_error, owner=self)

    def _show_key_status(self, status: claude.KeyStatus) -> None:
        self.keyStatusLabel.setText(status.describe())
        self.storageLabel.setText(status.storage_note())
        self.removeKeyButton.setEnabled(status.has_key and status.location != secrets.ENVIRONMENT)
        self.keyEdit.setPlaceholderText("Type a new key to replace the saved one" if status.has_key else "sk-ant-…")
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))

    def _key_error(self, error: Exception) -> None:
        self.keyResultLabel.setText(error.message if isinstance(error, CourseGenError) else "The key store could not be read; details are in the log.")
        if not isinstance(error, CourseGenError):
            log.error("key store failed", exc_info=error)

    def _key_typed(self, text: str) -> None:
        self.saveKeyButton.setEnabled(bool(text.strip()))
        self.keyResultLabel.clear()

    def _save_key(self) -> None:
        key = self.keyEdit.text().strip()
        self.keyEdit.clear()  # the key is never shown again once it is saved
        self.saveKeyButton.setEnabled(False)
        tasks.run_in_background(secrets.set_api_key, key, on_done=self._key_saved, on_error=self._key_error, owner=self)

    def _key_saved(self, where: str) -> None:
        self.keyResultLabel.setText(f"Key saved in the {where}.")
        self.key_changed.emit()
        self._refresh_key_status()

    def _remove_key(self) -> None:
        tasks.run_in_background(secrets.delete_api_key, on_done=self._key_removed, on_error=self._key_error, owner=self)

    def _key_removed(self, _result: object) -> None:
        self.keyResultLabel.setText("The saved key was removed.")
        self.key_changed.emit()
        self._refresh_key_status()

    def test_key(self) -> None:
        """Check the typed key (or the saved one) against the API, in the engine, without waiting."""
        if self._ask_engine is None:
            self.keyResultLabel.setText("The key can be checked once the history has opened.")
            return
        self.testKeyButton.setEnabled(False)
        self.keyResultLabel.setText("Testing the key…")
        self._ask_engine("check_key", self._key_checked, key=self.keyEdit.text().strip())

    def _key_checked(self, reply: dict[str, Any]) -> None:
        sentence = str(reply.get("sentence") if reply.get("ok") else reply.get("error") or "The key could not be checked.")
        if shiboken6.isValid(self):  # the dialog may have been closed while the check ran
            self.keyResultLabel.setText(sentence)
            self.testKeyButton.setEnabled(True)

    # -- the rest -------------------------------------------------------------------------------------

    def _apply(self) -> None:
        problem = self.localBox.apply(self._settings)
        if problem:
            self.localBox.serverResultLabel.setText(problem)
            return
        self._settings.default_model = self.modelCombo.currentText().strip() or self._settings.default_model
        self._settings.max_jobs = self.jobsSpin.value()
        self._settings.lesson_concurrency = self.lessonsAtOnceSpin.value()
        self._settings.study = StudyConfig(self.retentionSpin.value(), self.newPerDaySpin.value())
        self._settings.sync()
        self.settings_applied.emit()
        self.accept()
