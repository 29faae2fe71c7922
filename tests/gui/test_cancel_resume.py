"""Cancel acts at once and keeps finished parts; Resume continues without redoing them; the
progress window is only a view: closing it changes nothing, reopening shows the same state."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from coursegen_desktop.core.events import Progress
from coursegen_desktop.core.models import JobStatus
from coursegen_desktop.gui.main_window import MainWindow
from coursegen_desktop.gui.progress_dialog import CANCELLED_TEXT, ProgressDialog
from tests.gui.test_generate_flow import _history_status, _start_job


def _expected_log_lines(window: MainWindow, job_id: str) -> int:
    return sum(1 for event in window.store.events(job_id) if not isinstance(event, Progress))


def test_cancel_during_lessons_then_resume_keeps_saved_lessons(qtbot, window: MainWindow, factory, material: Path) -> None:  # noqa: ANN001
    window.settings.lesson_concurrency = 1
    factory.script = [{"block_on_lesson": "m2l1"}, {}]
    dialog = _start_job(qtbot, window, material)
    qtbot.waitUntil(lambda: bool(factory.made) and factory.made[0].blocked.is_set(), timeout=5000)

    qtbot.mouseClick(dialog.cancelButton, Qt.MouseButton.LeftButton)
    assert dialog.cancelButton.text() == "Cancelling…" and not dialog.cancelButton.isEnabled()
    qtbot.waitUntil(lambda: dialog.statusLabel.text() == CANCELLED_TEXT, timeout=1000)
    assert not dialog.cancelButton.isVisible() and dialog.resumeButton.isVisible()
    job_id = dialog.job_id
    qtbot.waitUntil(lambda: _history_status(window, job_id) == "Cancelled", timeout=3000)
    qtbot.waitUntil(lambda: not window.job_manager.is_active(job_id), timeout=3000)
    window.job_manager.cancel(job_id)  # cancelling a finished job is a no-op

    qtbot.mouseClick(dialog.resumeButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state.status == JobStatus.COMPLETED, timeout=10_000)
    first, second = factory.made
    assert first.calls["lesson"] == 4  # m1l1..m1l3 saved, m2l1 blocked when cancelled
    assert second.calls["outline"] == 0
    assert second.calls["lesson"] == 9 - 3
    assert all(second.calls[f"lesson:m1l{n}"] == 0 for n in (1, 2, 3))
    assert dialog.openCourseButton.isVisible() and not dialog.resumeButton.isVisible()
    qtbot.waitUntil(lambda: _history_status(window, job_id) == "Completed", timeout=3000)


def test_closing_the_dialog_keeps_the_job_and_reopening_replays_it(qtbot, window: MainWindow, factory, material: Path) -> None:  # noqa: ANN001
    window.settings.lesson_concurrency = 1
    factory.script = [{"delay": 0.03}]
    dialog = _start_job(qtbot, window, material)
    job_id = dialog.job_id
    qtbot.waitUntil(lambda: dialog.state.lessons_done >= 2, timeout=5000)
    qtbot.mouseClick(dialog.backgroundButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job_id not in window._dialogs, timeout=2000)
    assert window.job_manager.is_active(job_id)

    reopened = window.show_progress(job_id)  # while running: replay, then follow the live stream
    assert reopened is not None and reopened is not dialog
    with qtbot.waitSignal(window.job_manager.job_finished, timeout=10_000):
        pass
    qtbot.waitUntil(lambda: reopened.state.status == JobStatus.COMPLETED and not reopened._pending, timeout=3000)
    lines = reopened.logView.toPlainText().splitlines()
    assert len(lines) == len(set(lines)) == _expected_log_lines(window, job_id)  # nothing missed or twice
    reopened.close()

    again = window.show_progress(job_id)  # after the end: the same final state from the store
    qtbot.waitUntil(lambda: not again._loading, timeout=3000)
    assert again.progressBar.value() == 100 and again.openCourseButton.isVisible()
    assert again.logView.toPlainText().splitlines() == lines
    assert [again.stepList.item(row).data(Qt.ItemDataRole.UserRole) for row in range(7)] == ["done"] * 7


def test_failed_job_shows_one_sentence_and_resume(qtbot, window: MainWindow, factory, material: Path) -> None:  # noqa: ANN001
    factory.script = [{"fail_on_lesson": "m1l2"}, {}]
    dialog = _start_job(qtbot, window, material)
    qtbot.waitUntil(lambda: dialog.state.status == JobStatus.FAILED, timeout=5000)
    assert dialog.statusLabel.text() == "Network unavailable — Resume when you are back online."
    assert dialog.resumeButton.isVisible() and not dialog.openCourseButton.isVisible()
    assert [dialog.stepList.item(row).data(Qt.ItemDataRole.UserRole) for row in range(3)] == ["done", "done", "failed"]


def test_queue_limits_running_jobs(qtbot, window: MainWindow, factory, material: Path) -> None:  # noqa: ANN001
    window.job_manager.set_max_running(1)
    factory.script = [{"block_on_lesson": "m1l1"}, {}]
    first = _start_job(qtbot, window, material, "First")
    qtbot.waitUntil(lambda: bool(factory.made) and factory.made[0].blocked.is_set(), timeout=5000)
    record = window.job_manager.submit(window.form.build_request())
    second = window.show_progress(record.id)
    qtbot.waitUntil(lambda: second.statusLabel.text().startswith("Waiting for a free slot"), timeout=2000)
    assert window.runningLabel.text() == "1 job running, 1 waiting"
    window.job_manager.cancel(first.job_id)
    qtbot.waitUntil(lambda: second.state.status == JobStatus.COMPLETED, timeout=10_000)
    assert isinstance(second, ProgressDialog)


def test_the_log_opened_mid_job_shows_the_lines_before_and_after(qtbot, window: MainWindow, factory, material: Path) -> None:  # noqa: ANN001
    window.settings.lesson_concurrency = 1
    factory.script = [{"delay": 0.03}]
    dialog = _start_job(qtbot, window, material)
    qtbot.waitUntil(lambda: len(dialog.state.log) >= 2, timeout=5000)
    with qtbot.waitSignal(window.job_manager.job_finished, timeout=10_000):
        qtbot.mouseClick(dialog.logToggle, Qt.MouseButton.LeftButton)  # the log is made now, mid-job
        assert dialog.logView.isVisible() and dialog.logView.toPlainText()
    qtbot.waitUntil(lambda: dialog.state.status == JobStatus.COMPLETED, timeout=5000)
    assert dialog.logView.toPlainText().splitlines() == dialog.state.log  # earlier lines once, later ones added
