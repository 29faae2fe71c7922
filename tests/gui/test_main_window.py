"""First run, object names, drag and drop, partial lessons while a job runs, export, about."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QComboBox, QFileDialog, QListWidget, QPushButton, QSpinBox, QTableView

from coursegen_desktop.core.models import JobStatus, Usage, make_request
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui.main_window import MainWindow
from coursegen_desktop.gui.widgets import MessageBar
from tests.gui.test_generate_flow import _start_job


def test_object_names(window: MainWindow) -> None:
    assert window.objectName() == "MainWindow"
    for name, kind in (("topicEdit", object), ("levelCombo", QComboBox), ("modulesSpin", QSpinBox), ("lessonsSpin", QSpinBox),
                       ("materialList", QListWidget), ("generatorCombo", QComboBox), ("generateButton", QPushButton), ("historyView", QTableView)):
        assert isinstance(window.findChild(kind, name), kind), name
    assert window.findChild(object, "CourseView") is window.courseView
    assert window.findChild(object, "outlineTree") and window.findChild(object, "lessonBrowser")


def test_first_run_banner_and_sample_material_generate_a_course(qtbot, window: MainWindow, factory) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: any(bar.key == "no-key" for bar in window.findChildren(MessageBar)), timeout=3000)
    bar = next(bar for bar in window.findChildren(MessageBar) if bar.key == "no-key")
    assert "offline generator" in bar.label.text() and "Settings" in bar.label.text()
    assert window.form.generatorCombo.currentData() is None  # offline is chosen without a key
    sample_button = next(button for button in bar.findChildren(QPushButton) if button.text() == "Use sample material")
    qtbot.mouseClick(sample_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.form.materialList.count() >= 2 and not window.form.checking, timeout=3000)
    qtbot.mouseClick(window.generateButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window._dialogs) == 1, timeout=3000)
    dialog = next(iter(window._dialogs.values()))
    qtbot.waitUntil(lambda: dialog.state.status == JobStatus.COMPLETED, timeout=10_000)


def test_dropping_files_adds_checked_material(qtbot, window: MainWindow, material: Path, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "a-folder"
    folder.mkdir()
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(material)), QUrl.fromLocalFile(str(folder))])
    target = window.form.materialList
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    target.dropEvent(event)
    qtbot.waitUntil(lambda: not window.form.checking, timeout=3000)
    assert [path.name for path in target.paths()] == ["notes.txt"]
    assert "a-folder is a folder" in window.form.errorLabel.text()


def test_lessons_appear_in_the_viewer_while_the_job_runs(qtbot, window: MainWindow, factory, material: Path) -> None:  # noqa: ANN001
    window.settings.lesson_concurrency = 1
    factory.script = [{"block_on_lesson": "m2l1"}]
    dialog = _start_job(qtbot, window, material)
    window.open_course(dialog.job_id)
    view = window.courseView
    qtbot.waitUntil(lambda: bool(factory.made) and factory.made[0].blocked.is_set(), timeout=5000)
    qtbot.waitUntil(lambda: view._loaded is not None and len(view._loaded.html) == 3, timeout=5000)
    assert "(being written)" in view.titleLabel.text() and not view.exportButton.isEnabled()
    assert view.select("lesson", "m1l3") and "Lesson 1.3" in view.lessonBrowser.toPlainText()
    assert view.select("lesson", "m2l2") and "being written" in view.lessonBrowser.toPlainText()
    window.job_manager.cancel(dialog.job_id)
    qtbot.waitUntil(lambda: not window.job_manager.is_active(dialog.job_id), timeout=3000)


def test_export_runs_off_the_gui_thread_and_reports(qtbot, window: MainWindow, factory, material: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    dialog = _start_job(qtbot, window, material)
    qtbot.waitUntil(lambda: dialog.state.status == JobStatus.COMPLETED, timeout=10_000)
    qtbot.waitUntil(lambda: window.history_model.record(dialog.job_id).status == JobStatus.COMPLETED, timeout=3000)
    target = tmp_path / "out" / "course"
    target.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "Markdown document (*.md)"))
    window.export_job(dialog.job_id)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Exported to"), timeout=5000)
    assert target.with_suffix(".md").read_text(encoding="utf-8").startswith("# ")

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "missing" / "x.md"), "Markdown document (*.md)"))
    window.export_job(dialog.job_id)
    qtbot.waitUntil(lambda: any(bar.isVisible() and "does not exist" in bar.label.text() for bar in window.findChildren(MessageBar)), timeout=5000)


def test_about_lists_licences(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    window.show_about()
    about = window.findChild(object, "AboutDialog")
    qtbot.waitUntil(lambda: "frozendict" in about.text.toPlainText() and "LGPL" in about.text.toPlainText(), timeout=3000)
    assert "AGPL" not in about.text.toPlainText()
    assert "Data folder" in about.text.toPlainText()
    about.close()


def test_delete_asks_after_resolving_ids(qtbot, window: MainWindow, factory, material: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QMessageBox

    dialog = _start_job(qtbot, window, material)
    qtbot.waitUntil(lambda: dialog.state.status == JobStatus.COMPLETED and not window.job_manager.active_count, timeout=10_000)
    window.historyView.selectRow(0)
    asked: list[str] = []

    def answer(*args: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        window.history_model.add_records([])  # the model may change while the question is open
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    window.history.delete_selected()
    qtbot.waitUntil(lambda: window.history_model.rowCount() == 0, timeout=3000)
    assert asked and "cannot be undone" in asked[0]


def test_unusable_data_folder_is_one_sentence_and_no_generate(qtbot, factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("COURSEGEN_DATA_DIR", str(blocker / "data"))
    window = MainWindow(generator_factory=factory)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.store_failed, timeout=5000) as blocker_signal:
        window.start()
    sentence = blocker_signal.args[0]
    assert "COURSEGEN_DATA_DIR" in sentence and "\n" not in sentence
    assert not window.generateButton.isEnabled()
    assert any(bar.label.text() == sentence for bar in window.findChildren(MessageBar))
    window.close()


def test_history_panel_owns_the_table_filter_and_job_actions(qtbot, window: MainWindow, material: Path) -> None:  # noqa: ANN001
    from coursegen_desktop.gui.history_panel import HistoryPanel

    panel = window.findChild(HistoryPanel, "historyPanel")
    assert panel is window.history
    assert panel.findChild(QTableView, "historyView") is window.historyView and panel.findChild(object, "filterEdit") is window.filterEdit
    jobs_menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "&Jobs")
    assert [a.text() for a in jobs_menu.actions() if not a.isSeparator()] == ["&Open course", "Show &progress", "&Resume", "&Pause", "&Cancel", "Run &next", "&Export…", "&Delete…", "Review &outline…", "Earlier &versions…"]
    dialog = _start_job(qtbot, window, material)
    qtbot.waitUntil(lambda: dialog.state.status == JobStatus.COMPLETED and not window.job_manager.active_count, timeout=10_000)
    qtbot.waitUntil(lambda: window.history_model.record(dialog.job_id).status == JobStatus.COMPLETED, timeout=3000)
    dialog.close()
    window.historyView.selectRow(0)
    panel.update_actions()
    assert panel.openAction.isEnabled() and panel.exportAction.isEnabled() and not panel.cancelAction.isEnabled()
    panel.openAction.trigger()  # the panel asks, the window opens the course
    qtbot.waitUntil(lambda: window.courseView.job_id == dialog.job_id, timeout=3000)


def test_the_menu_bar_has_each_menu_once(window: MainWindow) -> None:
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus == ["&File", "&Jobs", "&View", "&Help"]
    view = window.menuBar().actions()[2].menu()
    assert [action.text() for action in view.actions()] == ["&Study", "&Analytics"]


def test_another_windows_job_that_ended_before_its_row_arrived_shows_its_end(qtbot, window: MainWindow, data_dir: Path) -> None:  # noqa: ANN001
    """Another window's quick job can finish before this window has read its row: the row that
    then arrives (read while it ran) must not stay *Running*."""
    other = Store.open(data_dir)  # the other window's history
    record = other.create_job(make_request(topic="Tides"))
    other.mark_running(record.id)
    read_while_running = other.get_job(record.id)
    other.finish_job(record.id, JobStatus.COMPLETED, usage=Usage())
    other.close()
    window.job_manager.job_added.emit(read_while_running)  # the announce's read, delivered late
    qtbot.waitUntil(lambda: window.history_model.record(record.id).status == JobStatus.COMPLETED, timeout=5000)
