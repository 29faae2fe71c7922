"""The job history table: a paged model of `JobRecord`s, newest first, and a progress delegate.

The store is never read whole: the first page of the current `HistoryQuery` is fetched when the
store or the filter is set, and the next one whenever the view scrolls to the end (Qt's
`canFetchMore`/`fetchMore`). Each page is read on a pool thread (`tasks`), so the GUI thread
never runs the SQL. New jobs arrive at the top with `beginInsertRows`, progress ticks with
`dataChanged` for their row: only a new filter resets the model.
"""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar, QStyleOptionViewItem

from coursegen_desktop.core.event_dispatch import dispatch, handles
from coursegen_desktop.core.events import (
    Event,
    JobCancelled,
    JobCompleted,
    JobFailed,
    JobQueued,
    JobStarted,
    JobPaused,
    OutlineReady,
    Progress,
)
from coursegen_desktop.core.history import PAGE_SIZE, HistoryPage, HistoryQuery, PageCursor
from coursegen_desktop.core.models import GeneratorKind, JobRecord, JobStatus, Usage
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.job_state import format_duration
from coursegen_desktop.gui.tasks import assert_gui_thread

TICK_MS = 500
JobRole = Qt.ItemDataRole.UserRole + 1

COLUMNS = ("Topic", "Status", "Progress", "Started", "Duration", "Cost")
TOPIC, STATUS, PROGRESS, STARTED, DURATION, COST = range(len(COLUMNS))

STATUS_TEXT = {
    JobStatus.QUEUED: "Queued",
    JobStatus.RUNNING: "Running",
    JobStatus.COMPLETED: "Completed",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
    JobStatus.INTERRUPTED: "Interrupted",
    JobStatus.AWAITING_REVIEW: "Outline ready",
    JobStatus.BATCHED: "Batched",
    JobStatus.PAUSED: "Paused",
}
AnyIndex = QModelIndex | QPersistentModelIndex


def _now() -> datetime:
    return datetime.now(timezone.utc)


