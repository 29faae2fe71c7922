"""The job history table: a model holding `JobRecord`s, a filter proxy and a progress delegate.

New jobs arrive with `beginInsertRows`, progress ticks with `dataChanged` for their row: never a
model reset, which would lose the selection and the scroll position.
"""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar, QStyleOptionViewItem

from coursegen_desktop.core.events import (
    Event,
    JobCancelled,
    JobCompleted,
    JobFailed,
    JobQueued,
    JobStarted,
    Progress,
)
from coursegen_desktop.core.models import GeneratorKind, JobRecord, JobStatus
from coursegen_desktop.gui.job_state import format_duration
from coursegen_desktop.gui.tasks import assert_gui_thread

TICK_MS = 500
JobRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2

COLUMNS = ("Topic", "Status", "Progress", "Started", "Duration", "Cost")
TOPIC, STATUS, PROGRESS, STARTED, DURATION, COST = range(len(COLUMNS))

STATUS_TEXT = {
    JobStatus.QUEUED: "Queued",
    JobStatus.RUNNING: "Running",
    JobStatus.COMPLETED: "Completed",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
    JobStatus.INTERRUPTED: "Interrupted",
    JobStatus.BATCHED: "Batched",
}
AnyIndex = QModelIndex | QPersistentModelIndex


def _now() -> datetime:
    return datetime.now(timezone.utc)


class HistoryModel(QAbstractTableModel):
    """Rows are jobs, newest appended last (the proxy sorts); `JobRole` returns the record."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._records: list[JobRecord] = []
        self._row_of: dict[str, int] = {}
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
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        record = self._records[index.row()]
        column = index.column()
        if role == JobRole:
            return record
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(record, column)
        if role == SortRole:
            return self._sort_key(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == STATUS and record.error_message:
                return record.error_message
            if column == TOPIC:
                return record.course_title or record.topic
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (DURATION, COST):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # -- updates -----------------------------------------------------------------------------------

    def add_records(self, records: list[JobRecord]) -> None:
        """Append jobs not shown yet (the history load, or a job submitted while it loaded)."""
        assert_gui_thread()
        new = [record for record in records if record.id not in self._row_of]
        if not new:
            return
        first = len(self._records)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        for record in new:
            self._row_of[record.id] = len(self._records)
            self._records.append(record)
        self.endInsertRows()

    def update_record(self, record: JobRecord) -> None:
        """Replace a job's record with a fresher one from the store."""
        row = self._row_of.get(record.id)
        if row is None:
            self.add_records([record])
            return
        if record.status != JobStatus.RUNNING:
            self._run_started.pop(record.id, None)
        self._records[row] = record
        self._changed(row)

    def remove_job(self, job_id: str) -> None:
        row = self._row_of.get(job_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._records[row]
        self._row_of = {record.id: number for number, record in enumerate(self._records)}
        self._run_started.pop(job_id, None)
        self.endRemoveRows()

    def record(self, job_id: str) -> JobRecord | None:
        row = self._row_of.get(job_id)
        return None if row is None else self._records[row]

    def apply_event(self, event: Event) -> None:
        """Fold one live event into its job's row (status, percent, cost)."""
        assert_gui_thread()
        row = self._row_of.get(event.job_id)
        if row is None:
            return
        record = self._records[row]
        update: dict[str, object] = {}
        if isinstance(event, Progress):
            if event.percent > record.percent:  # ticks repaint one cell, at most twice a second
                self._records[row] = record.model_copy(update={"percent": event.percent})
                self._ticked.add(event.job_id)
                if not self._tick_timer.isActive():
                    self._tick_timer.start()
            return
        elif isinstance(event, JobQueued):
            update = {"status": JobStatus.QUEUED, "error_message": None}
        elif isinstance(event, JobStarted):
            update = {"status": JobStatus.RUNNING, "started_at": record.started_at or event.at, "error_message": None}
            self._run_started[event.job_id] = event.at
            self._clock.start()
        elif isinstance(event, JobCompleted):
            update = {"status": JobStatus.COMPLETED, "percent": 100.0, "course_title": event.title, "usage": event.usage, "run_seconds": event.duration_s}
        elif isinstance(event, (JobFailed, JobCancelled)):
            status = JobStatus.FAILED if isinstance(event, JobFailed) else JobStatus.CANCELLED
            update = {"status": status, "usage": event.usage, "run_seconds": self._duration(record) or 0.0}
            update["error_message"] = event.message if isinstance(event, JobFailed) else None
        else:
            return
        if update.get("status") not in (None, JobStatus.RUNNING):
            self._run_started.pop(event.job_id, None)
        self._records[row] = record.model_copy(update=update)
        self._changed(row)

    # -- helpers ------------------------------------------------------------------------------------

    def _changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def _repaint_ticks(self) -> None:
        ticked, self._ticked = self._ticked, set()
        for job_id in ticked:
            row = self._row_of.get(job_id)
            if row is not None:
                index = self.index(row, PROGRESS)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole])

    def _tick_durations(self) -> None:
        if not self._run_started:
            self._clock.stop()
            return
        for job_id in self._run_started:
            row = self._row_of.get(job_id)
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

    def _sort_key(self, record: JobRecord, column: int) -> object:
        if column == PROGRESS:
            return record.percent
        if column == STARTED:
            return (record.started_at or record.created_at).timestamp()
        if column == DURATION:
            return self._duration(record) or 0.0
        if column == COST:
            return record.usage.cost_usd
        return self._display(record, column).casefold()


class HistoryFilterModel(QSortFilterProxyModel):
    """Sorts with `SortRole` and filters on topic, status and course title (case-insensitive)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)
        self._words: list[str] = []

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        if not self._words:
            return True
        record = self.sourceModel().index(source_row, 0, source_parent).data(JobRole)
        haystack = f"{record.topic} {STATUS_TEXT[record.status]} {record.course_title or ''}".casefold()
        return all(word in haystack for word in self._words)

    def set_filter_text(self, text: str) -> None:
        """Show only jobs whose topic, status or title contain every typed word."""
        self.beginFilterChange()
        self._words = text.casefold().split()
        self.endFilterChange()


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
