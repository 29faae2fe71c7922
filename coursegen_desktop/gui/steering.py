"""Steering a generation from the window: the plan estimate on the form, the outline review,
regenerating one part of a course, and its earlier versions.

One controller owned by the main window, so the window itself only creates it and adds its
actions to the history menu. Jobs are started only through `JobManager.resume` (a regenerate job
or an approved outline is a job row that already exists), so whatever runs the manager's jobs
(threads today, an engine process tomorrow) runs these too. Store work happens off the GUI thread.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from coursegen_desktop.core import outline_review
from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.events import Event, JobCompleted, OutlineReady
from coursegen_desktop.core.models import JobRecord, JobStatus, Outline
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.plan_estimate import PlanEstimate
from coursegen_desktop.gui.versions_dialog import VersionsDialog, part_name

if TYPE_CHECKING:
    from coursegen_desktop.gui.main_window import MainWindow
    from coursegen_desktop.gui.outline_editor import OutlineEditor

log = logging.getLogger(__name__)


class RegenerateDialog(QDialog):
    """Asks for an optional instruction before a part is written again."""

    def __init__(self, part: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("regenerateDialog")
        self.setWindowTitle("Regenerate")
        layout = QVBoxLayout(self)
        label = QLabel(f"Write {part_name(part).lower()} again. The current version is kept under History → Earlier versions.")
        label.setWordWrap(True)
        layout.addWidget(label)
        self.instructionEdit = QLineEdit()
        self.instructionEdit.setObjectName("regenerateInstructionEdit")
        self.instructionEdit.setPlaceholderText("Optional: “simpler”, “more examples”, …")
        layout.addWidget(self.instructionEdit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Regenerate")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class Steering(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.editors: dict[str, OutlineEditor] = {}
        self._rewrites: dict[str, str] = {}  # regenerate job id -> the job whose course it changes
        self.estimate = PlanEstimate(window.form, self)
        self.reviewAction = QAction("Review &outline…", window)
        self.reviewAction.triggered.connect(lambda: self._for_selected(self.review_outline))
        self.versionsAction = QAction("Earlier &versions…", window)
        self.versionsAction.triggered.connect(lambda: self._for_selected(self.show_versions))
        jobs_menu = next((a.menu() for a in window.menuBar().actions() if a.text() == "&Jobs"), None)
        if jobs_menu is not None:
            jobs_menu.addSeparator()
            jobs_menu.addActions([self.reviewAction, self.versionsAction])
        window.history.extra_actions += [self.reviewAction, self.versionsAction]
        window.history.actions_updating.connect(self._update_actions)
        window.courseView.regenerate_requested.connect(self.ask_regenerate)
        window.store_ready.connect(self._store_ready)

    @Slot()
    def _store_ready(self) -> None:
        assert self.window.job_manager is not None and self.window.store is not None
        self.window.job_manager.event_emitted.connect(self._on_event)
        self.estimate.set_engine(self.window.job_manager.call)
        self.window.form.set_engine(self.window.job_manager.call)

    def _selected(self) -> JobRecord | None:
        ids = self.window.history.selected_job_ids()
        return self.window.history_model.record(ids[0]) if len(ids) == 1 else None

    def _for_selected(self, act: object) -> None:
        record = self._selected()
        if record is not None:
            act(record.id)  # type: ignore[operator]

    def _update_actions(self) -> None:
        record = self._selected()
        self.reviewAction.setEnabled(record is not None and record.status == JobStatus.AWAITING_REVIEW)
        self.versionsAction.setEnabled(record is not None and record.status == JobStatus.COMPLETED)

    @Slot(object)
    def _on_event(self, event: Event) -> None:
        if isinstance(event, OutlineReady):
            self.review_outline(event.job_id, event.outline)
        elif isinstance(event, JobCompleted) and event.job_id in self._rewrites:
            source = self._rewrites.pop(event.job_id)
            if self.window.courseView.job_id == source:
                self.window.open_course(source)

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, CourseGenError):
            log.error("a steering action failed", exc_info=error)
        self.window.show_message(error.message if isinstance(error, CourseGenError) else "That did not work; details are in the log.", "error")

    def _continue(self, job_id: str) -> None:
        """Queue an existing job (an approved outline, a new outline, a rewrite) and show its progress."""
        manager = self.window.job_manager
        record = self.window.history_model.record(job_id)
        if manager is None or record is None:
            return
        try:
            manager.resume(job_id, record.topic)
        except CourseGenError as exc:
            self.window.show_message(exc.message, "warning")
            return
        self.window.show_progress(job_id)

    # -- outline review -----------------------------------------------------------------------------

    def review_outline(self, job_id: str, outline: Outline | None = None) -> OutlineEditor | None:
        """Open (or raise) the outline editor of a job waiting for review."""
        store = self.window.store
        if store is None:
            return None
        editor = self.editors.get(job_id)
        if editor is None:
            from coursegen_desktop.gui.outline_editor import OutlineEditor  # loaded when first needed

            record = self.window.history_model.record(job_id)
            editor = OutlineEditor(job_id, record.topic if record else "", self.window)
            editor.setWindowFlag(Qt.WindowType.Window)
            editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            editor.approved.connect(lambda edited: self._approve(editor, edited))
            editor.regenerate_requested.connect(lambda wish: self._new_outline(editor, wish))
            editor.destroyed.connect(lambda *_: self.editors.pop(job_id, None))
            self.editors[job_id] = editor
        if outline is not None:
            editor.set_outline(outline)
        else:
            tasks.run_in_background(outline_review.outline_of, store, job_id, on_done=editor.set_outline, on_error=self._failed, owner=editor)
        editor.show()
        editor.raise_()
        return editor

    def _approve(self, editor: OutlineEditor, outline: Outline) -> None:
        job_id = editor.job_id
        tasks.run_in_background(
            outline_review.approve, self.window.store, job_id, outline,
            on_done=lambda _: (editor.close(), self._continue(job_id)), on_error=lambda error: self._editor_failed(editor, error), owner=editor,
        )

    def _new_outline(self, editor: OutlineEditor, wish: str) -> None:
        job_id = editor.job_id
        tasks.run_in_background(
            outline_review.request_new_outline, self.window.store, job_id, wish,
            on_done=lambda _: (editor.close(), self._continue(job_id)), on_error=lambda error: self._editor_failed(editor, error), owner=editor,
        )

    def _editor_failed(self, editor: OutlineEditor, error: Exception) -> None:
        editor.set_busy(False)
        editor.show_problems([error.message if isinstance(error, CourseGenError) else "That did not work; details are in the log."])

    # -- regenerate one part ------------------------------------------------------------------------

    @Slot(str, str)
    def ask_regenerate(self, job_id: str, part: str) -> RegenerateDialog:
        dialog = RegenerateDialog(part, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.regenerate(job_id, part, dialog.instructionEdit.text()))
        dialog.open()
        return dialog

    def regenerate(self, job_id: str, part: str, instruction: str = "") -> None:
        """Create the regenerate job off the GUI thread, then queue it like any job."""
        store = self.window.store
        if store is None or self.window.job_manager is None:
            return
        tasks.run_in_background(_create_rewrite, store, job_id, part, instruction, on_done=self._rewrite_created, on_error=self._failed, owner=self.window)

    def _rewrite_created(self, created: tuple[JobRecord, str]) -> None:
        record, source = created
        self._rewrites[record.id] = source
        self.window.history_model.add_records([record])
        self._continue(record.id)

    # -- earlier versions ---------------------------------------------------------------------------

    def show_versions(self, job_id: str) -> VersionsDialog | None:
        store = self.window.store
        if store is None:
            return None
        dialog = VersionsDialog(store, job_id, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.restored.connect(self._restored)
        dialog.show()
        return dialog

    def _restored(self, source: str) -> None:
        if self.window.courseView.job_id == source:
            self.window.open_course(source)


def _create_rewrite(store: Store, job_id: str, part: str, instruction: str) -> tuple[JobRecord, str]:
    """The regenerate job and the job whose course it changes (on the background pool, which
    imports `regenerate` and the pipeline with it: the window needs neither until then)."""
    from coursegen_desktop.core import regenerate

    record = regenerate.create_job(store, job_id, part, instruction)
    return record, regenerate.source_of(store, record.id)
