"""Quitting with a running job stops every thread and keeps the job resumable."""

from __future__ import annotations

from pathlib import Path

from coursegen_desktop.core.models import JobStatus
from coursegen_desktop.gui import jobs, tasks
from coursegen_desktop.gui.main_window import MainWindow
from tests.gui.conftest import close_window, open_window
from tests.gui.test_generate_flow import _history_status, _start_job


def test_quit_keep_for_resume_then_resume_on_next_start(qtbot, factory, material: Path) -> None:  # noqa: ANN001
    window = open_window(qtbot, factory)
    window.ask_about_running_jobs = lambda count: "keep"  # type: ignore[method-assign]
    factory.script = [{"block_on_lesson": "m1l2"}, {}]
    window.settings.lesson_concurrency = 1
    dialog = _start_job(qtbot, window, material)
    job_id = dialog.job_id
    qtbot.waitUntil(lambda: bool(factory.made) and factory.made[0].blocked.is_set(), timeout=5000)

    with qtbot.waitSignal(window.closed, timeout=10_000):
        window.close()
    assert not jobs.running_threads()
    assert window.store.get_job(job_id).status == JobStatus.INTERRUPTED
    tasks.wait_for_background(5000)  # as the app does before it closes the history
    window.store.close()

    again = open_window(qtbot, factory)  # next start: the job is there, interrupted, resumable
    try:
        qtbot.waitUntil(lambda: _history_status(again, job_id) == "Interrupted", timeout=3000)
        again.resume_job(job_id)
        progress = again._dialogs[job_id]
        qtbot.waitUntil(lambda: progress.state.status == JobStatus.COMPLETED, timeout=10_000)
        assert factory.made[1].calls["lesson:m1l1"] == 0  # the saved lesson was not written again
    finally:
        close_window(qtbot, again)


def test_quit_cancel_jobs_marks_them_cancelled(qtbot, window: MainWindow, factory, material: Path) -> None:  # noqa: ANN001
    factory.script = [{"block_on_lesson": "m1l1"}]
    dialog = _start_job(qtbot, window, material)
    qtbot.waitUntil(lambda: bool(factory.made) and factory.made[0].blocked.is_set(), timeout=5000)
    with qtbot.waitSignal(window.closed, timeout=10_000):
        window.close()  # the fixture answers "Cancel jobs"
    assert not jobs.running_threads()
    assert window.store.get_job(dialog.job_id).status == JobStatus.CANCELLED


def test_resume_of_a_running_job_is_refused_in_plain_words(qtbot, window: MainWindow, factory, material: Path) -> None:  # noqa: ANN001
    factory.script = [{"block_on_lesson": "m1l1"}]
    dialog = _start_job(qtbot, window, material)
    qtbot.waitUntil(lambda: bool(factory.made) and factory.made[0].blocked.is_set(), timeout=5000)
    dialog._resume()
    assert dialog.statusLabel.text() == "This job is already running; wait for it to finish or cancel it first."
    assert window.store.locks.is_held(dialog.job_id)  # a second window is refused too
    window.job_manager.cancel(dialog.job_id)
    qtbot.waitUntil(lambda: not window.job_manager.is_active(dialog.job_id), timeout=3000)
