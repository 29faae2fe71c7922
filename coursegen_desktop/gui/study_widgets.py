"""Quiz mode and flashcards: the two interactive pages of the course viewer."""

from __future__ import annotations

import html
import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from coursegen_desktop.core.models import Flashcard, Question
from coursegen_desktop.core.quiz_history import QuizAnswer, QuizAttempt
from coursegen_desktop.gui.job_state import format_duration


def _heading(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.3)
    font.setBold(True)
    label.setFont(font)
    label.setWordWrap(True)
    return label


class QuizWidget(QWidget):
    """One question at a time: choose an answer, Check, read the explanation, Next; then a score.

    Signals:
        attempt_finished(object): a finished attempt, a dict with quiz_key, quiz_title,
            answers (list of `QuizAnswer`), started_at and finished_at (epoch seconds).
    """

    attempt_finished = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quizWidget")
        self._questions: list[Question] = []
        self._index = 0
        self._score = 0
        self._checked = False
        self._key = ""
        self._title = ""
        self._answers: list[QuizAnswer] = []
        self._started_at = time.time()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        self.titleLabel = _heading()
        self.counterLabel = QLabel()
        self.counterLabel.setObjectName("quizCounterLabel")
        self.stemLabel = QLabel()
        self.stemLabel.setObjectName("stemLabel")
        self.stemLabel.setWordWrap(True)
        self.stemLabel.setTextFormat(Qt.TextFormat.PlainText)
        font = self.stemLabel.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.stemLabel.setFont(font)
        self._options_box = QVBoxLayout()
        self._group = QButtonGroup(self)
        self._group.idToggled.connect(lambda *_: self.checkButton.setEnabled(not self._checked))
        self.feedbackLabel = QLabel()
        self.feedbackLabel.setObjectName("feedbackLabel")
        self.feedbackLabel.setWordWrap(True)
        self.feedbackLabel.setTextFormat(Qt.TextFormat.RichText)
        self.scoreLabel = QLabel()
        self.scoreLabel.setObjectName("scoreLabel")
        self.historyLabel = QLabel()
        self.historyLabel.setObjectName("quizHistoryLabel")
        self.historyLabel.setWordWrap(True)
        self.historyLabel.setTextFormat(Qt.TextFormat.RichText)
        self.historyLabel.hide()
        self.checkButton = QPushButton("Check answer")
        self.checkButton.setObjectName("checkButton")
        self.checkButton.clicked.connect(self.check)
        self.nextButton = QPushButton("Next question")
        self.nextButton.setObjectName("nextButton")
        self.nextButton.clicked.connect(self.next)
        buttons = QHBoxLayout()
        buttons.addWidget(self.scoreLabel, 1)
        buttons.addWidget(self.checkButton)
        buttons.addWidget(self.nextButton)
        layout.addWidget(self.titleLabel)
        layout.addWidget(self.counterLabel)
        layout.addSpacing(8)
        layout.addWidget(self.stemLabel)
        layout.addLayout(self._options_box)
        layout.addSpacing(8)
        layout.addWidget(self.feedbackLabel)
        layout.addWidget(self.historyLabel)
        layout.addStretch(1)
        layout.addLayout(buttons)

    def start(self, title: str, questions: list[Question], key: str = "") -> None:
        """Start a quiz; `key` (a module id, or "exam") names it in the attempt history."""
        self.titleLabel.setText(title)
        self._key, self._title = key, title
        self._questions, self._index, self._score = list(questions), 0, 0
        self._show_question()

    @property
    def quiz_key(self) -> str:
        return self._key

    def show_history(self, attempts: list[QuizAttempt]) -> None:
        """Past attempts of this quiz, newest first, under the score."""
        if not attempts:
            self.historyLabel.clear()
            self.historyLabel.hide()
            return
        rows = "".join(
            f"<tr><td>{attempt.finished_at.astimezone():%d %b %Y, %H:%M}</td><td align='right'>&nbsp;&nbsp;{attempt.score} of {attempt.total}</td>"
            f"<td align='right'>&nbsp;&nbsp;{attempt.percent}%</td><td align='right'>&nbsp;&nbsp;{html.escape(format_duration(attempt.seconds))}</td></tr>"
            for attempt in attempts[:8]
        )
        self.historyLabel.setText(f"<p><b>Your attempts at this quiz</b></p><table>{rows}</table>")
        self.historyLabel.setVisible(self._index < 0)

    def _show_question(self) -> None:
        for button in self._group.buttons():
            self._group.removeButton(button)
            button.deleteLater()
        self._checked = False
        self.feedbackLabel.clear()
        if self._index == 0:  # a new attempt (also after "Try again")
            self._answers, self._started_at, self._score = [], time.time(), 0
            self.historyLabel.hide()
        if self._index >= len(self._questions):
            self._show_score()
            return
        question = self._questions[self._index]
        self.counterLabel.setText(f"Question {self._index + 1} of {len(self._questions)}")
        self.stemLabel.setText(question.stem)
        self.stemLabel.show()
        for number, option in enumerate(question.options):
            button = QRadioButton(option)
            button.setObjectName(f"option{number}")
            self._group.addButton(button, number)
            self._options_box.addWidget(button)
        self.checkButton.show()
        self.checkButton.setEnabled(False)
        self.nextButton.setText("Next question" if self._index + 1 < len(self._questions) else "See score")
        self.nextButton.setEnabled(False)
        self.scoreLabel.setText(f"Score so far: {self._score}")

    def check(self) -> None:
        """Mark the chosen answer and show the explanation."""
        chosen = self._group.checkedId()
        if chosen < 0 or self._checked:
            return
        question = self._questions[self._index]
        self._checked = True
        right = chosen == question.answer_index
        self._score += right
        self._answers.append(QuizAnswer(question.id, question.stem, question.objective_id, chosen, right))
        for number, button in enumerate(self._group.buttons()):
            button.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)  # locked, still readable
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            if number == question.answer_index:
                button.setStyleSheet("color: #188038; font-weight: bold;")
            elif number == chosen:
                button.setStyleSheet("color: #d93025; text-decoration: line-through;")
        verdict = "Correct." if right else f"Not quite: the answer is “{html.escape(question.answer)}”."
        colour = "#188038" if right else "#d93025"
        explanation = f"<br>{html.escape(question.explanation)}" if question.explanation else ""
        self.feedbackLabel.setText(f'<b style="color:{colour}">{verdict}</b>{explanation}')
        self.checkButton.setEnabled(False)
        self.nextButton.setEnabled(True)
        self.scoreLabel.setText(f"Score so far: {self._score}")

    def next(self) -> None:
        self._index += 1
        self._show_question()

    def _show_score(self) -> None:
        total = len(self._questions)
        percent = round(100 * self._score / total) if total else 0
        self.counterLabel.setText("Finished")
        self.stemLabel.setText(f"You scored {self._score} of {total} ({percent}%).")
        self.scoreLabel.setText("")
        self.checkButton.hide()
        self.nextButton.setText("Try again")
        self.nextButton.setEnabled(True)
        self._index = -1  # the next "Next" starts over
        self.historyLabel.setVisible(bool(self.historyLabel.text()))
        if self._answers:
            self.attempt_finished.emit({
                "quiz_key": self._key, "quiz_title": self._title, "answers": list(self._answers),
                "started_at": self._started_at, "finished_at": time.time(),
            })


