"""The main window: new-course form, job history, course viewer, menus and the status bar.

The window shows at once; the history database is opened and read on a background thread and
plugged in when ready (`store_ready`). Jobs are run by the `JobManager`; this window only turns
user actions into manager calls and events into views.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from coursegen_desktop import APP_NAME
from coursegen_desktop.core import paths
from coursegen_desktop.core.errors import CourseGenError, NotFound
from coursegen_desktop.core.events import Event, JobCompleted, JobFailed, OutlineReady
from coursegen_desktop.core.models import CourseRequest, GeneratorKind, JobRecord, JobStatus
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui import batch_poller, claude, tasks
from coursegen_desktop.gui.course_view import CourseView
from coursegen_desktop.gui.history_panel import HistoryPanel
from coursegen_desktop.gui.icons import app_icon
from coursegen_desktop.gui.jobs import GeneratorFactory, JobManager
from coursegen_desktop.gui.local_model_settings import local_choice
from coursegen_desktop.gui.new_course_form import NewCourseForm
from coursegen_desktop.gui.pdf_format import register_pdf_format
from coursegen_desktop.gui.progress_dialog import ProgressDialog
from coursegen_desktop.gui.queue_panel import QueuePanel
from coursegen_desktop.gui.settings import PROVIDER_LOCAL, Settings
from coursegen_desktop.gui.steering import Steering
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
    history_loaded(): the first page of past jobs (or of a new filter) is in the history table.
    closed(): the window accepted its close (all job threads have stopped).
    """

    store_ready = Signal()
    store_failed = Signal(str)
    history_loaded = Signal()
    closed = Signal()

    def __init__(self, settings: Settings | None = None, generator_factory: GeneratorFactory | None = None) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.settings = settings or Settings()
        self._factory = generator_factory  # None: jobs run in the engine process (tests inject one)
        self.store: Store | None = None
        self.job_manager: JobManager | None = None
        self._dialogs: dict[str, ProgressDialog] = {}
        self._has_key: bool | None = None  # None until the key lookup has answered
        self._waiting_request: CourseRequest | None = None  # a Generate that waits for that answer
        self._models: list[str] = list(claude.FALLBACK_MODELS)
        self._close_ready = False
        self._tray: QSystemTrayIcon | None = None
        self._stop_timer = QTimer(self)  # a child timer: it can never fire into a deleted window
        self._stop_timer.setSingleShot(True)
        self._stop_timer.timeout.connect(self._stopped)
        self._build()
        self._build_menus()
        self._restore_state()
        self.steering = Steering(self)  # plan estimate, outline review, regenerate, earlier versions

    # -- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(8, 8, 8, 4)
        self._bars = QVBoxLayout()
        outer.addLayout(self._bars)

        self.store_ready.connect(lambda: batch_poller.start_batch_poller(self))
        self.form = NewCourseForm()
        self.form.set_local(local_choice(self.settings), preferred=self.settings.provider == PROVIDER_LOCAL)
        self.form.generate_requested.connect(self.generate)
        self.form.generateButton.setEnabled(False)  # until the history is open
        form_scroll = QScrollArea()
        form_scroll.setWidget(self.form)
        form_scroll.setWidgetResizable(True)
        form_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        form_scroll.setMinimumWidth(330)
        self.topicEdit = self.form.topicEdit
        self.generateButton = self.form.generateButton

        self.history = HistoryPanel()
        self.history.open_requested.connect(self.open_course)
        self.history.progress_requested.connect(self.show_progress)
        self.history.resume_requested.connect(self.resume_job)
        self.history.cancel_requested.connect(self.cancel_job)
        self.history.export_requested.connect(self.export_job)
        self.history.job_deleted.connect(self._deleted)
        self.history.status_message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.history.action_failed.connect(self._action_failed)
        self.history.loaded.connect(self.history_loaded)
        self.history.model.load_failed.connect(self._history_failed)
        self.history_model = self.history.model
        self.historyView = self.history.historyView
        self.filterEdit = self.history.filterEdit
        self.queuePanel = QueuePanel(self._topic_of)
        self.history.insert_above_table(self.queuePanel)
        self.history.run_next_requested.connect(self.run_next)
        self.history.pause_requested.connect(lambda job_id: self.job_manager.pause(job_id) if self.job_manager else None)

        self.courseView = CourseView()
        self.courseView.export_requested.connect(self.export_job)
        self.courseView.study_requested.connect(self.open_study)
        self.rightSplitter = QSplitter(Qt.Orientation.Vertical)
        self.rightSplitter.setObjectName("rightSplitter")
        self.rightSplitter.addWidget(self.history)
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
        action(file_menu, "&Bulk courses…", self.open_bulk_courses)
        file_menu.addSeparator()
        action(file_menu, "&Settings…", self.open_settings, "Ctrl+,")
        file_menu.addSeparator()
        action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        jobs = self.menuBar().addMenu("&Jobs")
        for act in self.history.job_actions():
            if act is None:
                jobs.addSeparator()
            else:
                jobs.addAction(act)
        jobs.aboutToShow.connect(self.history.update_actions)

        view_menu = self.menuBar().addMenu("&View")
        self.studyAction = action(view_menu, "&Study", lambda: self.open_study(), "Ctrl+Shift+S")
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
        manager.job_added.connect(self._job_added)
        manager.job_finished.connect(self._job_finished)
        manager.running_changed.connect(self._update_running_label)
        manager.problem.connect(lambda sentence: self.show_message(sentence, "warning"))
        self.job_manager = manager
        self.history.is_active = manager.is_active
        self.history.is_waiting = lambda job_id: job_id in manager.queued_jobs[1:]
        self.history.set_store(store)
        self.queuePanel.set_manager(manager)
        manager.start()  # the engine starts (or is found) in the background: the first job starts warm
        self.refresh_key_status()
        self.form.generateButton.setEnabled(True)
        for notice in store.notices:
            self.show_message(notice, "warning")
        self._update_running_label()
        self.store_ready.emit()

    def _store_failed(self, error: Exception) -> None:
        sentence = error.message if isinstance(error, CourseGenError) else "The history database could not be opened; details are in the log."
        if not isinstance(error, CourseGenError):
            log.error("opening the store failed", exc_info=error)
        self.runningLabel.setText("No history")
        self.show_message(sentence, "error")
        self.store_failed.emit(sentence)

    def _history_failed(self, error: Exception) -> None:
        if not isinstance(error, CourseGenError):
            log.error("reading the history failed", exc_info=error)
        self.show_message(error.message if isinstance(error, CourseGenError) else "The history could not be read; details are in the log.", "error")

    def refresh_key_status(self) -> None:
        """Look the key up again (the engine does: the keychain library stays out of the window);
        a Generate pressed meanwhile waits for the answer."""
        self._has_key = None
        if self.job_manager is not None:  # else the history is still opening: asked once it is
            self.job_manager.call("key_status", self._key_looked_up)

    def _key_looked_up(self, reply: dict[str, object]) -> None:
        status = reply.get("status") if reply.get("ok") else None
        if not isinstance(status, dict):
            log.warning("the API key lookup failed: %s", reply.get("error"))
            status = {"has_key": False, "location": None, "keychain_available": False, "config_dir": None}
        self._key_status(claude.KeyStatus(**status))

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
        if status.has_key and self.job_manager is not None:
            self._fetch_models()
        waiting, self._waiting_request = self._waiting_request, None
        if waiting is not None:
            self.form.set_waiting("")
            self.generate(waiting)

    def _fetch_models(self) -> None:
        """The models the key may use, listed by the engine (the window never loads the SDK)."""
        assert self.job_manager is not None
        self.job_manager.call("models", self._models_fetched)

    def _models_fetched(self, reply: dict[str, object]) -> None:
        models = reply.get("models") if reply.get("ok") else None
        self._models = list(models) if isinstance(models, list) and models else self._models
        self.form.set_models(self._models, has_key=bool(self._has_key), default=self.settings.default_model)

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
        if self._has_key is None:  # the key lookup has not answered yet: never say "no key" early
            self._waiting_request = request
            self.form.set_waiting("Checking for an API key…")
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

    def run_next(self, job_id: str) -> None:
        if self.job_manager is not None:
            self.job_manager.run_next(job_id)

    def _topic_of(self, job_id: str) -> str:
        record = self.history_model.record(job_id)
        return record.topic if record is not None else ""

    def cancel_job(self, job_id: str) -> None:
        if self.job_manager is not None:
            self.job_manager.cancel(job_id)

    def _deleted(self, job_id: str) -> None:
        if self.courseView.job_id == job_id:
            self.courseView.clear()

    def export_job(self, job_id: str) -> None:
        """Ask for a format and a file, then export on a worker thread."""
        try:
            from coursegen_desktop.core.export import FORMATS, safe_filename
        except ImportError:
            self.show_message("Export is not available in this installation.", "error")
            return
        register_pdf_format()  # the app can run Qt's PDF writer, so it offers PDF
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

    @Slot(object)
    def _job_added(self, record: JobRecord) -> None:
        self.history_model.add_records([record])
        if self.job_manager is not None and not self.job_manager.is_active(record.id):
            self._job_finished(record.id)  # another window's job ended before its row arrived here: read it again

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
        elif isinstance(event, OutlineReady):
            text = f"The outline of “{topic}” is ready for your review."
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

    # -- other actions ------------------------------------------------------------------------------

    def new_course(self) -> None:
        self.form.topicEdit.setFocus()
        self.form.topicEdit.selectAll()

    def open_bulk_courses(self) -> None:
        from coursegen_desktop.gui import bulk_dialog  # loaded when first opened, not at start

        bulk_dialog.open_bulk_courses(self)

    def open_settings(self) -> None:
        from coursegen_desktop.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self._models, self, ask_engine=self.job_manager.call if self.job_manager else None)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.key_changed.connect(self.refresh_key_status)
        dialog.settings_applied.connect(self._settings_applied)
        dialog.open()

    def _settings_applied(self) -> None:
        if self.job_manager is not None:
            self.job_manager.set_max_running(self.settings.max_jobs)
        self.form.set_local(local_choice(self.settings), preferred=self.settings.provider == PROVIDER_LOCAL)
        self.form.set_models(self._models, has_key=self._has_key, default=self.settings.default_model)

    def open_study(self, course_id: str | None = None, course_title: str = "") -> None:
        """The Study window: today's due cards of one course, or of all of them."""
        if self.store is not None:
            from coursegen_desktop.gui.study_view import open_study_window

            open_study_window(self, self.store, self.settings.study, course_id, course_title, self.courseView.refresh_study_count)

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
        if choice == "background":
            self.leave_jobs_running_and_close()
        elif choice in ("keep", "cancel"):
            self.stop_jobs_and_close(keep_for_resume=choice == "keep")

    def ask_about_running_jobs(self, count: int) -> str:
        """"background" (jobs go on in the engine), "keep" (stop now, Resume later), "cancel"
        (cancel the jobs) or "stay" (don't quit)."""
        box, background, keep = self.running_jobs_box(count)
        box.exec()
        clicked = box.clickedButton()
        return "background" if background is not None and clicked is background else "keep" if clicked is keep else "stay"

    def running_jobs_box(self, count: int) -> tuple[QMessageBox, QPushButton | None, QPushButton]:
        """The closing question, with its Keep running (when possible) and Stop buttons."""
        can_keep_running = self.job_manager is not None and self.job_manager.can_keep_running
        jobs = f"{count} job{'s' if count > 1 else ''}"
        box = QMessageBox(QMessageBox.Icon.Question, "Jobs are still running", "", parent=self)
        box.setObjectName("runningJobsBox")
        if can_keep_running:
            box.setText(f"Keep {jobs} running in the background?")
            box.setInformativeText("They finish even with CourseGen closed, and show in the history next time. Finished parts are kept either way.")
            background = box.addButton("Keep running", QMessageBox.ButtonRole.AcceptRole)
        else:
            box.setText(f"{jobs[:1].upper()}{jobs[1:]} {'are' if count > 1 else 'is'} still running or waiting.")
            box.setInformativeText("Stop them now and resume them next time? Finished parts are kept.")
            background = None
        keep = box.addButton("Stop and resume later", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(background or keep)
        return box, background, keep

    def stop_jobs_and_close(self, keep_for_resume: bool) -> None:
        """Stop every job (without blocking), then close once their workers have finished."""
        manager = self.job_manager
        assert manager is not None
        self.runningLabel.setText("Stopping jobs…")
        self.setEnabled(False)
        manager.stopped.connect(self._stopped)
        manager.shutdown(keep_for_resume)
        self._stop_timer.start(STOP_TIMEOUT_MS)

    def leave_jobs_running_and_close(self) -> None:
        """Close the window; the engine finishes the jobs and exits by itself afterwards."""
        manager = self.job_manager
        assert manager is not None
        manager.stopped.connect(self._stopped)
        manager.detach()
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
        if self.job_manager is not None:
            self.job_manager.close()
        for dialog in list(self._dialogs.values()):
            dialog.close()
        if self._tray is not None:
            self._tray.hide()
        self.closed.emit()
