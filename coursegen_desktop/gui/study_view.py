"""The Study window: today's due cards, front → Show answer (Space) → rate (1–4), as in Anki.

Every database step (loading the next card, recording a rating, the day's summary) runs on the
background pool (`tasks.run_in_background`): the GUI thread only swaps texts, so reviewing a
thousand cards never blocks it (benchmarks/bench_study.py measures it). One step is in flight
at a time; keys pressed meanwhile are ignored, so a card is never rated twice.
"""

from __future__ import annotations

import html
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.store import Store
from coursegen_desktop.core.study_config import StudyConfig
from coursegen_desktop.gui import tasks

if TYPE_CHECKING:  # imported on the pool thread the first time (fsrs costs ~50 ms to import)
    from coursegen_desktop.core.study import DueCounts, Snapshot, Study, StudyCard
    from coursegen_desktop.core.study_stats import DaySummary

log = logging.getLogger(__name__)

RATING_KEYS = {Qt.Key.Key_1: "again", Qt.Key.Key_2: "hard", Qt.Key.Key_3: "good", Qt.Key.Key_4: "easy"}
COUNT_COLOURS = {"new": "#1a73e8", "learning": "#c5221f", "review": "#188038"}


@dataclass
class Step:
    """One background step's result: the study service, the next card and, when none is left,
    today's summary."""

    study: Study
    snapshot: Snapshot
    summary: DaySummary | None = None


def _open(store: Store, config: StudyConfig, course_id: str | None) -> Step:
    from coursegen_desktop.core.study import Study

    study = Study(store, config)
    return _with_summary(study, study.snapshot(course_id), course_id)


def _grade(study: Study, card_id: str, rating: str, course_id: str | None, duration_ms: int) -> Step:
    return _with_summary(study, study.grade_and_next(card_id, rating, course_id, duration_ms=duration_ms), course_id)


def _with_summary(study: Study, snapshot: Snapshot, course_id: str | None) -> Step:
    if snapshot.card is not None:
        return Step(study, snapshot)
    from coursegen_desktop.core.study_stats import day_summary

    return Step(study, snapshot, day_summary(study.store, course_id=course_id))


def _big(label: QLabel, factor: float) -> QLabel:
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * factor)
    label.setFont(font)
    return label