class FlashcardsWidget(QWidget):
    """A deck of cards: Flip shows the back; Previous / Next move through the deck."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("flashcardsWidget")
        self._cards: list[Flashcard] = []
        self._index = 0
        self._back = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        self.titleLabel = _heading("Flashcards")
        self.counterLabel = QLabel()
        self.card = QFrame()
        self.card.setObjectName("flashcard")
        self.card.setFrameShape(QFrame.Shape.StyledPanel)
        self.card.setMinimumHeight(180)
        self.card.setStyleSheet("#flashcard { border: 1px solid palette(mid); border-radius: 8px; background: palette(base); }")
        card_layout = QVBoxLayout(self.card)
        self.sideLabel = QLabel()
        self.sideLabel.setStyleSheet("color: palette(placeholder-text);")
        self.textLabel = QLabel()
        self.textLabel.setObjectName("cardTextLabel")
        self.textLabel.setWordWrap(True)
        self.textLabel.setTextFormat(Qt.TextFormat.PlainText)
        self.textLabel.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.textLabel.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.textLabel.setFont(font)
        card_layout.addWidget(self.sideLabel)
        card_layout.addWidget(self.textLabel, 1)
        self.prevButton = QPushButton("Previous")
        self.prevButton.clicked.connect(lambda: self._move(-1))
        self.flipButton = QPushButton("Flip")
        self.flipButton.setObjectName("flipButton")
        self.flipButton.clicked.connect(self.flip)
        self.nextButton = QPushButton("Next")
        self.nextButton.clicked.connect(lambda: self._move(1))
        buttons = QHBoxLayout()
        buttons.addWidget(self.prevButton)
        buttons.addStretch(1)
        buttons.addWidget(self.flipButton)
        buttons.addStretch(1)
        buttons.addWidget(self.nextButton)
        layout.addWidget(self.titleLabel)
        layout.addWidget(self.counterLabel)
        layout.addWidget(self.card, 1)
        layout.addLayout(buttons)

    def start(self, cards: list[Flashcard]) -> None:
        self._cards, self._index, self._back = list(cards), 0, False
        self._render()

    def flip(self) -> None:
        self._back = not self._back
        self._render()

    def _move(self, step: int) -> None:
        if self._cards:
            self._index = (self._index + step) % len(self._cards)
            self._back = False
            self._render()

    def _render(self) -> None:
        if not self._cards:
            self.counterLabel.setText("This course has no flashcards.")
            self.textLabel.clear()
            self.sideLabel.clear()
            return
        card = self._cards[self._index]
        self.counterLabel.setText(f"Card {self._index + 1} of {len(self._cards)}")
        self.sideLabel.setText("Answer" if self._back else "Question")
        self.textLabel.setText(card.back if self._back else card.front)
        self.flipButton.setText("Show question" if self._back else "Show answer")
