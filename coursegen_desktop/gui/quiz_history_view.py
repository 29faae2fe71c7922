"""The course viewer's "Quiz history" page: every attempt of every quiz, and the objectives
answered worst across them, with a button that leads to the lessons that teach them."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coursegen_desktop.core.models import Course
from coursegen_desktop.core.quiz_history import QuizAttempt, weakest_objectives
from coursegen_desktop.gui.job_state import format_duration
from coursegen_desktop.gui.widgets import muted


def _heading(text: str, factor: float = 1.0) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * factor)
    label.setFont(font)
    return label


class QuizHistoryWidget(QWidget):
    """Signals:
    review_lessons_requested(object): the list of lesson ids that teach the weakest objectives.
    """

    review_lessons_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quizHistoryWidget")
        self._lesson_ids: list[str] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.addWidget(_heading("Quiz history", 1.3))
        self.emptyLabel = QLabel("No quiz attempts yet. Take a module quiz or the practice exam: every attempt is kept here.")
        self.emptyLabel.setWordWrap(True)
        muted(self.emptyLabel)
        layout.addWidget(self.emptyLabel)

        self.weakBox = QWidget()
        weak = QVBoxLayout(self.weakBox)
        weak.setContentsMargins(0, 6, 0, 6)
        weak.addWidget(_heading("Weakest objectives"))
        self.weakLabel = QLabel()
        self.weakLabel.setObjectName("weakObjectivesLabel")
        self.weakLabel.setTextFormat(Qt.TextFormat.RichText)
        self.weakLabel.setWordWrap(True)
        weak.addWidget(self.weakLabel)
        row = QHBoxLayout()
        self.reviewButton = QPushButton("Review these lessons")
        self.reviewButton.setObjectName("reviewLessonsButton")
        self.reviewButton.clicked.connect(lambda: self.review_lessons_requested.emit(list(self._lesson_ids)))
        row.addWidget(self.reviewButton)
        row.addStretch(1)
        weak.addLayout(row)
        layout.addWidget(self.weakBox)

        self.attemptsTitle = _heading("Attempts")
        layout.addWidget(self.attemptsTitle)
        self.attemptsTree = QTreeWidget()
        self.attemptsTree.setObjectName("attemptsTree")
        self.attemptsTree.setRootIsDecorated(False)
        self.attemptsTree.setHeaderLabels(["Quiz", "When", "Score", "Time"])
        self.attemptsTree.setAlternatingRowColors(True)
        header = self.attemptsTree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.attemptsTree, 1)

    def show_history(self, course: Course, attempts: list[QuizAttempt]) -> None:
        """Fill the page from a course's attempts (newest first)."""
        self.attemptsTree.clear()
        for attempt in attempts:
            item = QTreeWidgetItem([
                attempt.quiz_title,
                f"{attempt.finished_at.astimezone():%d %b %Y, %H:%M}",
                f"{attempt.score} of {attempt.total} ({attempt.percent}%)",
                format_duration(attempt.seconds),
            ])
            item.setToolTip(0, attempt.quiz_title)
            for column in (2, 3):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.attemptsTree.addTopLevelItem(item)
        has_attempts = bool(attempts)
        self.emptyLabel.setVisible(not has_attempts)
        self.attemptsTitle.setVisible(has_attempts)
        self.attemptsTree.setVisible(has_attempts)

        weak = weakest_objectives(course, attempts)
        titles = {lesson.id: lesson.title for lesson in course.lessons}
        self._lesson_ids = list(dict.fromkeys(lesson_id for objective in weak for lesson_id in objective.lesson_ids))
        items = []
        for objective in weak:
            lessons = ", ".join(html.escape(titles.get(lesson_id, lesson_id)) for lesson_id in objective.lesson_ids) or "no lesson names it"
            items.append(
                f"<li><b>{html.escape(objective.text)}</b> — {objective.right} of {objective.asked} right ({objective.percent}%)"
                f"<br><span style='color:#666'>Lessons: {lessons}</span></li>"
            )
        self.weakLabel.setText(f"<ol>{''.join(items)}</ol>" if items else "")
        self.weakBox.setVisible(bool(items))
        self.reviewButton.setEnabled(bool(self._lesson_ids))
