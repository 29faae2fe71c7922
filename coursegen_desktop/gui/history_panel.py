"""The history panel: the job table, its filter, and the actions on the selected jobs.

The table pages through the whole history (see `history_model`); the filter (words of the
topic or title, a status, a time span) is applied by the store in SQL, a moment after the user
stops typing.

The panel knows the history and the selection; what an action does to a job (open its course,
show its progress, resume, cancel, export) belongs to the window, which listens to the
`*_requested` signals. Deleting is done here, as it only touches the history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLineEdit, QMenu, QMessageBox, QTableView, QVBoxLayout, QWidget

from coursegen_desktop.core.history import HistoryQuery
from coursegen_desktop.core.models import JobRecord, JobStatus
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.history_model import PROGRESS, STATUS_TEXT, HistoryModel, JobRole, ProgressDelegate
from coursegen_desktop.gui.widgets import heading

log = logging.getLogger(__name__)

FILTER_DELAY_MS = 250
DATE_SPANS: tuple[tuple[str, int | None], ...] = (
    ("Any time", None), ("Today", 1), ("Last 7 days", 7), ("Last 30 days", 30), ("Last 12 months", 365),
)


class HistoryPanel(QWidget):
    """Signals:
    open_requested(str), progress_requested(str), resume_requested(str), cancel_requested(str), run_next_requested(str), pause_requested(str),
    export_requested(str): the user asked for this on a job (by id).
    job_deleted(str): a job left the history.
    loaded(): the first page of the history (or of a new filter) is in the table.
    status_message(str): a short note for the status bar.
    action_failed(object): an exception from a history action, for the window to explain
        (`model.load_failed` reports a page that could not be read).
    actions_updating(): the actions are being enabled for the selection (a menu is about to show):
        owners of `extra_actions` enable theirs.
    """

    open_requested = Signal(str)
    progress_requested = Signal(str)
    resume_requested = Signal(str)
    cancel_requested = Signal(str)
    run_next_requested = Signal(str)
    pause_requested = Signal(str)
    export_requested = Signal(str)
    job_deleted = Signal(str)
    loaded = Signal()
    status_message = Signal(str)
    action_failed = Signal(object)
    actions_updating = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyPanel")
        self.store: Store | None = None
        self.is_active: Callable[[str], bool] = lambda job_id: False  # the window plugs in its job manager
        self.is_waiting: Callable[[str], bool] = lambda job_id: False  # queued behind another waiting job
        self.extra_actions: list[QAction] = []  # added by other parts of the window (outline review, versions)
        self.model = HistoryModel(self)
        self.model.page_loaded.connect(self._page_loaded)

        self.filterEdit = QLineEdit()
        self.filterEdit.setObjectName("filterEdit")
        self.filterEdit.setPlaceholderText("Filter by topic or title…")
        self.filterEdit.setClearButtonEnabled(True)
        self.statusCombo = QComboBox()
        self.statusCombo.setObjectName("statusFilterCombo")
        self.statusCombo.addItem("Any status", None)
        for status, text in STATUS_TEXT.items():
            self.statusCombo.addItem(text, status)
        self.dateCombo = QComboBox()
        self.dateCombo.setObjectName("dateFilterCombo")
        for text, days in DATE_SPANS:
            self.dateCombo.addItem(text, days)
        self._filter_timer = QTimer(self)  # one query when the user stops typing, not one per key
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filterEdit.textChanged.connect(self._filter_timer.start)
        self.statusCombo.currentIndexChanged.connect(self.apply_filter)
        self.dateCombo.currentIndexChanged.connect(self.apply_filter)
        self.historyView = QTableView()
        self.historyView.setObjectName("historyView")
        self.historyView.setModel(self.model)
        self.historyView.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self.historyView))
        self.historyView.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.historyView.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
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
        self.historyView.customContextMenuRequested.connect(self._context_menu)
        self.historyView.doubleClicked.connect(self._activated)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading("History"))
        filters = QHBoxLayout()
        filters.addWidget(self.filterEdit, 1)
        filters.addWidget(self.statusCombo)
        filters.addWidget(self.dateCombo)
        layout.addLayout(filters)
        layout.addWidget(self.historyView, 1)
        self._build_actions()

    def _build_actions(self) -> None:
        def action(text: str, slot: Callable[[], object], shortcut: QKeySequence | str | None = None) -> QAction:
            act = QAction(text, self)
            act.triggered.connect(slot)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            return act

        self.openAction = action("&Open course", lambda: self._for_selected(self.open_requested.emit, single=True), "Return")
        self.openAction.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.historyView.addAction(self.openAction)
        self.progressAction = action("Show &progress", lambda: self._for_selected(self.progress_requested.emit))
        self.resumeAction = action("&Resume", lambda: self._for_selected(self.resume_requested.emit))
        self.pauseAction = action("&Pause", lambda: self._for_selected(self.pause_requested.emit))
        self.cancelAction = action("&Cancel", lambda: self._for_selected(self.cancel_requested.emit))
        self.runNextAction = action("Run &next", lambda: self._for_selected(self.run_next_requested.emit, single=True))
        self.deleteAction = action("&Delete…", self.delete_selected, QKeySequence.StandardKey.Delete)
        self.deleteAction.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.historyView.addAction(self.deleteAction)
        self.exportAction = action("&Export…", lambda: self._for_selected(self.export_requested.emit, single=True))

    def job_actions(self) -> list[QAction | None]:
        """The actions for the window's Jobs menu, None where a separator goes."""
        return [self.openAction, self.progressAction, self.resumeAction, self.pauseAction, self.cancelAction, self.runNextAction, None, self.exportAction, self.deleteAction]

    def insert_above_table(self, widget: QWidget) -> None:
        """Show `widget` between the filters and the table (the queue of waiting jobs)."""
        layout = self.layout()
        layout.insertWidget(layout.indexOf(self.historyView), widget)

    # -- the history ------------------------------------------------------------------------------

    def set_store(self, store: Store) -> None:
        """Start showing this history (its first page is read in the background)."""
        self.store = store
        self.model.set_store(store)

    def query(self) -> HistoryQuery:
        """The filter the user has set."""
        days = self.dateCombo.currentData()
        since = None if days is None else datetime.now(timezone.utc) - timedelta(days=days)
        status = self.statusCombo.currentData()  # Qt hands the enum back as its string value
        return HistoryQuery(text=self.filterEdit.text().strip(), status=JobStatus(status) if status else None, since=since)

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        self.model.set_query(self.query())

    def _page_loaded(self, first: bool) -> None:
        if first:
            self.loaded.emit()

    def record(self, job_id: str) -> JobRecord | None:
        return self.model.record(job_id)

    # -- selection and actions --------------------------------------------------------------------

    def selected_job_ids(self) -> list[str]:
        rows = self.historyView.selectionModel().selectedRows() if self.historyView.selectionModel() else []
        return [index.data(JobRole).id for index in rows]

    def _for_selected(self, act: Callable[[str], object], single: bool = False) -> None:
        job_ids = self.selected_job_ids()
        for job_id in job_ids[:1] if single else job_ids:
            act(job_id)

    def update_actions(self) -> None:
        """Enable what makes sense for the selected jobs (before a menu shows)."""
        records = [record for record in map(self.model.record, self.selected_job_ids()) if record is not None]
        active = [self.is_active(record.id) for record in records]
        self.openAction.setEnabled(len(records) == 1)
        self.progressAction.setEnabled(bool(records))
        self.resumeAction.setEnabled(any(record.status.can_resume and not busy for record, busy in zip(records, active, strict=True)))
        self.cancelAction.setEnabled(any(active))
        self.pauseAction.setEnabled(any(active))
        self.runNextAction.setEnabled(len(records) == 1 and self.is_waiting(records[0].id))
        self.deleteAction.setEnabled(bool(records) and not all(active))
        self.exportAction.setEnabled(len(records) == 1 and records[0].status == JobStatus.COMPLETED)
        self.actions_updating.emit()

    def _context_menu(self, pos: QPoint) -> None:
        if not self.selected_job_ids():
            return
        self.update_actions()
        menu = QMenu(self)
        for act in self.job_actions() + ([None, *self.extra_actions] if self.extra_actions else []):
            if act is None:
                menu.addSeparator()
            else:
                menu.addAction(act)
        menu.popup(self.historyView.viewport().mapToGlobal(pos))

    def _activated(self, index: QModelIndex) -> None:
        record: JobRecord = index.data(JobRole)
        if record.status != JobStatus.COMPLETED:
            self.progress_requested.emit(record.id)
        self.open_requested.emit(record.id)

    def delete_selected(self) -> None:
        """Ask, then delete the selected jobs that are not running (off the GUI thread)."""
        job_ids = self.selected_job_ids()  # resolved before the question: rows may move meanwhile
        if not job_ids or self.store is None:
            return
        active = [job_id for job_id in job_ids if self.is_active(job_id)]
        job_ids = [job_id for job_id in job_ids if job_id not in active]
        if active:
            self.status_message.emit("Running jobs are not deleted; cancel them first.")
        if not job_ids:
            return
        what = "this job and its course" if len(job_ids) == 1 else f"these {len(job_ids)} jobs and their courses"
        answer = QMessageBox.question(self, "Delete from history", f"Delete {what} from the history? This cannot be undone.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        for job_id in job_ids:
            tasks.run_in_background(self.store.delete_job, job_id, on_done=lambda _r, j=job_id: self._deleted(j), on_error=self.action_failed.emit, owner=self)

    def _deleted(self, job_id: str) -> None:
        self.model.remove_job(job_id)
        self.job_deleted.emit(job_id)