class StudyView(QWidget):
    """Signals:
    reviewed(): a card was rated (due counts elsewhere are out of date).
    card_shown(): a card's front is on screen and keys are accepted.
    finished(): nothing is left to study now; the day's summary is shown.
    """

    reviewed = Signal()
    card_shown = Signal()
    finished = Signal()

    def __init__(
        self, store: Store, config: StudyConfig, course_id: str | None = None, course_title: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("studyView")
        self.setWindowTitle(f"Study — {course_title}" if course_title else "Study — all courses")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.store, self.config, self.course_id = store, config, course_id
        self._study: Study | None = None
        self._card: StudyCard | None = None
        self._answer_shown = False
        self._busy = False
        self._shown_at = time.monotonic()
        self._build(course_title)
        self.resize(760, 560)
        self.reload()

    # -- layout ---------------------------------------------------------------------------------

    def _build(self, course_title: str) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        header = QHBoxLayout()
        self.titleLabel = _big(QLabel(course_title or "All courses"), 1.25)
        self.titleLabel.setTextFormat(Qt.TextFormat.PlainText)
        self.titleLabel.setObjectName("studyTitleLabel")
        font = self.titleLabel.font()
        font.setBold(True)
        self.titleLabel.setFont(font)
        self.countsLabel = QLabel()
        self.countsLabel.setObjectName("countsLabel")
        self.countsLabel.setTextFormat(Qt.TextFormat.RichText)
        header.addWidget(self.titleLabel, 1)
        header.addWidget(self.countsLabel)
        layout.addLayout(header)

        self.pages = QStackedWidget()
        self.cardPage = QFrame()
        self.cardPage.setObjectName("studyCard")
        self.cardPage.setStyleSheet("#studyCard { border: 1px solid palette(mid); border-radius: 8px; background: palette(base); }")
        card_layout = QVBoxLayout(self.cardPage)
        card_layout.setContentsMargins(28, 16, 28, 24)
        self.courseLabel = QLabel()
        self.courseLabel.setObjectName("cardCourseLabel")
        self.courseLabel.setTextFormat(Qt.TextFormat.PlainText)
        self.courseLabel.setStyleSheet("color: palette(placeholder-text);")
        self.frontLabel = self._card_text("frontLabel", 1.45)
        self.rule = QFrame()
        self.rule.setFrameShape(QFrame.Shape.HLine)
        self.rule.setStyleSheet("color: palette(mid);")
        self.backLabel = self._card_text("backLabel", 1.2)
        card_layout.addWidget(self.courseLabel)
        card_layout.addSpacing(48)  # the front stays put when the answer appears below it (as in Anki)
        card_layout.addWidget(self.frontLabel)
        card_layout.addSpacing(18)
        card_layout.addWidget(self.rule)
        card_layout.addSpacing(18)
        card_layout.addWidget(self.backLabel)
        card_layout.addStretch(1)
        self.summaryPage = QLabel()
        self.summaryPage.setObjectName("summaryLabel")
        self.summaryPage.setTextFormat(Qt.TextFormat.RichText)
        self.summaryPage.setWordWrap(True)
        self.summaryPage.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.summaryPage.setMargin(24)
        self.loadingPage = QLabel("Finding today's cards…")
        self.loadingPage.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loadingPage.setStyleSheet("color: palette(placeholder-text);")
        for page in (self.loadingPage, self.cardPage, self.summaryPage):
            self.pages.addWidget(page)
        layout.addWidget(self.pages, 1)

        self.errorLabel = QLabel()
        self.errorLabel.setObjectName("studyErrorLabel")
        self.errorLabel.setWordWrap(True)
        self.errorLabel.setStyleSheet("color: #d93025;")
        self.errorLabel.hide()
        layout.addWidget(self.errorLabel)

        self.buttons = QStackedWidget()
        self.showAnswerButton = self._button("Show answer", "showAnswerButton", self.show_answer)
        self.showAnswerButton.setToolTip("Space")
        answer_row = QWidget()
        row = QHBoxLayout(answer_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        row.addWidget(self.showAnswerButton, 2)
        row.addStretch(1)
        rating_row = QWidget()
        ratings = QHBoxLayout(rating_row)
        ratings.setContentsMargins(0, 0, 0, 0)
        self.rateButtons: dict[str, QPushButton] = {}
        for number, (name, label) in enumerate((("again", "Again"), ("hard", "Hard"), ("good", "Good"), ("easy", "Easy")), start=1):
            button = self._button(label, f"rate{label}Button", lambda _checked=False, rating=name: self.rate(rating))
            button.setToolTip(f"Key {number}")
            self.rateButtons[name] = button
            ratings.addWidget(button)
        done_row = QWidget()
        done = QHBoxLayout(done_row)
        done.setContentsMargins(0, 0, 0, 0)
        self.againButton = self._button("Check for more cards", "studyAgainButton", self.reload)
        self.closeButton = self._button("Close", "closeStudyButton", self.close)
        for button in (self.againButton, self.closeButton):
            button.setMinimumWidth(180)
        done.addStretch(1)
        done.addWidget(self.againButton)
        done.addWidget(self.closeButton)
        done.addStretch(1)
        for page in (answer_row, rating_row, done_row):
            self.buttons.addWidget(page)
        layout.addSpacing(10)
        layout.addWidget(self.buttons)
        self.hintLabel = QLabel("Space shows the answer · 1 Again · 2 Hard · 3 Good · 4 Easy")
        self.hintLabel.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hintLabel.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.hintLabel)

    @staticmethod
    def _card_text(name: str, factor: float) -> QLabel:
        label = _big(QLabel(), factor)
        label.setObjectName(name)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _button(self, text: str, name: str, slot: object) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space and 1–4 belong to the view, never to a button
        button.setMinimumHeight(44)
        button.clicked.connect(slot)
        return button

    # -- steps ----------------------------------------------------------------------------------

    def reload(self) -> None:
        """Fetch the next card (and the counts) from the database."""
        if self._busy:
            return
        self._set_busy(True)
        tasks.run_in_background(_open, self.store, self.config, self.course_id, on_done=self._step_done, on_error=self._step_failed, owner=self)

    def show_answer(self) -> None:
        if self._card is None or self._answer_shown or self._busy:
            return
        self._answer_shown = True
        self.backLabel.setText(self._card.back)
        self.rule.show()
        self.backLabel.show()
        self.buttons.setCurrentIndex(1)

    def rate(self, rating: str) -> None:
        """Record a rating of the shown card (only once its answer is shown)."""
        card, study = self._card, self._study
        if card is None or study is None or not self._answer_shown or self._busy:
            return
        self._set_busy(True)
        duration_ms = int((time.monotonic() - self._shown_at) * 1000)
        tasks.run_in_background(_grade, study, card.id, rating, self.course_id, duration_ms, on_done=self._rated, on_error=self._step_failed, owner=self)

    def _rated(self, step: Step) -> None:
        self.reviewed.emit()
        self._step_done(step)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for button in (self.showAnswerButton, *self.rateButtons.values(), self.againButton):
            button.setEnabled(not busy)

    def _step_failed(self, error: Exception) -> None:
        self._set_busy(False)
        if isinstance(error, CourseGenError) and error.kind == ErrorKind.NOT_FOUND and self._card is not None:
            self._card = None  # its course was deleted or regenerated meanwhile: go on with the next card
            self.reload()
            return
        sentence = error.message if isinstance(error, CourseGenError) else "The study cards could not be read; details are in the log."
        if not isinstance(error, CourseGenError):
            log.error("a study step failed", exc_info=error)
        self.errorLabel.setText(sentence)
        self.errorLabel.show()
        if self._card is None:
            self.buttons.setCurrentIndex(2)

    def _step_done(self, step: Step) -> None:
        self._study = step.study
        self._set_busy(False)
        self.errorLabel.hide()
        self._show_counts(step.snapshot.counts)
        card = step.snapshot.card
        self._card, self._answer_shown = card, False
        if card is None:
            self._show_summary(step.summary)
            return
        from coursegen_desktop.core.study import format_interval  # already imported by the step

        state = {"new": "New card", "learning": "Learning", "relearning": "Relearning"}.get(card.state, "Review")
        self.courseLabel.setText(state if self.course_id else f"{card.course_title} · {state}")
        self.frontLabel.setText(card.front)
        self.backLabel.clear()
        self.backLabel.hide()
        self.rule.hide()
        for name, button in self.rateButtons.items():
            label = name.capitalize()
            interval = card.intervals.get(name)
            button.setText(f"{label}\n{format_interval(interval)}" if interval is not None else label)
        self.pages.setCurrentWidget(self.cardPage)
        self.buttons.setCurrentIndex(0)
        self.hintLabel.show()
        self._shown_at = time.monotonic()
        self.card_shown.emit()

    def _show_counts(self, counts: DueCounts) -> None:
        parts = [
            f'<span style="color:{COUNT_COLOURS[name]}">{getattr(counts, name)} {name}</span>' for name in ("new", "learning", "review")
        ]
        self.countsLabel.setText(" · ".join(parts))

    def _show_summary(self, summary: DaySummary | None) -> None:
        self.pages.setCurrentWidget(self.summaryPage)
        self.buttons.setCurrentIndex(2)
        self.hintLabel.hide()
        self.summaryPage.setText(summary_html(summary))
        self.finished.emit()

    # -- keys and closing -------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._card is not None:
            self.rate("good") if self._answer_shown else self.show_answer()  # Anki: Space again means Good
        elif key in RATING_KEYS and self._answer_shown:
            self.rate(RATING_KEYS[key])
        elif key == Qt.Key.Key_Escape and self.isWindow():
            self.close()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._card = None  # a step still in flight is delivered to nobody (`owner`)
        super().closeEvent(event)


def summary_html(summary: DaySummary | None) -> str:
    """The day's summary shown when nothing is left to study now."""
    if summary is None or not summary.active_cards:
        return "<h2>No flashcards yet</h2><p>Generate a course: its flashcards come here to be studied.</p>"
    lines = []
    if summary.reviewed:
        minutes = round(summary.seconds / 60)
        spent = "in under a minute" if minutes < 1 else f"in {minutes} min"
        plural = "s" if summary.cards != 1 else ""
        lines.append(f"Today you studied <b>{summary.cards}</b> card{plural} {spent}.")
        if summary.correct_percent is not None:
            lines.append(f"You knew {summary.correct_percent}% of your {summary.reviewed} answer{'s' if summary.reviewed != 1 else ''}.")
        if summary.new_learned:
            lines.append(f"{summary.new_learned} of the cards {'were' if summary.new_learned != 1 else 'was'} new.")
        heading = "Well done — you are finished for now"
    else:
        heading = "Nothing is due right now"
        lines.append("Cards come back here when they are due.")
    if summary.later_today:
        lines.append(f"{summary.later_today} card{'s' if summary.later_today != 1 else ''} you are still learning will come back later today.")
    if summary.due_tomorrow:
        lines.append(f"Tomorrow: <b>{summary.due_tomorrow}</b> card{'s' if summary.due_tomorrow != 1 else ''} due.")
    elif summary.next_due is not None and not summary.later_today:
        lines.append(f"Next review: {html.escape(summary.next_due.astimezone().strftime('%a %d %b, %H:%M'))}.")
    body = "".join(f"<p>{line}</p>" for line in lines)
    return f"<h2>{heading}</h2>{body}"


def open_study_window(
    parent: QWidget, store: Store, config: StudyConfig, course_id: str | None = None, course_title: str = "", on_reviewed: object = None
) -> StudyView:
    """Show the Study window for one course (or all of them); an open one is raised, not doubled."""
    for view in parent.findChildren(StudyView):
        if view.course_id == course_id and view.isVisible():
            view.raise_()
            view.activateWindow()
            return view
    view = StudyView(store, config, course_id, course_title, parent)
    view.setWindowFlag(Qt.WindowType.Window)
    view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if callable(on_reviewed):
        view.reviewed.connect(on_reviewed)
    view.show()
    view.activateWindow()
    view.setFocus()
    return view
