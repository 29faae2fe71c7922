"""While the app runs, the bulk courses' batches advance: `BatchPoller` asks the job engine every
few minutes (the engine runs `core.batch`, which needs the SDK) and refreshes those history rows.
Apart from the Bulk courses dialog (`gui.bulk_dialog`, loaded when opened) so that the window
starts without it. Nothing here touches the network, files or SQL on the GUI thread.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.models import JobRecord
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.new_course_form import AskEngine

if TYPE_CHECKING:
    from coursegen_desktop.gui.main_window import MainWindow

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 180.0  # COURSEGEN_BATCH_POLL_S changes it


def _poll_interval_ms() -> int:
    try:
        seconds = float(os.environ.get("COURSEGEN_BATCH_POLL_S", "") or POLL_INTERVAL_S)
    except ValueError:
        seconds = POLL_INTERVAL_S
    return max(50, int(seconds * 1000))


def read_records(store: Store, job_ids: list[str]) -> list[JobRecord]:
    """The jobs' fresh rows (on the background pool)."""
    return [store.get_job(job_id) for job_id in job_ids]


class BatchPoller(QObject):
    """Polls the bulk-course batches every few minutes while the app runs.

    Signals:
        records_changed(object): fresh `JobRecord`s of the batched jobs after a poll.
    """

    records_changed = Signal(object)

    def __init__(self, store: Store, ask_engine: AskEngine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store, self._ask_engine = store, ask_engine
        self._busy = False
        self._timer = QTimer(self, interval=_poll_interval_ms())
        self._timer.timeout.connect(self.poll_now)
        self._timer.start()

    def poll_now(self) -> None:
        if self._busy:
            return
        self._busy = True
        self._ask_engine("batch_poll", self._advanced)

    def _advanced(self, reply: dict[str, Any]) -> None:
        if not reply.get("ok"):
            self._busy = False  # offline or no key: the next tick tries again
            log.info("polling the batches failed: %s", reply.get("error"))
            return
        tasks.run_in_background(read_records, self._store, list(reply.get("job_ids") or []), on_done=self._polled, on_error=self._failed, owner=self)

    def _polled(self, records: list[JobRecord]) -> None:
        self._busy = False
        if records:
            self.records_changed.emit(records)

    def _failed(self, error: Exception) -> None:
        self._busy = False  # offline or no key: the next tick tries again
        log.info("polling the batches failed: %s", error.message if isinstance(error, CourseGenError) else type(error).__name__)

    def stop(self) -> None:
        self._timer.stop()



def start_batch_poller(window: MainWindow) -> BatchPoller:
    """Once the history is open: poll now (batches may have ended while the app was closed), then every few minutes."""
    assert window.store is not None and window.job_manager is not None
    poller = BatchPoller(window.store, window.job_manager.call, window)
    poller.records_changed.connect(lambda records: show_records(window, records))
    poller.poll_now()
    return poller


def show_records(window: MainWindow, records: list[JobRecord]) -> None:
    window.history_model.add_records(records)
    for record in records:
        window.history_model.update_record(record)
