"""The progress window of one job: bar, honest ETA, the seven steps, live preview, log, Cancel.

A view of the job's event stream, nothing more: it replays the stored events (read off the GUI
thread), then follows the live stream by seq. Live events are buffered in the slot and applied
at most ten times a second, because repainting widgets per event freezes the window.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import cached_property

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.events import Event, JobQueued
from coursegen_desktop.core.models import JobRecord, JobStatus
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.widgets import button
from coursegen_desktop.gui.icons import step_icon
from coursegen_desktop.gui.job_state import LOG_LIMIT, JobViewState, StepState, StepStatus, format_duration, format_eta
from coursegen_desktop.gui.jobs import JobManager

FLUSH_MS = 100
CANCELLED_TEXT = "Cancelled — finished parts kept"
PAUSED_TEXT = "Paused — finished parts kept; Resume continues, also after a restart"


def _load_history(store: Store, job_id: str) -> tuple[JobRecord, list[Event]]:
    return store.get_job(job_id), store.events(job_id)


class ProgressDialog(QDialog):
    """Non-modal, one per job; closing it (or "Run in background") leaves the job running.

    Signals:
        open_course_requested(str): the user wants to read the finished course of this job id.
    """

    open_course_requested = Signal(str)

    def __init__(self, job_id: str, manager: JobManager, topic: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ProgressDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(False)
        self.job_id, self._manager = job_id, manager
        self.state = JobViewState(job_id=job_id, topic=topic)
        self._pending: list[Event] = []
        self._loading = True
        self._cancelling = False
        self._pausing = False
        self._log_shown = 0
        self._shown_preview = ""
        self._build()
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)
        self._clock = QTimer(self)  # elapsed time of the running step
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._render_steps)
        manager.event_emitted.connect(self.on_event)
        self._render()
        tasks.run_in_background(_load_history, manager.store, job_id, on_done=self._loaded, on_error=self._load_failed, owner=self)

    # -- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        self.setWindowTitle(f"{self.state.topic or 'Course'} — CourseGen")
        self.resize(620, 640)
        layout = QVBoxLayout(self)
        self.titleLabel = QLabel()
        font = self.titleLabel.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.titleLabel.setFont(font)
        self.titleLabel.setWordWrap(True)
        self.statusLabel = QLabel()
        self.statusLabel.setObjectName("statusLabel")
        self.statusLabel.setWordWrap(True)
        self.statusLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.titleLabel)
        layout.addWidget(self.statusLabel)

        bar_row = QHBoxLayout()
        self.progressBar = QProgressBar()
        self.progressBar.setObjectName("progressBar")
        self.progressBar.setRange(0, 100)
        self.progressBar.setFormat("%p%")
        self.etaLabel = QLabel()
        self.etaLabel.setObjectName("etaLabel")
        self.etaLabel.hide()
        bar_row.addWidget(self.progressBar, 1)
        bar_row.addWidget(self.etaLabel)
        layout.addLayout(bar_row)

        self.stepList = QListWidget()
        self.stepList.setObjectName("stepList")
        self.stepList.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.stepList.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for step in self.state.steps:
            self.stepList.addItem(QListWidgetItem(step_icon(StepStatus.PENDING), step.label))
        row_height = self.stepList.sizeHintForRow(0)
        self.stepList.setFixedHeight(row_height * len(self.state.steps) + 2 * self.stepList.frameWidth() + 4)
        layout.addWidget(self.stepList)

        topic_row = QHBoxLayout()
        self.currentTopicLabel = QLabel()
        self.currentTopicLabel.setObjectName("currentTopicLabel")
        self.lessonsLabel = QLabel()
        self.lessonsLabel.setObjectName("lessonsLabel")
        topic_row.addWidget(self.currentTopicLabel, 1)
        topic_row.addWidget(self.lessonsLabel)
        layout.addLayout(topic_row)

        self.previewView = QPlainTextEdit()
        self.previewView.setObjectName("previewView")
        self.previewView.setReadOnly(True)
        self.previewView.setPlaceholderText("The lesson being written appears here.")
        layout.addWidget(self.previewView, 1)

        log_row = QHBoxLayout()
        self.logToggle = QToolButton()
        self.logToggle.setText("Log")
        self.logToggle.setCheckable(True)
        self.logToggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.logToggle.setArrowType(Qt.ArrowType.RightArrow)
        self.logToggle.setAutoRaise(True)
        self.logToggle.toggled.connect(self._toggle_log)
        self.copyLogButton = QPushButton("Copy log")
        self.copyLogButton.clicked.connect(self._copy_log)
        self.copyLogButton.hide()
        log_row.addWidget(self.logToggle)
        log_row.addStretch(1)
        log_row.addWidget(self.copyLogButton)
        layout.addLayout(log_row)
        self._log_at = layout.count()  # where `logView` goes when first shown

        buttons = QHBoxLayout()
        self.resumeButton = button("Resume", "resumeButton", self._resume)
        self.openCourseButton = button("Open course", "openCourseButton", self._open_course)
        self.pauseButton = button("Pause", "pauseButton", self._pause, tip="Finish and save the parts being written, start nothing new; Resume continues later, even after a restart.")
        self.cancelButton = button("Cancel", "cancelButton", self._cancel)
        self.backgroundButton = button("Run in background", "backgroundButton", self.close, tip="Close this window; the job keeps running and the history shows its progress.")
        buttons.addWidget(self.resumeButton)
        buttons.addWidget(self.openCourseButton)
        buttons.addStretch(1)
        buttons.addWidget(self.pauseButton)
        buttons.addWidget(self.cancelButton)
        buttons.addWidget(self.backgroundButton)
        layout.addLayout(buttons)

    # -- events in ------------------------------------------------------------------------------

    @Slot(object)
    def on_event(self, event: Event) -> None:
        """Buffer a live event of this job; `_flush` applies the buffer at most every 100 ms."""
        if event.job_id != self.job_id:
            return
        self._pending.append(event)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _loaded(self, result: tuple[JobRecord, list[Event]]) -> None:
        record, events = result
        for event in events:
            self.state.apply(event)
        self.state.sync_record(record)
        self._loading = False
        self._flush()

    def _load_failed(self, error: Exception) -> None:
        self._loading = False
        message = error.message if isinstance(error, CourseGenError) else "The job's history could not be read."
        self.statusLabel.setText(message)
        self._flush()

    @Slot()
    def _flush(self) -> None:
        if self._loading:
            return
        pending, self._pending = self._pending, []
        for event in pending:  # events already replayed from the store (seq <= last) are dropped
            if event.is_terminal or isinstance(event, JobQueued):
                self._cancelling = self._pausing = False
            self.state.apply(event)
        if not self._pending:
            self._flush_timer.stop()
        self._render()

    # -- rendering --------------------------------------------------------------------------------

    def _render(self) -> None:
        state = self.state
        self.setWindowTitle(f"{state.topic or 'Course'} — CourseGen")
        self.titleLabel.setText(state.topic or "Loading…")
        self.statusLabel.setText(self._status_sentence())
        self.progressBar.setValue(int(state.percent))
        eta = format_eta(state.eta_s) if state.status == JobStatus.RUNNING else ""
        self.etaLabel.setText(eta)
        self.etaLabel.setVisible(bool(eta))
        self._render_steps()
        running = state.status == JobStatus.RUNNING
        self.currentTopicLabel.setText(f"Writing: {state.current_topic}" if running and state.current_topic else "")
        self.lessonsLabel.setText(f"{state.lessons_done} of {state.lessons_total} lessons" if state.lessons_total else "")
        if state.preview != self._shown_preview:
            self._shown_preview = state.preview
            self.previewView.setPlainText(state.preview)
            self.previewView.verticalScrollBar().setValue(self.previewView.verticalScrollBar().maximum())
        new_lines = min(state.log_total - self._log_shown, len(state.log))
        if new_lines > 0 and "logView" in self.__dict__:
            self.logView.appendPlainText("\n".join(state.log[-new_lines:]))
            self._log_shown = state.log_total
        self._render_buttons()
        if running and not self._clock.isActive():
            self._clock.start()
        elif not running:
            self._clock.stop()

    def _status_sentence(self) -> str:
        state = self.state
        if self._loading:
            return "Loading the job…"
        if state.status == JobStatus.QUEUED:
            if self._manager.is_queued(self.job_id):
                return f"Waiting for a free slot ({self._manager.running_count} jobs running)…"
            return "Starting…"
        if state.status == JobStatus.RUNNING:
            if self._pausing:
                return "Pausing: the parts being written are finished and saved, nothing new starts…"
            return "Cancelling…" if self._cancelling else (state.message or "Working…")
        if state.status == JobStatus.COMPLETED:
            return f"Course ready: {state.course_title}"
        if state.status == JobStatus.CANCELLED:
            return CANCELLED_TEXT
        if state.status == JobStatus.PAUSED:
            return PAUSED_TEXT
        if state.status == JobStatus.AWAITING_REVIEW:
            return "The outline is ready: review it, then approve it to write the lessons."
        if state.status == JobStatus.BATCHED:
            return f"{state.message or 'Batched'} Results come within 24 hours; the app checks every few minutes."
        return state.error

    def _render_steps(self) -> None:
        now = datetime.now(timezone.utc)
        for row, step in enumerate(self.state.steps):
            item = self.stepList.item(row)
            item.setIcon(step_icon(step.status))
            item.setText(self._step_text(step, now))
            item.setData(Qt.ItemDataRole.UserRole, step.status.value)

    @staticmethod
    def _step_text(step: StepState, now: datetime) -> str:
        if step.status == StepStatus.DONE:
            return f"{step.label} — done in {format_duration(step.duration_s)}"
        if step.status == StepStatus.RUNNING and step.started_at is not None:
            elapsed = max(0.0, (now - step.started_at).total_seconds())
            return f"{step.label} — running, {format_duration(elapsed)}"
        if step.status == StepStatus.FAILED:
            return f"{step.label} — failed"
        if step.status == StepStatus.STOPPED:
            return f"{step.label} — stopped"
        return step.label

    def _render_buttons(self) -> None:
        status = self.state.status
        active = not self._loading and status in (JobStatus.QUEUED, JobStatus.RUNNING)
        self.cancelButton.setVisible(active)
        self.cancelButton.setEnabled(not self._cancelling)
        self.cancelButton.setText("Cancelling…" if self._cancelling else "Cancel")
        self.pauseButton.setVisible(active)
        self.pauseButton.setEnabled(not self._cancelling and not self._pausing)
        self.openCourseButton.setVisible(status == JobStatus.COMPLETED)
        self.resumeButton.setVisible(status.can_resume and self.state.resumable)
        self.backgroundButton.setText("Run in background" if active or self._loading else "Close")

    # -- actions ------------------------------------------------------------------------------------

    def _pause(self) -> None:
        self._pausing = True
        self._manager.pause(self.job_id)
        self._render()

    def _cancel(self) -> None:
        self._cancelling = True
        self._manager.cancel(self.job_id)
        self._render()

    def _resume(self) -> None:
        try:
            self._manager.resume(self.job_id, self.state.topic)
        except CourseGenError as exc:
            self.statusLabel.setText(exc.message)

    def _open_course(self) -> None:
        self.open_course_requested.emit(self.job_id)
        self.close()

    @cached_property
    def logView(self) -> QPlainTextEdit:  # noqa: N802 - the object name tests and checks use
        """Made when first shown (the log stays folded for most jobs): its document and
        monospace font would cost every progress window memory for nothing."""
        view = QPlainTextEdit()
        view.setObjectName("logView")
        view.setReadOnly(True)
        view.setMaximumBlockCount(LOG_LIMIT)
        view.setFont(QFont("monospace"))
        view.hide()
        self.layout().insertWidget(self._log_at, view, 1)  # type: ignore[union-attr]
        if self.state.log:
            view.appendPlainText("\n".join(self.state.log))
        self._log_shown = self.state.log_total
        return view

    def _toggle_log(self, shown: bool) -> None:
        self.logToggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.logView.setVisible(shown)
        self.copyLogButton.setVisible(shown)

    def _copy_log(self) -> None:
        QGuiApplication.clipboard().setText("\n".join(self.state.log))

    def closeEvent(self, event: QCloseEvent) -> None:
        self._flush_timer.stop()
        self._clock.stop()
        super().closeEvent(event)
