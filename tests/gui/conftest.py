"""GUI test fixtures: a main window on an isolated data folder with an injected generator, and
a guard that fails any test leaving a job thread running (a live QThread at exit aborts Qt)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from coursegen_desktop.core.models import CourseRequest
from coursegen_desktop.gui import jobs, tasks
from coursegen_desktop.gui.main_window import MainWindow
from coursegen_desktop.gui.settings import Settings
from tests.helpers.scripted_generator import ScriptedGenerator


@pytest.fixture(autouse=True)
def no_thread_left_running(qapp: QApplication) -> Iterator[None]:
    qapp.setQuitOnLastWindowClosed(False)
    collector = tasks.MainThreadGC()  # as in the app: QObject cycles are collected on this thread
    yield
    left = jobs.running_threads()
    for thread in left:  # clean up so one failure does not cascade, then fail
        thread.quit()
        thread.wait(5000)
    tasks.wait_for_background(5000)
    gc.collect()  # this test's cycles die here, on the GUI thread, not later on some worker
    collector.stop()
    assert not left, f"job threads still running at teardown: {[t.objectName() for t in left]}"


class GeneratorFactory:
    """Makes the generator for each job; `script` lists the kwargs of successive generators."""

    def __init__(self) -> None:
        self.script: list[dict[str, object]] = []
        self.made: list[ScriptedGenerator] = []
        self.cls: Callable[..., object] = ScriptedGenerator

    def __call__(self, request: CourseRequest) -> object:
        kwargs = self.script.pop(0) if self.script else {}
        generator = self.cls(**kwargs)
        self.made.append(generator)  # type: ignore[arg-type]
        return generator


@pytest.fixture
def factory() -> GeneratorFactory:
    return GeneratorFactory()


def open_window(qtbot, factory: Callable[[CourseRequest], object]) -> MainWindow:  # noqa: ANN001
    window = MainWindow(Settings(), generator_factory=factory)  # type: ignore[arg-type]
    window.ask_about_running_jobs = lambda count: "cancel"  # type: ignore[method-assign] # never a modal box
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignals([window.store_ready, window.history_loaded], timeout=5000):
        window.start()
    return window


def close_window(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    manager = window.job_manager
    if manager is not None and manager.active_count:
        manager.shutdown(keep_for_resume=False)
        manager.wait_stopped(10_000)
    qtbot.waitUntil(lambda: manager is None or manager.active_count == 0, timeout=5000)
    window.close()
    tasks.wait_for_background(5000)
    if window.store is not None:
        window.store.close()


@pytest.fixture
def window(qtbot, factory: GeneratorFactory) -> Iterator[MainWindow]:  # noqa: ANN001
    win = open_window(qtbot, factory)
    yield win
    close_window(qtbot, win)


@pytest.fixture
def material(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("Photosynthesis turns light into chemical energy.\n\nChlorophyll absorbs light.\n", encoding="utf-8")
    return path
