"""The Study window's keys and buttons, the course viewer's Study button, and the quiz history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from coursegen_desktop.core.models import Course
from coursegen_desktop.core.store import Store
from coursegen_desktop.core.study_config import StudyConfig
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.course_view import CourseView
from coursegen_desktop.gui.study_view import StudyView
from tests.gui.conftest import close_window, open_window
from tests.helpers.study_courses import store_cards

FRONTS = ["What is ATP?", "What is NADPH?", "What is a stoma?"]


def stored(store: Store, fronts: list[str] = FRONTS) -> tuple[str, Course]:
    return store_cards(store, fronts)


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = Store.open()
    yield opened
    tasks.wait_for_background(5000)
    opened.close()


def open_view(qtbot, store: Store, course_id: str | None = None, config: StudyConfig | None = None) -> StudyView:  # noqa: ANN001
    """A Study window showing its first card."""
    view = StudyView(store, config or StudyConfig(), course_id)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.card_shown, timeout=5000):
        view.show()
    return view


def wait_card(qtbot, view: StudyView, action) -> None:  # noqa: ANN001
    with qtbot.waitSignal(view.card_shown, timeout=5000):
        action()


def reviews(store: Store) -> list[tuple[str, int]]:
    return store._conn.execute("SELECT s.front, r.rating FROM study_reviews r JOIN study_cards s ON s.id = r.card_id ORDER BY r.id").fetchall()


def test_space_shows_the_answer_and_number_keys_rate(qtbot, store: Store) -> None:  # noqa: ANN001
    course_id, _course = stored(store)
    view = open_view(qtbot, store, course_id)
    assert view.frontLabel.text() == "What is ATP?"
    assert not view.backLabel.isVisible() and view.showAnswerButton.isVisible()
    assert "3 new" in view.countsLabel.text()

    qtbot.keyClick(view, Qt.Key.Key_3)  # rating before the answer is shown does nothing
    qtbot.wait(50)
    assert reviews(store) == []

    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert view.backLabel.isVisible() and view.backLabel.text() == "Answer to What is ATP?"
    assert not view.showAnswerButton.isVisible()
    again, good, easy = (view.findChild(QPushButton, name) for name in ("rateAgainButton", "rateGoodButton", "rateEasyButton"))
    assert again.isVisible() and again.text() == "Again\n1m"  # the next interval, as Anki shows it
    assert good.text() == "Good\n10m" and easy.text().startswith("Easy\n") and easy.text().endswith("d")

    wait_card(qtbot, view, lambda: qtbot.keyClick(view, Qt.Key.Key_1))
    assert reviews(store) == [("What is ATP?", 1)]
    assert view.frontLabel.text() == "What is NADPH?"  # the again card comes back in a minute; a new one first
    assert not view.backLabel.isVisible()

    qtbot.keyClick(view, Qt.Key.Key_Space)
    wait_card(qtbot, view, lambda: qtbot.keyClick(view, Qt.Key.Key_4))
    qtbot.keyClick(view, Qt.Key.Key_Space)
    wait_card(qtbot, view, lambda: qtbot.keyClick(view, Qt.Key.Key_Space))  # Space on the answer means Good
    assert reviews(store) == [("What is ATP?", 1), ("What is NADPH?", 4), ("What is a stoma?", 3)]
    assert view.frontLabel.text() == "What is ATP?"  # learn-ahead: the again card, nothing else is left


def test_buttons_rate_and_the_day_summary_ends_the_session(qtbot, store: Store) -> None:  # noqa: ANN001
    course_id, _course = stored(store, FRONTS[:2])
    view = open_view(qtbot, store, course_id)
    reviewed: list[int] = []
    view.reviewed.connect(lambda: reviewed.append(1))
    qtbot.mouseClick(view.showAnswerButton, Qt.MouseButton.LeftButton)
    wait_card(qtbot, view, lambda: qtbot.mouseClick(view.rateButtons["easy"], Qt.MouseButton.LeftButton))
    qtbot.mouseClick(view.showAnswerButton, Qt.MouseButton.LeftButton)
    hard = view.findChild(QPushButton, "rateHardButton")
    with qtbot.waitSignal(view.card_shown, timeout=5000):  # the hard card comes back (learn-ahead)
        hard.click()
        hard.click()  # a second click while the first is being saved is ignored
    qtbot.wait(100)
    assert [rating for _front, rating in reviews(store)] == [4, 2]
    assert len(reviewed) == 2
    assert view.frontLabel.text() == "What is NADPH?" and view.showAnswerButton.isVisible()


def test_finished_session_shows_the_day_summary(qtbot, store: Store) -> None:  # noqa: ANN001
    course_id, _course = stored(store, FRONTS[:2])
    view = open_view(qtbot, store, course_id)
    for _ in range(2):
        view.show_answer()
        with qtbot.waitSignal(view.reviewed, timeout=5000):
            view.rateButtons["easy"].click()
            view.rateButtons["easy"].click()  # ignored: one step at a time
    qtbot.waitUntil(lambda: view.pages.currentWidget() is view.summaryPage, timeout=5000)
    assert [rating for _front, rating in reviews(store)] == [4, 4]
    text = view.summaryPage.text()
    assert "finished for now" in text and "<b>2</b> cards" in text and "You knew 100% of your 2 answers" in text
    assert view.findChild(QPushButton, "closeStudyButton").isVisible()
    assert "0 new" in view.countsLabel.text()


def test_new_cards_per_day_limit_applies_in_the_view(qtbot, store: Store) -> None:  # noqa: ANN001
    stored(store)
    view = open_view(qtbot, store, None, StudyConfig(new_per_day=1))
    assert "1 new" in view.countsLabel.text()
    assert "Photosynthesis" in view.courseLabel.text() or "Introduction" in view.courseLabel.text()  # all courses: the course is named
    view.show_answer()
    with qtbot.waitSignal(view.finished, timeout=5000):
        view.rate("easy")
    assert "0 new" in view.countsLabel.text()


def test_course_viewer_study_button_and_view_menu(qtbot, factory) -> None:  # noqa: ANN001
    store = Store.open()
    course_id, course = stored(store)
    store.close()
    window = open_window(qtbot, factory)
    try:
        window.open_course(course_id)
        button = window.courseView.findChild(QPushButton, "studyButton")
        qtbot.waitUntil(lambda: button.text() == "Study (3 due)", timeout=5000)
        assert button.isEnabled()
        button.click()
        view = window.findChild(StudyView)
        assert view is not None and view.isVisible() and view.course_id == course_id
        qtbot.waitUntil(lambda: view.frontLabel.text() == "What is ATP?", timeout=5000)
        view.show_answer()
        with qtbot.waitSignal(view.card_shown, timeout=5000):
            view.rate("easy")
        qtbot.waitUntil(lambda: button.text() == "Study (2 due)", timeout=5000)
        view.close()

        assert window.studyAction.shortcut().toString() == "Ctrl+Shift+S"
        window.studyAction.trigger()
        qtbot.waitUntil(lambda: any(v.isVisible() and v.course_id is None for v in window.findChildren(StudyView)), timeout=5000)
    finally:
        for view in window.findChildren(StudyView):
            view.close()
        close_window(qtbot, window)


def test_quiz_attempts_are_kept_and_lead_to_weak_lessons(qtbot, store: Store) -> None:  # noqa: ANN001
    course_id, course = stored(store)
    view = CourseView()
    qtbot.addWidget(view)
    view.show()
    view.show_job(store, course_id)
    qtbot.waitUntil(lambda: view.outlineTree.topLevelItemCount() > 0, timeout=5000)
    quiz = course.quizzes[0]
    assert view.select("quiz", quiz.module_id)
    widget = view.quizWidget
    for attempt in range(2):
        if attempt:
            widget.nextButton.click()  # "Try again"
        for number, question in enumerate(quiz.questions):
            right = number > 0 or attempt == 1  # the first question is missed in the first attempt
            widget._group.buttons()[question.answer_index if right else (question.answer_index + 1) % len(question.options)].setChecked(True)
            widget.check()
            widget.next()
        qtbot.waitUntil(lambda n=attempt: len(view._loaded.attempts) == n + 1, timeout=5000)  # type: ignore[union-attr]
    assert "Your attempts at this quiz" in widget.historyLabel.text() and widget.historyLabel.isVisible()
    assert widget.stemLabel.text().startswith(f"You scored {len(quiz.questions)} of {len(quiz.questions)} (100%)")  # "Try again" starts from 0
    assert widget.historyLabel.text().count("s</td>") == 2  # each attempt's time is shown
    saved = store._conn.execute("SELECT quiz_key, score, total FROM quiz_attempts ORDER BY id").fetchall()
    assert saved == [(quiz.module_id, len(quiz.questions) - 1, len(quiz.questions)), (quiz.module_id, len(quiz.questions), len(quiz.questions))]

    assert view.select("history")
    history = view.historyWidget
    assert view.pages.currentWidget() is history and history.attemptsTree.topLevelItemCount() == 2
    assert "Explain the light reactions" in history.weakLabel.text()
    review = history.findChild(QPushButton, "reviewLessonsButton")
    assert review.isEnabled()
    review.click()
    first_lesson = course.outline.modules[0].lessons[0]
    assert view.outlineTree.currentItem().text(0) == first_lesson.title
    assert view.pages.currentWidget() is view.lessonBrowser
    assert view._items[first_lesson.id].font(0).bold()


def test_a_card_whose_course_was_deleted_meanwhile_is_skipped(qtbot, store: Store) -> None:  # noqa: ANN001
    gone, _course = store_cards(store, ["What is ATP?"], "Gone")
    store_cards(store, ["What is a stoma?"], "Kept")
    view = open_view(qtbot, store)
    assert view.frontLabel.text() == "What is ATP?"
    store.delete_job(gone)
    view.show_answer()
    with qtbot.waitSignal(view.card_shown, timeout=5000):
        view.rate("good")
    assert view.frontLabel.text() == "What is a stoma?" and not view.errorLabel.isVisible()
    assert reviews(store) == []


def test_with_no_courses_the_view_says_how_to_get_cards(qtbot, store: Store) -> None:  # noqa: ANN001
    view = StudyView(store, StudyConfig())
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.finished, timeout=5000):
        view.show()
    assert "No flashcards yet" in view.summaryPage.text()
    qtbot.keyClick(view, Qt.Key.Key_Space)  # nothing to show: no error, no review
    assert reviews(store) == [] and not view.errorLabel.isVisible()
