"""The queue panel shows waiting jobs in the engine's order; dragging and Run next change which
job starts next, and a larger number of jobs at once applies immediately."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt

from coursegen_desktop.core.events import JobStarted
from coursegen_desktop.core.models import make_request
from coursegen_desktop.gui.main_window import MainWindow


def _submit(window: MainWindow, material: Path, topic: str) -> str:
    request = make_request(topic=topic, material=(material,), modules=1, lessons_per_module=1, questions_per_quiz=2, exam_questions=3)
    return window.job_manager.submit(request).id


def test_queue_reorder_and_run_next_decide_what_starts(qtbot, window: MainWindow, factory, material: Path) -> None:  # noqa: ANN001
    manager = window.job_manager
    manager.set_max_running(1)
    factory.script = [{"block_on_lesson": "m1l1"}]
    started: list[str] = []
    manager.event_emitted.connect(lambda event: started.append(event.job_id) if isinstance(event, JobStarted) else None)
    first = _submit(window, material, "Running first")
    qtbot.waitUntil(lambda: bool(factory.made) and factory.made[0].blocked.is_set(), timeout=5000)
    b, c, d = (_submit(window, material, topic) for topic in ("Bees", "Clouds", "Dunes"))
    panel = window.queuePanel
    qtbot.waitUntil(lambda: panel.job_ids() == [b, c, d], timeout=5000)  # in the order they were submitted
    assert panel.isVisible() and panel.titleLabel.text() == "Waiting to start (3)"
    assert [panel.queueList.item(row).text() for row in range(3)] == ["1. Bees", "2. Clouds", "3. Dunes"]

    panel.queueList.model().moveRow(QModelIndex(), 2, QModelIndex(), 0)  # drag Dunes to the top
    qtbot.waitUntil(lambda: manager.queued_jobs == [d, b, c], timeout=5000)
    panel.queueList.setCurrentRow(2)  # Clouds
    assert panel.runNextButton.isEnabled()
    qtbot.mouseClick(panel.runNextButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: manager.queued_jobs == [c, d, b], timeout=5000)
    qtbot.waitUntil(lambda: panel.job_ids() == [c, d, b], timeout=5000)

    manager.set_max_running(3)  # Settings' jobs at once applies at once: two more start now
    qtbot.waitUntil(lambda: len(started) >= 3, timeout=5000)
    assert sorted(started[1:3]) == sorted([c, d])  # they start together, before b
    manager.cancel(first)
    qtbot.waitUntil(lambda: not manager.active_count, timeout=10_000)
    assert started[0] == first and started[-1] == b and len(started) == 4
    assert panel.isHidden()
