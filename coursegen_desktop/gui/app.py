"""`coursegen-desktop`: the QApplication and its event loop, logging, crash reporting and
the `--self-test` mode used by CI and packaged builds."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QtMsgType, QTimer, Signal, Slot, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from coursegen_desktop import APP_NAME, __version__

if TYPE_CHECKING:
    from coursegen_desktop.gui.main_window import MainWindow

log = logging.getLogger(__name__)

SELF_TEST_TIMEOUT_MS = 50_000  # plus at most 8 s to stop: the whole self-test ends within 60 s
CRASH_TEXT = "Something unexpected went wrong; CourseGen keeps running, and the details are in the log ({log})."


class ErrorReporter(QObject):
    """Turns uncaught exceptions (from any thread) into one plain, non-blocking dialog.

    Signals:
        report(str): emitted from any thread; shown on the GUI thread.
    """

    report = Signal(str)

    def __init__(self, log_file: str) -> None:
        super().__init__()
        self._log_file = log_file
        self._box: QMessageBox | None = None
        self.report.connect(self._show)

    def install(self) -> None:
        sys.excepthook = self._hook
        threading.excepthook = lambda args: self._hook(args.exc_type, args.exc_value, args.exc_traceback)

    def _hook(self, exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc or exc_type(), tb)
            return
        log.critical("unexpected error", exc_info=(exc_type, exc or exc_type(), tb))
        self.report.emit(CRASH_TEXT.format(log=self._log_file))

    @Slot(str)
    def _show(self, text: str) -> None:
        if self._box is not None and self._box.isVisible():
            return  # one dialog at a time, never a storm
        self._box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, text)
        self._box.open()


class SelfTest(QObject):
    """Generates a small offline course from the sample material through the real JobManager.

    Signals:
        done(int, str): the exit code and the one line to print.
    """

    done = Signal(int, str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window = window
        self.job_id: str | None = None
        self.window.store_ready.connect(self._start)
        self.window.store_failed.connect(lambda sentence: self._finish(1, f"FAIL self-test: {sentence}"))
        QTimer.singleShot(SELF_TEST_TIMEOUT_MS, self, lambda: self._finish(1, f"FAIL self-test: no course after {SELF_TEST_TIMEOUT_MS // 1000} s"))

    @Slot()
    def _start(self) -> None:
        from coursegen_desktop.core.models import make_request
        from coursegen_desktop.gui.resources import sample_material

        samples = sample_material()
        if not samples:
            self._finish(1, "FAIL self-test: the sample material is missing")
            return
        manager = self.window.job_manager
        assert manager is not None
        manager.event_emitted.connect(self._event)
        request = make_request(topic="Photosynthesis and the water cycle", material=tuple(samples), modules=2, lessons_per_module=2, questions_per_quiz=3, exam_questions=4)
        self.job_id = manager.submit(request).id

    @Slot(object)
    def _event(self, event: object) -> None:
        from coursegen_desktop.core.events import JobCancelled, JobCompleted, JobFailed

        if getattr(event, "job_id", None) != self.job_id:
            return
        if isinstance(event, JobCompleted):
            manager = self.window.job_manager
            where = "in the engine process" if manager is not None and manager.can_keep_running else "in the window's process"
            extra = ", the offline generator in a child process" if _engine_logged(OFFLINE_CHILD_LINE) else ""
            self._finish(0, f"OK self-test: {event.title} ({where}){extra}")
        elif isinstance(event, (JobFailed, JobCancelled)):
            self._finish(1, f"FAIL self-test: {getattr(event, 'message', 'cancelled')}")

    def _finish(self, code: int, line: str) -> None:
        self.done.emit(code, line)


OFFLINE_CHILD_LINE = "the offline generator answers from process"  # core/generators/offline/child.py


def _engine_logged(text: str) -> bool:
    """The self-test reports what the engine did: a packaged bundle must start its children too."""
    from coursegen_desktop.core import paths
    from coursegen_desktop.engine.main import ENGINE_LOG

    try:
        return text in (paths.log_dir() / ENGINE_LOG).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


class FirstPaintProbe(QObject):
    """`COURSEGEN_STARTUP_PROBE=1`: print the wall-clock time of the window's first paint and quit
    (benchmarks/bench_engine.py measures process start → window painted with it)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            print(f"painted {time.time():.6f}", flush=True)
            watched.removeEventFilter(self)
            QTimer.singleShot(0, lambda: os._exit(0))
        return False


