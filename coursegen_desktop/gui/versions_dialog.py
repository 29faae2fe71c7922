"""History → Earlier versions: the parts of a course that were regenerated, and Restore.

Restoring puts the chosen version back and keeps the one it replaces as an earlier version, so
nothing is ever lost. Listing and restoring run off the GUI thread.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui import tasks

if TYPE_CHECKING:
    from coursegen_desktop.core.regenerate import PartVersion

VERSION_ROLE = Qt.ItemDataRole.UserRole + 1  # (part, version)


def part_name(part: str) -> str:
    if part.startswith("quiz:"):
        return f"Quiz of module {part[5:]}"
    return {"exam": "Practice exam", "flashcards": "Flashcards"}.get(part, f"Lesson {part}")


def _versions(store: Store, job_id: str) -> list[PartVersion]:
    """On the background pool, which also imports `regenerate` (and the pipeline with it): the
    window needs neither until this dialog opens."""
    from coursegen_desktop.core import regenerate

    return regenerate.versions(store, job_id)


def _restore(store: Store, job_id: str, part: str, version: int) -> str:
    """Restore on the background pool; returns the job whose course changed."""
    from coursegen_desktop.core import regenerate

    regenerate.restore(store, job_id, part, version)
    return regenerate.source_of(store, job_id)


class VersionsDialog(QDialog):
    """Signals:
    restored(str): the id of the job whose course changed (reload it).
    """

    restored = Signal(str)

    def __init__(self, store: Store, job_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("versionsDialog")
        self.setWindowTitle("Earlier versions")
        self.store, self.job_id = store, job_id
        layout = QVBoxLayout(self)
        self.infoLabel = QLabel("Loading…")
        self.infoLabel.setWordWrap(True)
        layout.addWidget(self.infoLabel)
        self.versionList = QListWidget()
        self.versionList.setObjectName("versionList")
        self.versionList.currentItemChanged.connect(lambda *_: self.restoreVersionButton.setEnabled(self.versionList.currentItem() is not None))
        layout.addWidget(self.versionList, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.restoreVersionButton = QPushButton("Restore")
        self.restoreVersionButton.setObjectName("restoreVersionButton")
        self.restoreVersionButton.setEnabled(False)
        self.restoreVersionButton.clicked.connect(self.restore_selected)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons.addWidget(self.restoreVersionButton)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.resize(520, 360)
        self.reload()

    def reload(self) -> None:
        tasks.run_in_background(_versions, self.store, self.job_id, on_done=self._show, on_error=self._failed, owner=self)

    def _show(self, versions: list[PartVersion]) -> None:
        self.versionList.clear()
        for version in versions:
            when = datetime.fromtimestamp(version.saved_at).strftime("%Y-%m-%d %H:%M")
            how = "replaced by a regenerated one" if version.replaced_by else "replaced by a restore"
            item = QListWidgetItem(f"{part_name(version.part)} — version {version.version}, {how} on {when}")
            item.setData(VERSION_ROLE, (version.part, version.version))
            self.versionList.addItem(item)
        self.infoLabel.setText(
            "Restore puts a version back; the one it replaces is kept here." if versions else "No part of this course has been regenerated yet, so there are no earlier versions."
        )

    def restore_selected(self) -> None:
        item = self.versionList.currentItem()
        if item is None:
            return
        part, version = item.data(VERSION_ROLE)
        self.restoreVersionButton.setEnabled(False)
        tasks.run_in_background(_restore, self.store, self.job_id, part, version, on_done=self._restored, on_error=self._failed, owner=self)

    def _restored(self, source_job_id: str) -> None:
        self.restored.emit(source_job_id)
        self.reload()

    def _failed(self, error: Exception) -> None:
        self.infoLabel.setText(error.message if isinstance(error, CourseGenError) else "That did not work; details are in the log.")
