"""History model, course viewer safety, quiz mode and flashcards, crash reporting, self-test."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from coursegen_desktop.core.events import JobCompleted, JobStarted, Progress
from coursegen_desktop.core.models import JobRecord, JobStatus, make_request
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.course_view import CourseView, SafeTextBrowser, render_markdown
from coursegen_desktop.gui.history_model import COST, PROGRESS, STATUS, HistoryModel
from tests.helpers.course_factory import make_course

ROOT = Path(__file__).resolve().parents[2]


def _record(job_id: str, topic: str) -> JobRecord:
    return JobRecord(id=job_id, topic=topic, status=JobStatus.QUEUED, created_at=datetime.now(timezone.utc), request=make_request(topic=topic))


def test_history_model_inserts_and_updates_without_reset(qtbot) -> None:  # noqa: ANN001
    model = HistoryModel()
    resets, changes = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda a, b, roles=(): changes.append((a.row(), b.row())))
    model.add_records([_record("a1", "Algebra"), _record("b2", "Biology")])
    model.add_records([_record("a1", "Algebra")])  # already there: nothing happens
    assert model.rowCount() == 2
    model.apply_event(JobStarted(job_id="b2", seq=2, generator="offline"))
    model.apply_event(Progress(job_id="b2", seq=3, percent=40.0))
    model.apply_event(Progress(job_id="b2", seq=4, percent=42.0))
    model.apply_event(Progress(job_id="b2", seq=5, percent=41.0))  # never backwards
    assert model.index(1, STATUS).data() == "Running" and model.index(1, PROGRESS).data() == "42%"
    assert len(changes) == 1  # ticks are repainted in one batch, later
    qtbot.waitUntil(lambda: len(changes) == 2, timeout=2000)
    model.apply_event(JobCompleted(job_id="b2", seq=6, title="Biology basics", duration_s=12.0))
    assert model.index(1, STATUS).data() == "Completed" and model.index(1, COST).data() == "—"
    assert changes == [(1, 1)] * 3 and not resets
    model.remove_job("a1")
    assert model.rowCount() == 1 and model.record("b2").course_title == "Biology basics"


def test_lesson_browser_loads_nothing_and_keeps_html_inert(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    browser = SafeTextBrowser()
    qtbot.addWidget(browser)
    for url in ("https://example.com/x.png", "file:///etc/passwd", "http://tracker.test/p.gif"):
        assert browser.loadResource(2, QUrl(url)) is None
    html = render_markdown("# Hi\n\n<script>alert(1)</script><img src=x onerror=alert(1)>\n\n[bad](javascript:alert(1)) [ok](https://example.com)")
    assert "<script" not in html and "<img" not in html and "href=\"javascript" not in html
    browser.setHtml(html)
    browser.anchorClicked.emit(QUrl("javascript:alert(1)"))
    browser.anchorClicked.emit(QUrl("file:///etc/passwd"))
    browser.anchorClicked.emit(QUrl("https://example.com"))
    assert [url.toString() for url in opened] == ["https://example.com"]


def test_lesson_html_never_skips_the_url_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """The viewer has no second, laxer renderer: a remote image (a tracker) and a local file link
    never reach the browser, and without the safe renderer nothing is rendered at all."""
    html = render_markdown("![t](http://tracker.test/p.gif) [f](file:///etc/passwd) [ok](https://example.com)")
    assert "<img" not in html and 'href="file:' not in html and 'href="https://example.com"' in html
    monkeypatch.setitem(sys.modules, "coursegen_desktop.core.export.markdown_render", None)  # as if it failed to import
    with pytest.raises(ImportError):
        render_markdown("![t](http://tracker.test/p.gif)")


@pytest.fixture
def course_view(qtbot, data_dir: Path):  # noqa: ANN001, ANN201
    from coursegen_desktop.core.store import Store

    store = Store.open()
    record = store.create_job(make_request(topic="Cells"))
    course = make_course()
    store.save_course(record.id, course)
    view = CourseView()
    qtbot.addWidget(view)
    view.show_job(store, record.id)
    qtbot.waitUntil(lambda: view.outlineTree.topLevelItemCount() > 0, timeout=3000)
    yield view, course
    tasks.wait_for_background(5000)  # a quiz attempt may still be being saved
    store.close()


def test_quiz_mode_checks_answers_and_scores(qtbot, course_view) -> None:  # noqa: ANN001
    view, course = course_view
    quiz = course.quizzes[0]
    assert view.select("quiz", quiz.module_id)
    widget = view.quizWidget
    assert view.pages.currentWidget() is widget
    for question in quiz.questions:
        buttons = widget._group.buttons()
        buttons[question.answer_index].setChecked(True)
        widget.check()
        assert widget.feedbackLabel.text().startswith('<b style="color:#188038">Correct.')
        widget.next()
    assert widget.stemLabel.text().startswith(f"You scored {len(quiz.questions)} of {len(quiz.questions)}")


def test_flashcards_flip_and_move(qtbot, course_view) -> None:  # noqa: ANN001
    view, course = course_view
    assert view.select("flashcards")
    cards = view.flashcardsWidget
    assert cards.textLabel.text() == course.flashcards[0].front
    cards.flip()
    assert cards.textLabel.text() == course.flashcards[0].back
    cards.nextButton.click()
    assert cards.textLabel.text() == course.flashcards[1 % len(course.flashcards)].front


def test_unexpected_exception_is_logged_and_shown_once(qtbot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    from coursegen_desktop.gui.app import ErrorReporter

    shown: list[QMessageBox] = []
    monkeypatch.setattr(QMessageBox, "open", lambda self: shown.append(self))
    monkeypatch.setattr(QMessageBox, "isVisible", lambda self: True)
    reporter = ErrorReporter("/tmp/coursegen.log")
    with caplog.at_level(logging.CRITICAL):
        for _ in range(3):
            reporter._hook(ValueError, ValueError("boom"), None)
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=1000)
    assert "keeps running" in shown[0].text() and "Traceback" not in shown[0].text()
    assert "unexpected error" in caplog.text


@pytest.mark.slow
def test_self_test_generates_a_course(tmp_path: Path) -> None:
    pytest.importorskip("coursegen_desktop.core.generators.offline")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "coursegen_desktop", "--self-test"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK self-test: ") and "(in the engine process)" in result.stdout  # the job ran in the engine
    assert "the offline generator in a child process" in result.stdout  # which started its own child
    assert not list(tmp_path.glob("coursegen-self-test-*"))  # its scratch history is removed
