"""Render the main screens offscreen to screenshots/*.png (for the README and for review).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [out_dir]

Uses a temporary data folder: runs a couple of real offline jobs from the sample material so
the history has something in it, pauses a third job mid-lesson to show the progress window,
then grabs the main window, the progress window, the course viewer (a lesson, a quiz being
answered, flashcards, the quiz history after two attempts), the Study window (a card's front,
then its answer with the next intervals, then the day's summary) and the settings dialog.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["COURSEGEN_DATA_DIR"] = tempfile.mkdtemp(prefix="coursegen-screens-")
os.environ["COURSEGEN_NO_KEYRING"] = "1"  # the first-run state: no key, offline generator
os.environ.pop("ANTHROPIC_API_KEY", None)

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from coursegen_desktop.core.generators.base import GenerationContext, TextSink  # noqa: E402
from coursegen_desktop.core.generators.factory import make_generator  # noqa: E402
from coursegen_desktop.core.models import CourseRequest, JobStatus, Lesson, LessonPlan, ModulePlan, make_request  # noqa: E402
from coursegen_desktop.gui.history_model import JobRole  # noqa: E402
from coursegen_desktop.gui.main_window import MainWindow  # noqa: E402
from coursegen_desktop.gui.tasks import MainThreadGC  # noqa: E402

PAUSED_TOPIC = "The water cycle"


class PausedOffline:
    """The real offline generator, but lessons stream slowly and the fourth never finishes."""

    def __init__(self, request: CourseRequest) -> None:
        self._inner = make_generator(request)
        self._lessons = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    async def lesson(self, ctx: GenerationContext, module: ModulePlan, plan: LessonPlan, on_text: TextSink) -> Lesson:
        lesson = await self._inner.lesson(ctx, module, plan, lambda _text: None)
        self._lessons += 1
        number, text = self._lessons, lesson.markdown
        stop = len(text) * 2 // 3 if number >= 4 else len(text)
        for start in range(0, stop, 40):
            on_text(text[start : start + 40])
            await asyncio.sleep(0.01)
        if number >= 4:
            await asyncio.sleep(3600)  # stays mid-lesson until the script cancels it
        return lesson


def factory(request: CourseRequest) -> object:
    return PausedOffline(request) if request.topic == PAUSED_TOPIC else make_generator(request)


def spin(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


class Timeout(Exception):
    pass


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise Timeout(f"screenshots: timed out waiting for {what}")
        spin(30)


def grab(widget: QWidget, out: Path, name: str) -> None:
    spin(150)  # let layouts settle and the last repaint happen
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path}")


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    collector = MainThreadGC(parent=app)  # as the app does  # noqa: F841
    window = MainWindow(generator_factory=factory)
    window.resize(1280, 820)
    window.show()
    window.start()
    wait_for(lambda: window.job_manager is not None, "the history")
    manager = window.job_manager
    assert manager is not None
    try:
        shoot(window, out)
    except Timeout as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        manager.shutdown(keep_for_resume=False)
        manager.wait_stopped(10_000)
        wait_for(lambda: not manager.active_count, "the job threads")
        window.close()
        if window.store is not None:
            window.store.close()
    return 0


def shoot(window: MainWindow, out: Path) -> None:
    from coursegen_desktop.gui.course_view import CourseView
    from coursegen_desktop.gui.resources import sample_material
    from coursegen_desktop.gui.settings_dialog import SettingsDialog

    manager = window.job_manager
    assert manager is not None
    samples = tuple(sample_material())

    finished: list[str] = []
    manager.job_finished.connect(finished.append)
    topics = [("Photosynthesis", samples[:1], 2, 3), ("Photosynthesis and the water cycle", samples, 3, 2)]
    for topic, material, modules, lessons in topics:
        manager.submit(make_request(topic=topic, material=material, modules=modules, lessons_per_module=lessons))
    wait_for(lambda: len(finished) == len(topics), "the offline jobs")

    paused = manager.submit(make_request(topic=PAUSED_TOPIC, material=samples[1:], modules=2, lessons_per_module=3, level="intermediate"))
    dialog = window.show_progress(paused.id)
    assert dialog is not None
    wait_for(lambda: dialog.state.lessons_done >= 3 and len(dialog.state.preview) > 200, "the paused job")
    dialog.logToggle.setChecked(False)
    dialog.move(window.geometry().center() - dialog.rect().center())

    model = window.history_model
    records = [model.index(row, 0).data(JobRole) for row in range(model.rowCount())]
    done_job = next(record for record in records if record.status == JobStatus.COMPLETED and len(record.request.material) > 1)
    window.open_course(done_job.id)
    wait_for(lambda: window.courseView.job_id == done_job.id and window.courseView.outlineTree.topLevelItemCount() > 0, "the course")
    window.courseView.select("lesson", window.courseView._loaded.outline.modules[0].lessons[1].id)  # type: ignore[union-attr]
    window.historyView.selectRow(0)
    grab(window, out, "main_window")
    grab(dialog, out, "progress_dialog")
    dialog.logToggle.click()  # the job log, unfolded
    grab(dialog, out, "progress_log")
    dialog.logToggle.click()

    manager.set_max_running(1)  # two more jobs wait behind the running one: the queue panel shows
    for topic in ("The carbon cycle", "Plant cells"):
        manager.submit(make_request(topic=topic, material=samples[:1], modules=1, lessons_per_module=2))
    wait_for(lambda: len(window.queuePanel.job_ids()) == 2, "the queue")
    grab(window, out, "queue_panel")
    box, _background, _keep = window.running_jobs_box(manager.active_count)
    box.show()
    grab(box, out, "close_question")
    box.close()

    view = CourseView()
    view.resize(1000, 680)
    view.show()
    view.show_job(window.store, done_job.id)  # type: ignore[arg-type]
    wait_for(lambda: view.outlineTree.topLevelItemCount() > 0, "the course viewer")
    course = view._loaded.course  # type: ignore[union-attr]
    view.select("lesson", course.lessons[0].id)
    grab(view, out, "course_view")
    view.select("quiz", course.quizzes[0].module_id)
    quiz = view.quizWidget
    question = course.quizzes[0].questions[0]
    quiz._group.buttons()[(question.answer_index + 1) % len(question.options)].setChecked(True)
    quiz.check()
    grab(view, out, "quiz")
    view.select("flashcards")
    grab(view, out, "flashcards")
    shoot_quiz_history(view, course)
    shoot_study(window, done_job.id, course.title, out)

    view.select("history")
    grab(view, out, "quiz_history")

    settings = SettingsDialog(window.settings, list(window._models), window)
    settings.show()
    wait_for(lambda: "Looking" not in settings.keyStatusLabel.text(), "the key status")
    grab(settings, out, "settings")
    settings.close()
    view.close()
    shoot_analytics(window, out)


def shoot_analytics(window: MainWindow, out: Path) -> None:
    """View → Analytics over the real jobs above plus 30 days of generated history (known mix of
    outcomes, retries, drops and costs from tests/helpers/history.py), light and dark."""
    import random

    from PySide6.QtGui import QColor, QPalette

    from coursegen_desktop.gui.analytics_view import AnalyticsView
    from tests.helpers.history import sample_job, write_history

    rng = random.Random(3)
    now = time.time()
    jobs = [sample_job(rng, now - 30 * 86400 + rng.uniform(0, 30 * 86400 - 600), offline=rng.random() < 0.2, ticks=0) for _ in range(420)]
    write_history(window.store, jobs)  # type: ignore[arg-type]
    window.analyticsAction.trigger()
    view = window.findChild(AnalyticsView, "analyticsView")
    assert view is not None
    view.resize(1180, 900)
    wait_for(lambda: view.stats is not None and not view.stats.is_empty and not view._loading, "the analytics figures")
    grab(view, out, "analytics")
    dark = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#202124"), (QPalette.ColorRole.Base, "#292a2d"),
                         (QPalette.ColorRole.WindowText, "#e8eaed"), (QPalette.ColorRole.Text, "#e8eaed"),
                         (QPalette.ColorRole.Button, "#303134"), (QPalette.ColorRole.ButtonText, "#e8eaed"),
                         (QPalette.ColorRole.Mid, "#5f6368"), (QPalette.ColorRole.PlaceholderText, "#9aa0a6")):
        dark.setColor(role, QColor(colour))
    view.setPalette(dark)
    grab(view, out, "analytics_dark")
    view.close()


def shoot_quiz_history(view: object, course: object) -> None:
    """Two attempts at the first quiz and one at the exam, some answers wrong, as a learner would."""
    from coursegen_desktop.gui.course_view import CourseView

    assert isinstance(view, CourseView)
    for kind, key, quiz, misses in (
        ("quiz", course.quizzes[0].module_id, course.quizzes[0], {0, 2}),  # type: ignore[attr-defined]
        ("quiz", course.quizzes[0].module_id, course.quizzes[0], {2}),  # type: ignore[attr-defined]
        ("exam", "", course.exam, {1, 3, 4}),  # type: ignore[attr-defined]
    ):
        view.select("overview")
        view.select(kind, key)
        before = len(view._loaded.attempts)  # type: ignore[union-attr]
        for number, question in enumerate(quiz.questions):
            wrong = number in misses
            view.quizWidget._group.buttons()[(question.answer_index + wrong) % len(question.options)].setChecked(True)
            view.quizWidget.check()
            view.quizWidget.next()
        wait_for(lambda before=before: len(view._loaded.attempts) > before, "the quiz attempt")  # type: ignore[union-attr]


def shoot_study(window: MainWindow, job_id: str, title: str, out: Path) -> None:
    from coursegen_desktop.gui.study_view import StudyView

    window.open_study(job_id, title)
    study = window.findChild(StudyView)
    assert study is not None
    wait_for(lambda: study.pages.currentWidget() is study.cardPage and study.showAnswerButton.isEnabled(), "the first card")
    study.show_answer()
    study.rate("good")  # one card already seen: the counts move
    wait_for(lambda: study.showAnswerButton.isEnabled() and not study._answer_shown, "the next card")
    grab(study, out, "study_front")
    study.show_answer()
    grab(study, out, "study_answer")
    while study.pages.currentWidget() is not study.summaryPage:  # the rest of today's cards, then the summary
        wait_for(lambda: study.showAnswerButton.isEnabled() or study.pages.currentWidget() is study.summaryPage, "the next card")
        if study.pages.currentWidget() is study.cardPage:
            study.show_answer()
            study.rate("easy")
            wait_for(lambda: not study._busy, "the rating")
    grab(study, out, "study_done")
    study.close()


if __name__ == "__main__":
    raise SystemExit(main())
