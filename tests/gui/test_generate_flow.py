"""The main path: type a topic, add material, Generate, watch the progress, open the course."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from coursegen_desktop.core.models import JobStatus
from coursegen_desktop.gui.history_model import STATUS
from coursegen_desktop.gui.job_state import StepStatus
from coursegen_desktop.gui.main_window import MainWindow
from coursegen_desktop.gui.progress_dialog import ProgressDialog


def _history_status(window: MainWindow, job_id: str) -> str:
    model = window.history_model
    for row in range(model.rowCount()):
        if model.index(row, 0).data(Qt.ItemDataRole.UserRole + 1).id == job_id:
            return model.index(row, STATUS).data()
    return ""


def _start_job(qtbot, window: MainWindow, material: Path, topic: str = "Photosynthesis") -> ProgressDialog:  # noqa: ANN001
    qtbot.keyClicks(window.topicEdit, topic)
    window.form.add_files([material])
    qtbot.waitUntil(lambda: window.form.materialList.count() == 1, timeout=3000)
    qtbot.mouseClick(window.generateButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window._dialogs) == 1, timeout=3000)
    return next(iter(window._dialogs.values()))


def test_generate_shows_steps_in_order_and_opens_the_course(qtbot, window: MainWindow, factory, material: Path, monkeypatch) -> None:  # noqa: ANN001
    factory.script = [{"delay": 0.02}]
    snapshots: list[tuple[StepStatus, ...]] = []
    original = ProgressDialog._render_steps

    def record(self: ProgressDialog) -> None:
        snapshots.append(tuple(step.status for step in self.state.steps))
        original(self)

    monkeypatch.setattr(ProgressDialog, "_render_steps", record)
    dialog = _start_job(qtbot, window, material)
    assert dialog.objectName() == "ProgressDialog" and dialog.isVisible() and not dialog.isModal()
    assert dialog.stepList.count() == 7
    qtbot.waitUntil(lambda: dialog.state.status == JobStatus.COMPLETED, timeout=10_000)

    assert dialog.progressBar.value() == 100
    assert all(dialog.stepList.item(row).data(Qt.ItemDataRole.UserRole) == "done" for row in range(7))
    order = {StepStatus.DONE: 0, StepStatus.RUNNING: 1, StepStatus.PENDING: 2}
    for snap in snapshots:  # steps finish in order: done… running? pending…
        ranks = [order[status] for status in snap]
        assert ranks == sorted(ranks) and ranks.count(1) <= 1, snap
    assert any(StepStatus.RUNNING in snap for snap in snapshots)
    assert not dialog.cancelButton.isVisible() and dialog.openCourseButton.isVisible()
    assert dialog.backgroundButton.text() == "Close"

    job_id = dialog.job_id
    qtbot.waitUntil(lambda: _history_status(window, job_id) == "Completed", timeout=3000)
    qtbot.mouseClick(dialog.openCourseButton, Qt.MouseButton.LeftButton)
    view = window.courseView
    qtbot.waitUntil(lambda: view.job_id == job_id and view.outlineTree.topLevelItemCount() > 0, timeout=5000)
    assert view.select("lesson", "m1l1")
    assert "Lesson 1.1" in view.lessonBrowser.toPlainText()
    assert window.runningLabel.text() == "No jobs running"


def test_validation_errors_are_one_sentence_next_to_the_form(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    qtbot.mouseClick(window.generateButton, Qt.MouseButton.LeftButton)
    label = window.form.errorLabel
    assert label.isVisible() and label.text() == "Enter a topic for the course."
    assert window.job_manager.active_count == 0

    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 20)
    unsupported = tmp_path / "notes.exe"
    unsupported.write_text("x")
    window.form.add_files([binary])
    qtbot.waitUntil(lambda: not window.form.checking, timeout=3000)
    assert window.form.materialList.count() == 0
    assert "photo.txt" in label.text() and "\n" not in label.text() and "Traceback" not in label.text()
    window.form.add_files([unsupported])
    qtbot.waitUntil(lambda: not window.form.checking, timeout=3000)
    assert "notes.exe" in label.text() and window.form.materialList.count() == 0

    qtbot.keyClicks(window.topicEdit, "Volcanoes")
    qtbot.mouseClick(window.generateButton, Qt.MouseButton.LeftButton)  # offline with no material
    assert "material" in label.text() and window.job_manager.active_count == 0


def test_ctrl_n_focuses_the_topic(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    window.filterEdit.setFocus()
    window.new_course()
    qtbot.waitUntil(lambda: window.topicEdit.hasFocus() or window.focusWidget() is window.topicEdit, timeout=1000)
