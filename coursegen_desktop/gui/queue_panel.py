"""The jobs waiting to start, in the engine's order: drag to reorder, or Run next.

The order lives in the engine (it may serve two windows): a drop sends the new order, and the
list shows what the engine answers, so it never drifts from what will really happen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from coursegen_desktop.gui.jobs import JobManager

ID_ROLE = Qt.ItemDataRole.UserRole
VISIBLE_ROWS = 4


class QueuePanel(QWidget):
    """Hidden while nothing waits; `topic_of(job_id)` names a job for its row."""

    def __init__(self, topic_of: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queuePanel")
        self._topic_of = topic_of
        self._manager: JobManager | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        self.titleLabel = QLabel()
        self.titleLabel.setObjectName("queueTitle")
        self.runNextButton = QPushButton("Run next")
        self.runNextButton.setObjectName("runNextButton")
        self.runNextButton.setToolTip("Start the selected job before the others that are waiting.")
        self.runNextButton.clicked.connect(self._run_next)
        header.addWidget(self.titleLabel, 1)
        header.addWidget(self.runNextButton)
        layout.addLayout(header)
        self.queueList = QListWidget()
        self.queueList.setObjectName("queueList")
        self.queueList.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.queueList.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.queueList.setToolTip("Drag a job to change when it starts.")
        self.queueList.model().rowsMoved.connect(self._moved)
        self.queueList.currentRowChanged.connect(self._update_button)
        layout.addWidget(self.queueList)
        self.hide()

    def set_manager(self, manager: JobManager) -> None:
        self._manager = manager
        manager.queue_changed.connect(self.show_queue)
        self.show_queue(manager.queued_jobs)

    def job_ids(self) -> list[str]:
        return [self.queueList.item(row).data(ID_ROLE) for row in range(self.queueList.count())]

    @Slot(list)
    def show_queue(self, job_ids: list[str]) -> None:
        """Show the engine's order (keeping the selection)."""
        if job_ids == self.job_ids():
            return
        current = self.queueList.currentItem()
        selected = current.data(ID_ROLE) if current is not None else None
        self.queueList.blockSignals(True)
        self.queueList.clear()
        for position, job_id in enumerate(job_ids, start=1):
            item = QListWidgetItem(f"{position}. {self._topic_of(job_id) or job_id}")
            item.setData(ID_ROLE, job_id)
            self.queueList.addItem(item)
            if job_id == selected:
                self.queueList.setCurrentItem(item)
        self.queueList.blockSignals(False)
        count = len(job_ids)
        rows = max(1, min(count, VISIBLE_ROWS))  # as tall as its rows, up to a few: the history keeps the room
        self.queueList.setFixedHeight(rows * self.queueList.sizeHintForRow(0) + 2 * self.queueList.frameWidth() + 2)
        self.titleLabel.setText(f"Waiting to start ({count})")
        self.setVisible(bool(count))
        self._update_button()

    def _moved(self, *_: object) -> None:
        if self._manager is not None:
            self._manager.reorder(self.job_ids())
        self._renumber()

    def _renumber(self) -> None:
        for row in range(self.queueList.count()):
            item = self.queueList.item(row)
            item.setText(f"{row + 1}. {self._topic_of(item.data(ID_ROLE)) or item.data(ID_ROLE)}")

    def _run_next(self) -> None:
        item = self.queueList.currentItem()
        if item is not None and self._manager is not None:
            self._manager.run_next(item.data(ID_ROLE))

    def _update_button(self, *_: object) -> None:
        self.runNextButton.setEnabled(self.queueList.currentRow() > 0)
