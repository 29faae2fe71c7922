"""The main window: new-course form, job history, course viewer, menus and the status bar.

The window shows at once; the history database is opened and read on a background thread and
plugged in when ready (`store_ready`). Jobs are run by the `JobManager`; this window only turns
user actions into manager calls and events into views.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QSystemTrayIcon,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from coursegen_desktop import APP_NAME
from coursegen_desktop.core import paths
from coursegen_desktop.core.errors import CourseGenError, NotFound
from coursegen_desktop.core.events import Event, JobCompleted, JobFailed
from coursegen_desktop.core.generators.factory import make_generator
from coursegen_desktop.core.models import CourseRequest, GeneratorKind, JobRecord, JobStatus
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui import claude, tasks
from coursegen_desktop.gui.course_view import CourseView
from coursegen_desktop.gui.history_model import PROGRESS, STARTED, HistoryFilterModel, HistoryModel, JobRole, ProgressDelegate
from coursegen_desktop.gui.icons import app_icon
from coursegen_desktop.gui.jobs import GeneratorFactory, JobManager
from coursegen_desktop.gui.new_course_form import NewCourseForm
from coursegen_desktop.gui.progress_dialog import ProgressDialog
from coursegen_desktop.gui.settings import Settings
from coursegen_desktop.gui.widgets import MessageBar

log = logging.getLogger(__name__)

STOP_TIMEOUT_MS = 15_000
NO_KEY_TEXT = (
    "No Claude API key yet. The offline generator builds a course from your own material: add files "
    "(or use the sample material) and press Generate. To let Claude write courses, add a key in Settings."
)


def _export(store: Store, job_id: str, fmt: str, out: Path) -> Path:
    from coursegen_desktop.core.export import export_course

    course = store.get_course(job_id)
    if course is None:
        raise NotFound("This course is not finished yet; export it once the job has completed.")
    return export_course(course, fmt, out)


class MainWindow(QMainWindow):
    """Signals:
    store_ready(): the history database is open and `job_manager` exists.
    store_failed(str): the history database cannot be used (one sentence).
    history_loaded(): the past jobs are in the history table.
    closed(): the window accepted its close (all job threads have stopped).
    """

    store_ready = Signal()
    store_failed = Signal(str)
    history_loaded = Signal()
    closed = Signal()

    def __init__(self, settings: Settings | None = None, generator_factory: GeneratorFactory = make_generator) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.settings = settings or Settings()
        self._factory = generator_factory
        self.store: Store | None = None
        self.job_manager: JobManager | None = None
        self._dialogs: dict[str, ProgressDialog] = {}
        self._has_key = False
        self._models: list[str] = list(claude.FALLBACK_MODELS)
        self._close_ready = False
        self._tray: QSystemTrayIcon | None = None
        self._stop_timer = QTimer(self)  # a child timer: it can never fire into a deleted window
        self._stop_timer.setSingleShot(True)
        self._stop_timer.timeout.connect(self._stopped)
        self._build()
        self._build_menus()
        self._restore_state()

    # -- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(8, 8, 8, 4)
        self._bars = QVBoxLayout()
        outer.addLayout(self._bars)

        self.form = NewCourseForm()
        self.form.generate_requested.connect(self.generate)
        self.form.generateButton.setEnabled(False)  # until the history is open
        form_scroll = QScrollArea()
        form_scroll.setWidget(self.form)
        form_scroll.setWidgetResizable(True)
        form_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        form_scroll.setMinimumWidth(330)
        self.topicEdit = self.form.topicEdit
        self.generateButton = self.form.generateButton

        self.history_model = HistoryModel(self)
        self.history_proxy = HistoryFilterModel(self)
        self.history_proxy.setSourceModel(self.history_model)
        self.filterEdit = QLineEdit()
        self.filterEdit.setObjectName("filterEdit")
        self.filterEdit.setPlaceholderText("Filter the history…")
        self.filterEdit.setClearButtonEnabled(True)
        self.filterEdit.textChanged.connect(self.history_proxy.set_filter_text)
        self.historyView = QTableView()
        self.historyView.setObjectName("historyView")
        self.historyView.setModel(self.history_proxy)
        self.historyView.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self.historyView))
        self.historyView.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.historyView.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.historyView.setSortingEnabled(True)
        self.historyView.sortByColumn(STARTED, Qt.SortOrder.DescendingOrder)
        self.historyView.verticalHeader().hide()
        self.historyView.setAlternatingRowColors(True)
        self.historyView.setWordWrap(False)
        header = self.historyView.horizontalHeader()
        header.setMinimumSectionSize(60)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(PROGRESS, QHeaderView.ResizeMode.Fixed)
        self.historyView.setColumnWidth(PROGRESS, 120)
        self.historyView.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.historyView.customContextMenuRequested.connect(self._history_menu)
        self.historyView.doubleClicked.connect(self._history_activated)
        history = QWidget()
        history_layout = QVBoxLayout(history)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_title = QLabel("History")
        bold = history_title.font()
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.2)
        history_title.setFont(bold)
        history_layout.addWidget(history_title)
        history_layout.addWidget(self.filterEdit)
        history_layout.addWidget(self.historyView, 1)

        self.courseView = CourseView()
        self.courseView.export_requested.connect(self.export_job)
        self.rightSplitter = QSplitter(Qt.Orientation.Vertical)
        self.rightSplitter.setObjectName("rightSplitter")
        self.rightSplitter.addWidget(history)
        self.rightSplitter.addWidget(self.courseView)
        self.rightSplitter.setStretchFactor(1, 2)
        self.mainSplitter = QSplitter(Qt.Orientation.Horizontal)
        self.mainSplitter.setObjectName("mainSplitter")
        self.mainSplitter.addWidget(form_scroll)
        self.mainSplitter.addWidget(self.rightSplitter)
        self.mainSplitter.setStretchFactor(1, 1)
        outer.addWidget(self.mainSplitter, 1)
        self.setCentralWidget(central)

        self.runningLabel = QLabel("Opening the history…")
        self.runningLabel.setObjectName("runningLabel")
        self.statusBar().addPermanentWidget(self.runningLabel)

    def _build_menus(self) -> None:
        def action(menu: QMenu, text: str, slot: object, shortcut: QKeySequence | str | None = None) -> QAction:
            act = menu.addAction(text)
            act.triggered.connect(slot)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            return act

        file_menu = self.menuBar().addMenu("&File")
        action(file_menu, "&New course", self.new_course, QKeySequence.StandardKey.New)
        file_menu.addSeparator()
        action(file_menu, "&Settings…", self.open_settings, "Ctrl+,")
        file_menu.addSeparator()
        action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        jobs = self.menuBar().addMenu("&Jobs")
        self.openAction = action(jobs, "&Open course", lambda: self._for_selected(self.open_course, single=True), "Return")
        self.openAction.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.historyView.addAction(self.openAction)
        self.progressAction = action(jobs, "Show &progress", lambda: self._for_selected(self.show_progress))
        self.resumeAction = action(jobs, "&Resume", lambda: self._for_selected(self.resume_job))
        self.cancelAction = action(jobs, "&Cancel", lambda: self._for_selected(self.cancel_job))
        self.deleteAction = action(jobs, "&Delete…", self.delete_selected, QKeySequence.StandardKey.Delete)
        self.deleteAction.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.historyView.addAction(self.deleteAction)
        self.exportAction = action(jobs, "&Export…", lambda: self._for_selected(self.export_job, single=True))
        jobs.aboutToShow.connect(self._update_job_actions)

        view_menu = self.menuBar().addMenu("&View")
        self.analyticsAction = action(view_menu, "&Analytics", self.show_analytics, "Ctrl+Shift+A")

        help_menu = self.menuBar().addMenu("&Help")
        action(help_menu, "&About CourseGen Desktop", self.show_about, "F1")
        action(help_menu, "Open &log folder", lambda: self._open_folder(paths.log_dir()))
        action(help_menu, "Open &data folder", lambda: self._open_folder(paths.data_dir()))

    def _restore_state(self) -> None:
        geometry = self.settings.bytes_value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1240, 800)
        for key, splitter in (("window/main_splitter", self.mainSplitter), ("window/right_splitter", self.rightSplitter), ("window/course_splitter", self.courseView.splitter)):
            state = self.settings.bytes_value(key)
            if state is not None:
                splitter.restoreState(state)
        if self.settings.bytes_value("window/main_splitter") is None:
            self.mainSplitter.setSizes([380, 860])
            self.rightSplitter.setSizes([260, 480])

    def _save_state(self) -> None:
        self.settings.set_value("window/geometry", self.saveGeometry())
        self.settings.set_value("window/main_splitter", self.mainSplitter.saveState())
        self.settings.set_value("window/right_splitter", self.rightSplitter.saveState())
        self.settings.set_value("window/course_splitter", self.courseView.splitter.saveState())
        self.settings.sync()

    # -- start-up: store, history, key -----------------------------------------------------------

    def start(self) -> None:
        """Open the history and look for an API key, both off the GUI thread."""
        tasks.run_in_background(Store.open, on_done=self._store_opened, on_error=self._store_failed, owner=self)
        self.refresh_key_status()

    def _store_opened(self, store: Store) -> None:
        self.store = store
        manager = JobManager(store, self._factory, self.settings.max_jobs, self)
        manager.event_emitted.connect(self._on_job_event)
        manager.job_added.connect(lambda record: self.history_model.add_records([record]))
        manager.job_finished.connect(self._job_finished)
        manager.running_changed.connect(self._update_running_label)
        self.job_manager = manager
        self.form.generateButton.setEnabled(True)
        for notice in store.notices:
            self.show_message(notice, "warning")
        self._update_running_label()
        self.store_ready.emit()
        tasks.run_in_background(store.list_jobs, on_done=self._history_read, on_error=self._history_failed, owner=self)

    def _store_failed(self, error: Exception) -> None:
        sentence = error.message if isinstance(error, CourseGenError) else "The history database could not be opened; details are in the log."
        if not isinstance(error, CourseGenError):
            log.error("opening the store failed", exc_info=error)
        self.runningLabel.setText("No history")
        self.show_message(sentence, "error")
        self.store_failed.emit(sentence)

    def _history_read(self, records: list[JobRecord]) -> None:
        self.history_model.add_records(records)
        self.history_loaded.emit()

    def _history_failed(self, error: Exception) -> None:
        self.show_message(error.message if isinstance(error, CourseGenError) else "The history could not be read; details are in the log.", "error")

    def refresh_key_status(self) -> None:
        tasks.run_in_background(claude.key_status, on_done=self._key_status, owner=self)

    def _key_status(self, status: claude.KeyStatus) -> None:
        self._has_key = status.has_key
        bar = next((bar for bar in self.findChildren(MessageBar) if bar.key == "no-key" and bar.isVisibleTo(self)), None)
        if not status.has_key and bar is None:
            bar = self.show_message(NO_KEY_TEXT, "info", key="no-key")
            bar.add_button("Use sample material", self.form.use_sample_material)
            bar.add_button("Open Settings…", self.open_settings)
        elif status.has_key and bar is not None:
            bar.dismiss()
        self.form.set_models(self._models, has_key=status.has_key, default=self.settings.default_model)
        if status.has_key:
            tasks.run_in_background(claude.fetch_models, on_done=self._models_fetched, owner=self)

    def _models_fetched(self, models: list[str]) -> None:
        self._models = models or self._models
        self.form.set_models(self._models, has_key=self._has_key, default=self.settings.default_model)

    def show_message(self, text: str, kind: str = "info", key: str = "") -> MessageBar:
        """A non-blocking message above the content (store notices, errors, first-run help)."""
        bar = MessageBar(text, kind, self, key)
        self._bars.addWidget(bar)
        return bar

    # -- jobs -----------------------------------------------------------------------------------

    @Slot(object)
    def generate(self, request: CourseRequest) -> None:
        if self.job_manager is None:
            self.form.show_error("The history is still opening; try again in a moment.")
            return
        if request.generator == GeneratorKind.CLAUDE and not self._has_key:
            self.form.show_error("Claude needs an API key: add one in Settings, or choose the offline generator.")
            return
        request = request.model_copy(update={"concurrency": self.settings.lesson_concurrency})
        try:
            record = self.job_manager.submit(request)
        except CourseGenError as exc:
            self.form.show_error(exc.message)
            return
        self.statusBar().showMessage(f"Started “{record.topic}”.", 5000)
        self.show_progress(record.id)

    def show_progress(self, job_id: str) -> ProgressDialog | None:
        """Open (or raise) the progress window of a job."""
        if self.job_manager is None:
            return None
        dialog = self._dialogs.get(job_id)
        if dialog is None:
            record = self.history_model.record(job_id)
            dialog = ProgressDialog(job_id, self.job_manager, record.topic if record else "", self)
            dialog.setWindowFlag(Qt.WindowType.Window)
            dialog.open_course_requested.connect(self.open_course)
            dialog.destroyed.connect(lambda *_: self._dialogs.pop(job_id, None))
            self._dialogs[job_id] = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def open_course(self, job_id: str) -> None:
        if self.store is not None:
            self.courseView.show_job(self.store, job_id)

    def resume_job(self, job_id: str) -> None:
        record = self.history_model.record(job_id)
        if self.job_manager is None or record is None:
            return
        if not record.status.can_resume:
            self.statusBar().showMessage("Only failed, cancelled or interrupted jobs can be resumed.", 5000)
            return
        try:
            self.job_manager.resume(job_id, record.topic)
        except CourseGenError as exc:
            self.show_message(exc.message, "warning")
            return
        self.show_progress(job_id)

    def cancel_job(self, job_id: str) -> None:
        if self.job_manager is not None:
            self.job_manager.cancel(job_id)

    def delete_selected(self) -> None:
        job_ids = self._selected_job_ids()  # resolved before the question: rows may move meanwhile
        if not job_ids or self.store is None or self.job_manager is None:
            return
        active = [job_id for job_id in job_ids if self.job_manager.is_active(job_id)]
        job_ids = [job_id for job_id in job_ids if job_id not in active]
        if active:
            self.statusBar().showMessage("Running jobs are not deleted; cancel them first.", 6000)
        if not job_ids:
            return
        what = "this job and its course" if len(job_ids) == 1 else f"these {len(job_ids)} jobs and their courses"
        answer = QMessageBox.question(self, "Delete from history", f"Delete {what} from the history? This cannot be undone.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        for job_id in job_ids:
            tasks.run_in_background(self.store.delete_job, job_id, on_done=lambda _r, j=job_id: self._deleted(j), on_error=self._action_failed, owner=self)

    def _deleted(self, job_id: str) -> None:
        self.history_model.remove_job(job_id)
        if self.courseView.job_id == job_id:
            self.courseView.clear()

    def export_job(self, job_id: str) -> None:
        """Ask for a format and a file, then export on a worker thread."""
        try:
            from coursegen_desktop.core.export import FORMATS, safe_filename
        except ImportError:
            self.show_message("Export is not available in this installation.", "error")
            return
        record = self.history_model.record(job_id)
        if self.store is None or record is None:
            return
        if record.status != JobStatus.COMPLETED:
            self.statusBar().showMessage("Only finished courses can be exported.", 5000)
            return
        filters = {spec.file_filter: name for name, spec in FORMATS.items()}
        name = safe_filename(record.course_title or record.topic)
        path, chosen = QFileDialog.getSaveFileName(self, "Export course", str(Path.home() / name), ";;".join(filters))
        if not path:
            return
        fmt = filters.get(chosen, "markdown")
        suffix = FORMATS[fmt].suffix
        target = Path(path if not suffix or path.endswith(suffix) else path + suffix)
        self.statusBar().showMessage(f"Exporting to {target.name}…")
        tasks.run_in_background(_export, self.store, job_id, fmt, target, on_done=self._exported, on_error=self._action_failed, owner=self)

    def _exported(self, path: Path) -> None:
        self.statusBar().showMessage(f"Exported to {path}.", 10_000)

    def _action_failed(self, error: Exception) -> None:
        if not isinstance(error, CourseGenError):
            log.error("a history action failed", exc_info=error)
        sentence = error.message if isinstance(error, CourseGenError) else "That did not work; details are in the log."
        self.statusBar().clearMessage()
        self.show_message(sentence, "error")

    @Slot(object)
    def _on_job_event(self, event: Event) -> None:
        self.history_model.apply_event(event)
        self.courseView.on_event(event)
        if event.is_terminal:
            self._notify(event)

    @Slot(str)
    def _job_finished(self, job_id: str) -> None:
        if self.store is not None:  # the row may know more than the events (e.g. interrupted)
            tasks.run_in_background(self.store.get_job, job_id, on_done=self.history_model.update_record, owner=self)

    def _notify(self, event: Event) -> None:
        record = self.history_model.record(event.job_id)
        topic = record.topic if record else "A job"
        if isinstance(event, JobCompleted):
            text = f"“{event.title}” is ready."
        elif isinstance(event, JobFailed):
            text = f"“{topic}” failed: {event.message}"
        else:
            text = f"“{topic}” was cancelled; finished parts are kept."
        self.statusBar().showMessage(text, 15_000)
        dialog = self._dialogs.get(event.job_id)
        if (dialog is None or not dialog.isVisible() or not self.isActiveWindow()) and QSystemTrayIcon.isSystemTrayAvailable():
            if self._tray is None:
                self._tray = QSystemTrayIcon(app_icon(), self)
                self._tray.activated.connect(lambda *_: (self.showNormal(), self.raise_(), self.activateWindow()))
                self._tray.show()
            self._tray.showMessage(APP_NAME, text, QSystemTrayIcon.MessageIcon.Information, 8000)

    def _update_running_label(self, *_: object) -> None:
        manager = self.job_manager
        if manager is None:
            return
        running, waiting = manager.running_count, manager.active_count - manager.running_count
        text = "No jobs running" if running == 0 else ("1 job running" if running == 1 else f"{running} jobs running")
        self.runningLabel.setText(text + (f", {waiting} waiting" if waiting else ""))

    # -- history selection ------------------------------------------------------------------------

    def _selected_job_ids(self) -> list[str]:
        rows = self.historyView.selectionModel().selectedRows() if self.historyView.selectionModel() else []
        return [index.data(JobRole).id for index in rows]

    def _for_selected(self, act: Callable[[str], object], single: bool = False) -> None:
        job_ids = self._selected_job_ids()
        for job_id in job_ids[:1] if single else job_ids:
            act(job_id)

    def _update_job_actions(self) -> None:
        records = [self.history_model.record(job_id) for job_id in self._selected_job_ids()]
        records = [record for record in records if record is not None]
        manager = self.job_manager
        active = [manager is not None and manager.is_active(record.id) for record in records]
        self.openAction.setEnabled(len(records) == 1)
        self.progressAction.setEnabled(bool(records))
        self.resumeAction.setEnabled(any(record.status.can_resume and not busy for record, busy in zip(records, active, strict=True)))
        self.cancelAction.setEnabled(any(active))
        self.deleteAction.setEnabled(bool(records) and not all(active))
        self.exportAction.setEnabled(len(records) == 1 and records[0].status == JobStatus.COMPLETED)

    def _history_menu(self, pos: QPoint) -> None:
        if not self._selected_job_ids():
            return
        self._update_job_actions()
        menu = QMenu(self)
        menu.addActions([self.openAction, self.progressAction, self.resumeAction, self.cancelAction])
        menu.addSeparator()
        menu.addActions([self.exportAction, self.deleteAction])
        menu.popup(self.historyView.viewport().mapToGlobal(pos))

    def _history_activated(self, index: QModelIndex) -> None:
        record: JobRecord = index.data(JobRole)
        if record.status == JobStatus.COMPLETED:
            self.open_course(record.id)
        else:
            self.show_progress(record.id)
            self.open_course(record.id)

    # -- other actions ------------------------------------------------------------------------------

    def new_course(self) -> None:
        self.form.topicEdit.setFocus()
        self.form.topicEdit.selectAll()

    def open_settings(self) -> None:
        from coursegen_desktop.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self._models, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.key_changed.connect(self.refresh_key_status)
        dialog.settings_applied.connect(self._settings_applied)
        dialog.open()

    def _settings_applied(self) -> None:
        if self.job_manager is not None:
            self.job_manager.set_max_running(self.settings.max_jobs)
        self.form.set_models(self._models, has_key=self._has_key, default=self.settings.default_model)

    def show_analytics(self) -> None:
        """View → Analytics: one window, figures computed off this thread (gui/analytics_view.py)."""
        if self.store is None:
            return
        from coursegen_desktop.gui.analytics_view import AnalyticsView

        view = self.findChild(AnalyticsView, "analyticsView")
        if view is None:
            view = AnalyticsView(self.store, self)
            if self.job_manager is not None:  # a job that ends while the view is open counts at once
                self.job_manager.job_finished.connect(view.job_ended)
        view.show()
        view.raise_()
        view.activateWindow()
        view.reload()

    def show_about(self) -> None:
        from coursegen_desktop.gui.about import AboutDialog

        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    @staticmethod
    def _open_folder(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # -- closing ----------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        manager = self.job_manager
        if self._close_ready or manager is None or manager.active_count == 0:
            self._finish_close()
            event.accept()
            return
        event.ignore()
        if manager.shutting_down:
            return  # already stopping: the window closes when the threads have finished
        choice = self.ask_about_running_jobs(manager.active_count)
        if choice in ("keep", "cancel"):
            self.stop_jobs_and_close(keep_for_resume=choice == "keep")

    def ask_about_running_jobs(self, count: int) -> str:
        """"keep" (stop now, Resume later), "cancel", or "stay" (don't quit)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Jobs are still running", "", parent=self)
        box.setText(f"{count} job{'s are' if count > 1 else ' is'} still running or waiting.")
        box.setInformativeText("Keep them to resume next time, or cancel them? Finished parts are kept either way.")
        keep = box.addButton("Keep for resume", QMessageBox.ButtonRole.AcceptRole)
        cancel_jobs = box.addButton("Cancel jobs", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Don't quit", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.exec()
        clicked = box.clickedButton()
        return "keep" if clicked is keep else "cancel" if clicked is cancel_jobs else "stay"

    def stop_jobs_and_close(self, keep_for_resume: bool) -> None:
        """Stop every job (without blocking), then close once their threads have finished."""
        manager = self.job_manager
        assert manager is not None
        self.runningLabel.setText("Stopping jobs…")
        self.setEnabled(False)
        manager.stopped.connect(self._stopped)
        manager.shutdown(keep_for_resume)
        self._stop_timer.start(STOP_TIMEOUT_MS)

    @Slot()
    def _stopped(self) -> None:
        self._stop_timer.stop()
        if self._close_ready:
            return
        manager = self.job_manager
        if manager is not None and not manager.wait_stopped(5000):
            log.error("job threads did not stop in time")
        self._close_ready = True
        self.close()

    def _finish_close(self) -> None:
        self._close_ready = True
        self._save_state()
        for dialog in list(self._dialogs.values()):
            dialog.close()
        if self._tray is not None:
            self._tray.hide()
        self.closed.emit()
