"""File → Bulk courses…: many topics at once with Message Batches (half price, results within
24 hours, usually within an hour); `gui.batch_poller` advances them while the app runs.

The dialog takes topics one a line (or opens a .txt / .csv list: topic, level, modules, lessons,
material), shows the plan and its cost at batch prices, and submits. Each topic becomes an
ordinary job in the history with status *Batched*; `BatchPoller` asks the job engine to advance
them every few minutes (the engine runs `core.batch`, which needs the SDK) and refreshes those
rows. Nothing here touches the network, files or SQL on the GUI thread.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.models import JobRecord
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.batch_poller import read_records, show_records
from coursegen_desktop.gui.new_course_form import AskEngine

if TYPE_CHECKING:
    from coursegen_desktop.gui.main_window import MainWindow

log = logging.getLogger(__name__)

# -- work for the background pool ------------------------------------------------------------------


def read_plan(text: str, path: str, defaults: dict[str, object]) -> tuple[list, str]:  # noqa: ANN001 - (requests, sentence)
    """The requests of a typed list (or of a .csv / .txt file) and the plan's one-line summary."""
    from coursegen_desktop.core.batch_plan import estimate, parse_topics, read_topics

    requests = read_topics(Path(path), defaults) if path else parse_topics(text, defaults)
    return requests, f"{len(requests)} course(s): {estimate(requests).describe()}."


# -- the dialog ---------------------------------------------------------------------------------------


class BulkCoursesDialog(QDialog):
    """Topics in, batched jobs out.

    Signals:
        submitted(object): the list of `JobRecord`s of the new batched jobs.
    """

    submitted = Signal(object)

    def __init__(self, store: Store, model: str, ask_engine: AskEngine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ask_engine = ask_engine
        self.setObjectName("BulkCoursesDialog")
        self.setWindowTitle("Bulk courses — CourseGen")
        self._store, self._model, self._path = store, model, ""
        self._requests: list = []
        layout = QVBoxLayout(self)
        intro = QLabel(
            "One course per topic, written by Claude in Message Batches: half the price, ready within 24 hours "
            "(usually within an hour). Type one topic a line, or open a .txt or .csv list (columns: topic, level, modules, lessons, material)."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.topicsEdit = QPlainTextEdit()
        self.topicsEdit.setObjectName("topicsEdit")
        self.topicsEdit.setPlaceholderText("Photosynthesis\nThe water cycle\nPlate tectonics")
        self.topicsEdit.textChanged.connect(self._typed)
        layout.addWidget(self.topicsEdit, 1)
        row = QHBoxLayout()
        open_button = QPushButton("Open list…")
        open_button.clicked.connect(self._open_list)
        row.addWidget(open_button)
        row.addStretch(1)
        layout.addLayout(row)
        form = QFormLayout()
        self.modulesSpin = QSpinBox()
        self.modulesSpin.setRange(1, 12)
        self.modulesSpin.setValue(3)
        self.lessonsSpin = QSpinBox()
        self.lessonsSpin.setRange(1, 8)
        self.lessonsSpin.setValue(3)
        for spin in (self.modulesSpin, self.lessonsSpin):
            spin.valueChanged.connect(self._schedule_plan)
        form.addRow("Modules (unless the list says):", self.modulesSpin)
        form.addRow("Lessons per module:", self.lessonsSpin)
        layout.addLayout(form)
        self.planLabel = QLabel("Add topics to see the plan and its cost.")
        self.planLabel.setObjectName("planLabel")
        self.planLabel.setWordWrap(True)
        layout.addWidget(self.planLabel)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.submitButton = buttons.addButton("Submit", QDialogButtonBox.ButtonRole.AcceptRole)
        self.submitButton.setObjectName("submitBulkButton")
        self.submitButton.setEnabled(False)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._plan_timer = QTimer(self, singleShot=True, interval=300)
        self._plan_timer.timeout.connect(self._plan)
        self.resize(560, 480)

    def _defaults(self) -> dict[str, object]:
        return {"model": self._model, "modules": self.modulesSpin.value(), "lessons_per_module": self.lessonsSpin.value()}

    def _typed(self) -> None:
        self._path = ""
        self._schedule_plan()

    def _open_list(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open a topic list", str(Path.home()), "Topic lists (*.txt *.csv)")
        if name:
            self.open_list(Path(name))

    def open_list(self, path: Path) -> None:
        self.topicsEdit.blockSignals(True)
        self.topicsEdit.setPlainText(f"(topics from {path.name})")
        self.topicsEdit.blockSignals(False)
        self._path = str(path)
        self._schedule_plan()

    def _schedule_plan(self) -> None:
        self.submitButton.setEnabled(False)
        self._plan_timer.start()

    def _plan(self) -> None:
        text = self.topicsEdit.toPlainText()
        if not self._path and not text.strip():
            self.planLabel.setText("Add topics to see the plan and its cost.")
            return
        tasks.run_in_background(read_plan, text, self._path, self._defaults(), on_done=self._planned, on_error=self._failed, owner=self)

    def _planned(self, result: tuple[list, str]) -> None:
        self._requests, sentence = result
        self.planLabel.setText(sentence)
        self.submitButton.setEnabled(bool(self._requests))

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, CourseGenError):
            log.error("bulk courses failed", exc_info=error)
        self.planLabel.setText(error.message if isinstance(error, CourseGenError) else "That did not work; details are in the log.")
        self.submitButton.setEnabled(False)

    def _submit(self) -> None:
        self.submitButton.setEnabled(False)
        self.planLabel.setText("Submitting…")
        self._ask_engine("batch_submit", self._submitted, requests=[request.model_dump(mode="json") for request in self._requests])

    def _submitted(self, reply: dict[str, Any]) -> None:
        if not reply.get("ok"):
            self._failed(CourseGenError(str(reply.get("kind") or "internal"), str(reply.get("error"))))
            return
        tasks.run_in_background(read_records, self._store, list(reply.get("job_ids") or []), on_done=self._done, on_error=self._failed, owner=self)

    def _done(self, records: list[JobRecord]) -> None:
        self.submitted.emit(records)
        self.accept()


# -- in the main window ----------------------------------------------------------------------------------


def open_bulk_courses(window: MainWindow) -> None:
    """File → Bulk courses…"""
    if window.store is None:
        return
    if window.job_manager is None:
        return
    dialog = BulkCoursesDialog(window.store, window.settings.default_model, window.job_manager.call, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.submitted.connect(lambda records: show_records(window, records))
    dialog.open()