def _log_qt_message(kind: QtMsgType, _context: object, message: str) -> None:
    """Qt's own warnings go to the log file, not to a terminal the user never sees."""
    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO, QtMsgType.QtCriticalMsg: logging.ERROR, QtMsgType.QtFatalMsg: logging.CRITICAL}
    level = levels.get(kind, logging.WARNING)
    if "does not support propagateSizeHints" in message or "does not support raise" in message:
        level = logging.DEBUG  # the offscreen platform (self-test, CI) says this for every window
    logging.getLogger("qt").log(level, "%s", message)


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="coursegen-desktop", description="CourseGen Desktop")
    parser.add_argument("--self-test", action="store_true", help="generate a small offline course, print OK and exit")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    return parser.parse_known_args(argv[1:])


def main(argv: list[str] | None = None) -> int:
    """Run the desktop app; returns the process exit code."""
    argv = list(sys.argv if argv is None else argv)
    args, qt_args = _parse(argv)
    if args.self_test:
        os.environ["COURSEGEN_DATA_DIR"] = tempfile.mkdtemp(prefix="coursegen-self-test-")
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from coursegen_desktop.core.applog import setup_logging

    log_file = setup_logging()
    log.info("%s %s starting", APP_NAME, __version__)
    qInstallMessageHandler(_log_qt_message)

    from coursegen_desktop.gui import tasks
    from coursegen_desktop.gui.icons import app_icon
    from coursegen_desktop.gui.jobs import running_threads
    from coursegen_desktop.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([argv[0], *qt_args])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("coursegen-desktop")
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)  # the window decides when to quit (after its jobs stop)
    reporter = ErrorReporter(str(log_file or "the data folder"))
    reporter.install()
    collector = tasks.MainThreadGC(parent=app)  # noqa: F841 - lives as long as the app

    window = MainWindow()
    window.closed.connect(app.quit)
    outcome = {"code": 0}
    self_test = None
    if args.self_test:
        self_test = SelfTest(window)

        def finish(code: int, line: str) -> None:
            if "line" in outcome:
                return
            outcome.update(code=code, line=line)
            print(line, flush=True)
            if code:
                QTimer.singleShot(8000, lambda: os._exit(code))  # a stuck job must not keep the test alive
            if window.job_manager is not None and window.job_manager.active_count:
                window.stop_jobs_and_close(keep_for_resume=False)
            else:
                window.close()

        self_test.done.connect(finish)
    if os.environ.get("COURSEGEN_STARTUP_PROBE"):
        probe = FirstPaintProbe(window)
        window.installEventFilter(probe)
    window.show()
    QTimer.singleShot(0, window.start)  # the window paints first; the history opens after

    signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, window.close))
    wake = QTimer()  # lets Python run its signal handlers while Qt waits
    wake.start(500)
    wake.timeout.connect(lambda: None)

    code = app.exec()
    tasks.wait_for_background(5000)
    if window.store is not None:
        window.store.close()
    if running_threads():  # never let Qt abort on "QThread: Destroyed while thread is still running"
        log.error("job threads were still running at exit")
        logging.shutdown()
        os._exit(1)
    log.info("%s stopped", APP_NAME)
    if args.self_test:
        if outcome["code"] == 0:  # a failed self-test keeps its folder (logs) for a look
            shutil.rmtree(os.environ["COURSEGEN_DATA_DIR"], ignore_errors=True)
        return int(outcome["code"])
    return int(code or 0)
