"""Steering in the window: the plan label, the outline editor, Regenerate from the course viewer,
and Earlier versions with Restore (pytest-qt, jobs through the window's JobManager)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from coursegen_desktop.core import regenerate
from coursegen_desktop.core.models import JobStatus
from coursegen_desktop.gui.history_model import JobRole
from coursegen_desktop.gui.main_window import MainWindow
from coursegen_desktop.gui.outline_editor import OutlineEditor
from coursegen_desktop.gui.steering import RegenerateDialog
from coursegen_desktop.gui.versions_dialog import VersionsDialog
from coursegen_desktop.gui.widgets import MessageBar
from tests.helpers.scripted_generator import ScriptedGenerator


class RewritingGenerator(ScriptedGenerator):
    """Lessons that say which job wrote them and with what instruction."""

    async def lesson(self, ctx, module, plan, on_text):  # noqa: ANN001, ANN201
        lesson = await super().lesson(ctx, module, plan, on_text)
        return lesson.model_copy(update={"markdown": f"{lesson.markdown}\nWritten by job {ctx.job_id} ({ctx.instruction or 'first draft'}).\n"})


def _fill_form(qtbot, window: MainWindow, material: Path) -> None:  # noqa: ANN001
    qtbot.keyClicks(window.topicEdit, "Cells")
    window.form.modulesSpin.setValue(2)
    window.form.lessonsSpin.setValue(2)
    window.form.add_files([material])
    qtbot.waitUntil(lambda: window.form.materialList.count() == 1, timeout=3000)


def _settled(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """Wait until every job thread has finished and been let go (the window closes after the test)."""
    qtbot.waitUntil(lambda: not window.job_manager.active_count, timeout=5000)


def _status(window: MainWindow, job_id: str) -> JobStatus | None:
    record = window.history_model.record(job_id)
    return record.status if record else None


def test_plan_label_follows_the_form_debounced(qtbot, window: MainWindow, material: Path) -> None:  # noqa: ANN001
    estimate = window.steering.estimate
    label = window.form.planLabel
    _fill_form(qtbot, window, material)
    qtbot.waitUntil(lambda: label.text().startswith("No API calls · free · "), timeout=5000)
    qtbot.waitUntil(lambda: any(bar.key == "no-key" for bar in window.findChildren(MessageBar)), timeout=5000)  # key check done
    runs = estimate.runs
    window.form.set_models(["claude-sonnet-4-6"], has_key=True)  # a key: Claude can be chosen
    window.form.generatorCombo.setCurrentIndex(window.form.generatorCombo.findData("claude-sonnet-4-6"))
    for value in (3, 4, 5, 6):  # typing fast: one estimate after the pause, not four
        window.form.lessonsSpin.setValue(value)
    qtbot.waitUntil(lambda: label.text().startswith("≈ "), timeout=5000)
    assert label.text().startswith("≈ 17 calls · $")  # 2 × 6 lessons + 2 quizzes + outline, exam, flashcards
    assert estimate.runs == runs + 1
    window.form.topicEdit.clear()
    qtbot.waitUntil(lambda: label.text() == "", timeout=5000)  # no valid request, no estimate


def test_outline_editor_edits_are_what_the_lessons_are_written_from(qtbot, window: MainWindow, factory, material: Path) -> None:  # noqa: ANN001
    _fill_form(qtbot, window, material)
    window.form.reviewOutlineCheck.setChecked(True)
    qtbot.mouseClick(window.generateButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.steering.editors) == 1, timeout=5000)
    editor: OutlineEditor = next(iter(window.steering.editors.values()))
    job_id = editor.job_id
    assert editor.objectName() == "outlineEditor" and editor.isVisible()
    qtbot.waitUntil(lambda: editor.approveOutlineButton.isEnabled(), timeout=3000)
    assert _status(window, job_id) == JobStatus.AWAITING_REVIEW
    assert factory.made[0].calls["lesson"] == 0

    module_one = editor.tree.topLevelItem(0)
    editor.tree.setCurrentItem(module_one.child(0))
    editor.itemTitleEdit.clear()
    qtbot.keyClicks(editor.itemTitleEdit, "The membrane")  # rename
    editor.itemSummaryEdit.setPlainText("What gets in and out of a cell.")
    qtbot.mouseClick(editor.moveDownButton, Qt.MouseButton.LeftButton)  # reorder: now second in module 1
    editor.tree.setCurrentItem(editor.tree.topLevelItem(1).child(1))
    qtbot.mouseClick(editor.removeLessonButton, Qt.MouseButton.LeftButton)  # remove Lesson 2.2
    qtbot.mouseClick(editor.addLessonButton, Qt.MouseButton.LeftButton)  # add after Lesson 2.1
    editor.itemTitleEdit.clear()
    qtbot.keyClicks(editor.itemTitleEdit, "Osmosis in practice")
    editor.objectivesList.item(0).setText("Describe the cell membrane")  # edit an objective
    editor.courseTitleEdit.setText("Cells, reviewed")

    qtbot.mouseClick(editor.approveOutlineButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _status(window, job_id) == JobStatus.COMPLETED, timeout=10_000)
    course = window.store.get_course(job_id)
    assert course.title == "Cells, reviewed"
    assert [lesson.title for lesson in course.lessons] == ["Lesson 1.2", "The membrane", "Lesson 2.1", "Osmosis in practice"]
    assert course.outline.modules[0].lessons[1].summary == "What gets in and out of a cell."
    assert course.outline.objectives[0].text == "Describe the cell membrane"
    _settled(qtbot, window)


def test_an_invalid_outline_is_explained_and_regenerate_plans_again(qtbot, window: MainWindow, factory, material: Path) -> None:  # noqa: ANN001
    _fill_form(qtbot, window, material)
    window.form.reviewOutlineCheck.setChecked(True)
    qtbot.mouseClick(window.generateButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.steering.editors) == 1, timeout=5000)
    editor = next(iter(window.steering.editors.values()))
    job_id = editor.job_id
    qtbot.waitUntil(lambda: editor.approveOutlineButton.isEnabled(), timeout=3000)
    editor.courseTitleEdit.clear()
    qtbot.mouseClick(editor.approveOutlineButton, Qt.MouseButton.LeftButton)
    assert editor.errorLabel.isVisible() and editor.errorLabel.text() == "The course title is empty; give the course a title."
    assert _status(window, job_id) == JobStatus.AWAITING_REVIEW

    qtbot.keyClicks(editor.instructionEdit, "more on osmosis")
    qtbot.mouseClick(editor.regenerateOutlineButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(factory.made) == 2 and factory.made[1].calls["outline"] == 1, timeout=10_000)
    qtbot.waitUntil(lambda: job_id in window.steering.editors and window.steering.editors[job_id] is not editor, timeout=5000)
    qtbot.waitUntil(lambda: _status(window, job_id) == JobStatus.AWAITING_REVIEW, timeout=5000)
    assert factory.made[1].calls["lesson"] == 0
    _settled(qtbot, window)

    window.steering.editors[job_id].close()  # History → Review outline… opens it again from the store
    qtbot.waitUntil(lambda: job_id not in window.steering.editors, timeout=3000)
    proxy = window.history_model  # the table shows the model directly (pages, filtered in SQL)
    window.historyView.selectRow(next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data(JobRole).id == job_id))
    window.steering._update_actions()
    assert window.steering.reviewAction.isEnabled() and not window.steering.versionsAction.isEnabled()
    window.steering.reviewAction.trigger()
    qtbot.waitUntil(lambda: job_id in window.steering.editors and window.steering.editors[job_id].approveOutlineButton.isEnabled(), timeout=3000)
    assert window.steering.editors[job_id].tree.topLevelItemCount() == 2


def test_regenerate_from_the_course_viewer_and_restore_the_earlier_version(qtbot, window: MainWindow, factory, material: Path) -> None:  # noqa: ANN001
    factory.cls = RewritingGenerator
    _fill_form(qtbot, window, material)
    qtbot.mouseClick(window.generateButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window._dialogs) == 1, timeout=3000)
    source = next(iter(window._dialogs))
    qtbot.waitUntil(lambda: _status(window, source) == JobStatus.COMPLETED, timeout=10_000)
    window.open_course(source)
    view = window.courseView
    qtbot.waitUntil(lambda: view.job_id == source and view._loaded.course is not None, timeout=5000)
    original = window.store.get_course(source)

    assert view.part_menu(view._find(("module", "m1"))) is None  # modules are not parts
    menu = view.part_menu(view._find(("lesson", "m1l2")))
    [action] = menu.actions()
    assert action.objectName() == "regenerateAction"
    action.trigger()
    dialog = window.findChild(RegenerateDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.instructionEdit, "simpler")
    dialog.accept()
    qtbot.waitUntil(lambda: window.history_model.rowCount() == 2, timeout=5000)
    rewrite = next(job_id for job_id in window._dialogs if job_id != source)  # its own job, with its own progress window
    qtbot.waitUntil(lambda: _status(window, rewrite) == JobStatus.COMPLETED, timeout=10_000)
    qtbot.waitUntil(lambda: "(simpler)" in view._loaded.lessons["m1l2"].markdown, timeout=5000)  # the viewer reloaded
    changed = window.store.get_course(source)
    assert changed.lessons[0] == original.lessons[0] and changed.quizzes == original.quizzes and changed.exam == original.exam

    versions = window.steering.show_versions(source)
    assert isinstance(versions, VersionsDialog) and versions.objectName() == "versionsDialog"
    qtbot.waitUntil(lambda: versions.versionList.count() == 1, timeout=3000)
    versions.versionList.setCurrentRow(0)
    qtbot.mouseClick(versions.restoreVersionButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "first draft" in view._loaded.lessons["m1l2"].markdown, timeout=5000)
    assert window.store.get_course(source).lessons == original.lessons
    assert [v.version for v in regenerate.versions(window.store, source)] == [2]
    versions.close()
    _settled(qtbot, window)