class HistoryModel(QAbstractTableModel):
    """Rows are jobs, newest first; `JobRole` returns the record.

    Signals:
        page_loaded(bool): a page of the current query arrived; True for its first page.
        load_failed(object): a page could not be read (the exception).
    """

    page_loaded = Signal(bool)
    load_failed = Signal(object)

    def __init__(self, parent: QObject | None = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self.page_size = page_size
        self._store: Store | None = None
        self._query = HistoryQuery()
        self._generation = 0  # a page fetched for an older query or store is dropped
        self._cursor: PageCursor | None = None  # where the next page starts
        self._more = False
        self._fetching = False
        # Rows: `_added` holds jobs submitted since the query was set (newest last; shown on top,
        # newest first), `_paged` the pages read from the store, in order.
        self._added: list[JobRecord] = []
        self._paged: list[JobRecord] = []
        self._where: dict[str, tuple[bool, int]] = {}  # job id -> (in _added, index in that list)
        self._run_started: dict[str, datetime] = {}  # running jobs: when this run began
        self._clock = QTimer(self)  # running durations tick once a second
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick_durations)
        # Progress ticks are folded in at once but repainted in batches: every repaint calls
        # back into Python for each cell, which costs far more while job threads hold the GIL.
        self._ticked: set[str] = set()
        self._tick_timer = QTimer(self)
        self._tick_timer.setSingleShot(True)
        self._tick_timer.setInterval(TICK_MS)
        self._tick_timer.timeout.connect(self._repaint_ticks)

    # -- Qt model API ---------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._added) + len(self._paged)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        record = self._at(index.row())
        column = index.column()
        if role == JobRole:
            return record
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == STATUS and record.error_message:
                return record.error_message
            if column == TOPIC:
                return record.course_title or record.topic
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (DURATION, COST):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:
        return not parent.isValid() and self._more and not self._fetching

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:
        if self.canFetchMore(parent):
            self._fetch()

    # -- the query ------------------------------------------------------------------------------

    @property
    def query(self) -> HistoryQuery:
        return self._query

    @property
    def loading(self) -> bool:
        """True while a page is being read."""
        return self._fetching

    def set_store(self, store: Store) -> None:
        self._store = store
        self.set_query(self._query)

    def set_query(self, query: HistoryQuery) -> None:
        """Show the jobs `query` selects, from its first page (the one reset of this model)."""
        assert_gui_thread()
        self.beginResetModel()
        self._query = query
        self._generation += 1
        self._added, self._paged, self._where = [], [], {}
        self._cursor, self._more, self._fetching = None, self._store is not None, False
        self.endResetModel()
        if self._store is not None:
            self._fetch()

    def _fetch(self) -> None:
        assert self._store is not None
        self._fetching = True
        generation, first = self._generation, self._cursor is None
        tasks.run_in_background(
            self._store.history_page, self._query, self._cursor, self.page_size,
            on_done=lambda page: self._page_read(page, generation, first),
            on_error=lambda error: self._page_failed(error, generation),
            owner=self,
        )

    def _page_read(self, page: HistoryPage, generation: int, first: bool) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        self._cursor, self._more = page.next, page.next is not None
        new = [record for record in page.records if record.id not in self._where]
        if new:
            start = self.rowCount()
            self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
            for record in new:
                self._where[record.id] = (False, len(self._paged))
                self._paged.append(record)
            self.endInsertRows()
        self.page_loaded.emit(first)

    def _page_failed(self, error: Exception, generation: int) -> None:
        if generation == self._generation:
            self._fetching, self._more = False, False
            self.load_failed.emit(error)

    # -- updates -----------------------------------------------------------------------------------

    def add_records(self, records: list[JobRecord]) -> None:
        """Put new jobs on top (a job just submitted) when the current filter selects them."""
        assert_gui_thread()
        new = [record for record in records if record.id not in self._where and self._query.matches(record)]
        if not new:
            return
        self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
        for record in reversed(new):  # the first given ends on top
            self._where[record.id] = (True, len(self._added))
            self._added.append(record)
        self.endInsertRows()

    def update_record(self, record: JobRecord) -> None:
        """Replace a job's record with a fresher one from the store. A job not shown stays out:
        the filter leaves it out, or its page is not read yet (it will be read fresh)."""
        if record.id not in self._where:
            return
        if record.status != JobStatus.RUNNING:
            self._run_started.pop(record.id, None)
        self._replace(record)

    def remove_job(self, job_id: str) -> None:
        if job_id not in self._where:
            return
        row = self._row(job_id)
        self.beginRemoveRows(QModelIndex(), row, row)
        self._added = [record for record in self._added if record.id != job_id]
        self._paged = [record for record in self._paged if record.id != job_id]
        self._where = {record.id: (True, number) for number, record in enumerate(self._added)}
        self._where.update({record.id: (False, number) for number, record in enumerate(self._paged)})
        self._run_started.pop(job_id, None)
        self.endRemoveRows()

    def record(self, job_id: str) -> JobRecord | None:
        where = self._where.get(job_id)
        if where is None:
            return None
        added, number = where
        return (self._added if added else self._paged)[number]

    def row_of(self, job_id: str) -> int | None:
        """The row showing this job, or None when it is not loaded."""
        return self._row(job_id) if job_id in self._where else None

    def apply_event(self, event: Event) -> None:
        """Fold one live event into its job's row (status, percent, cost)."""
        assert_gui_thread()
        record = self.record(event.job_id)
        if record is None:  # not loaded (an older page) or not selected by the filter
            return
        update: dict[str, object] | None = dispatch(self, event)
        if not update:
            return
        if update.get("status") != JobStatus.RUNNING:
            self._run_started.pop(event.job_id, None)
        self._replace(record.model_copy(update=update))

    # -- one handler per event type: each returns the fields of the row that change -------------

    @handles(Progress)
    def _on_progress(self, event: Progress) -> None:
        record = self.record(event.job_id)
        if record is not None and event.percent > record.percent:  # ticks repaint one cell, at most twice a second
            self._store_record(record.model_copy(update={"percent": event.percent}))
            self._ticked.add(event.job_id)
            if not self._tick_timer.isActive():
                self._tick_timer.start()

    @handles(JobQueued)
    def _on_queued(self, event: JobQueued) -> dict[str, object]:
        return {"status": JobStatus.QUEUED, "error_message": None}

    @handles(JobStarted)
    def _on_started(self, event: JobStarted) -> dict[str, object]:
        record = self.record(event.job_id)
        assert record is not None
        self._run_started[event.job_id] = event.at
        self._clock.start()
        return {"status": JobStatus.RUNNING, "started_at": record.started_at or event.at, "error_message": None}

    @handles(JobCompleted)
    def _on_completed(self, event: JobCompleted) -> dict[str, object]:
        return {"status": JobStatus.COMPLETED, "percent": 100.0, "course_title": event.title, "usage": event.usage, "run_seconds": event.duration_s}

    @handles(JobFailed)
    def _on_failed(self, event: JobFailed) -> dict[str, object]:
        return self._stopped(event.job_id, JobStatus.FAILED, event.usage) | {"error_message": event.message}

    @handles(JobCancelled)
    def _on_cancelled(self, event: JobCancelled) -> dict[str, object]:
        if event.interrupted:  # a closing app or a dead engine stopped it: Resume continues it
            return self._stopped(event.job_id, JobStatus.INTERRUPTED, event.usage) | {"error_message": event.message}
        return self._stopped(event.job_id, JobStatus.CANCELLED, event.usage) | {"error_message": None}

    @handles(JobPaused)
    def _on_paused(self, event: JobPaused) -> dict[str, object]:
        return self._stopped(event.job_id, JobStatus.PAUSED, event.usage) | {"error_message": None}

    @handles(OutlineReady)
    def _on_outline_ready(self, event: OutlineReady) -> dict[str, object]:
        return self._stopped(event.job_id, JobStatus.AWAITING_REVIEW, event.usage)

    def _stopped(self, job_id: str, status: JobStatus, usage: Usage) -> dict[str, object]:
        record = self.record(job_id)
        assert record is not None
        return {"status": status, "usage": usage, "run_seconds": self._duration(record) or 0.0}

    # -- helpers ------------------------------------------------------------------------------------

    def _at(self, row: int) -> JobRecord:
        added = len(self._added)
        return self._added[added - 1 - row] if row < added else self._paged[row - added]

    def _row(self, job_id: str) -> int:
        added, number = self._where[job_id]
        return len(self._added) - 1 - number if added else len(self._added) + number

    def _store_record(self, record: JobRecord) -> None:
        added, number = self._where[record.id]
        (self._added if added else self._paged)[number] = record

    def _replace(self, record: JobRecord) -> None:
        self._store_record(record)
        self._changed(self._row(record.id))

    def _changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def _repaint_ticks(self) -> None:
        ticked, self._ticked = self._ticked, set()
        for job_id in ticked:
            row = self.row_of(job_id)
            if row is not None:
                index = self.index(row, PROGRESS)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole])

    def _tick_durations(self) -> None:
        if not self._run_started:
            self._clock.stop()
            return
        for job_id in self._run_started:
            row = self.row_of(job_id)
            if row is not None:
                index = self.index(row, DURATION)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole])

    def _duration(self, record: JobRecord) -> float | None:
        started = self._run_started.get(record.id)
        if started is not None:
            return record.run_seconds + max(0.0, (_now() - started).total_seconds())
        return record.duration_seconds

    def _display(self, record: JobRecord, column: int) -> str:
        if column == TOPIC:
            return record.topic
        if column == STATUS:
            return STATUS_TEXT[record.status]
        if column == PROGRESS:
            return f"{record.percent:.0f}%"
        if column == STARTED:
            when = record.started_at or record.created_at
            return when.astimezone().strftime("%Y-%m-%d %H:%M")
        if column == DURATION:
            return format_duration(self._duration(record)) or "—"
        if column == COST:
            if record.request.generator == GeneratorKind.OPENAI_COMPATIBLE:
                return "$0 (local)"
            cost = record.usage.cost_usd
            return f"${cost:.2f}" if cost >= 0.005 else ("<$0.01" if cost > 0 else "—")
        return ""


class ProgressDelegate(QStyledItemDelegate):
    """Paints the Progress column as a progress bar (calibre's ProgressBarDelegate)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        record: JobRecord | None = index.data(JobRole)
        if record is None:
            return super().paint(painter, option, index)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 3, -3, -3)
        bar.minimum, bar.maximum = 0, 100
        bar.progress = int(record.percent)
        bar.text = f"{record.percent:.0f}%"
        bar.textVisible = True
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        style = option.widget.style() if option.widget else QApplication.style()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
