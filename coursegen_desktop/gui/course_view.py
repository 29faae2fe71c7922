"""The course viewer: outline tree, lessons (safe rich text), quiz mode, flashcards, the quiz
history, and a "Study (N due)" button that opens spaced-repetition study of the course.

Lessons show up while the job is still running (each `TopicCompleted` carries its lesson).
Course loading, markdown rendering, recording quiz attempts and counting due cards happen off
the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QPoint, QUrl, Qt, Signal
from PySide6.QtGui import QColor, QDesktopServices, QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coursegen_desktop.core.events import Event, JobCompleted, TopicCompleted
from coursegen_desktop.core.models import Course, Lesson, Outline
from coursegen_desktop.core.quiz_history import EXAM_KEY, QuizAttempt, attempts, record_attempt
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.settings import Settings

if TYPE_CHECKING:
    from coursegen_desktop.gui.quiz_history_view import QuizHistoryWidget
    from coursegen_desktop.gui.study_widgets import FlashcardsWidget, QuizWidget

PageT = TypeVar("PageT", bound=QWidget)

REVIEW_TIP = "Review this lesson: it teaches one of your weakest objectives in the quizzes"
KIND_ROLE = Qt.ItemDataRole.UserRole + 1  # ("overview" | "lesson" | "quiz" | "exam" | "flashcards", key)


def render_markdown(markdown: str) -> str:
    """Lesson markdown to HTML through the exporters' one renderer: raw HTML escaped and every
    URL through its allow-list. Imported when first used (off the GUI thread); if it cannot be
    imported the lesson is not shown, never rendered without the allow-list."""
    from coursegen_desktop.core.export.markdown_render import render_markdown_safe

    return render_markdown_safe(markdown)


@dataclass
class LoadedCourse:
    """What the viewer shows for one job: the finished course, or the parts saved so far."""

    job_id: str
    course: Course | None = None
    outline: Outline | None = None
    lessons: dict[str, Lesson] = field(default_factory=dict)
    html: dict[str, str] = field(default_factory=dict)
    attempts: list[QuizAttempt] = field(default_factory=list)  # newest first


def load_course(store: Store, job_id: str) -> LoadedCourse:
    """Read a job's course (or partial parts) and pre-render its lessons; runs off the GUI thread.
    A regenerate job shows the course it rewrote a part of."""
    rewrite = store.regeneration(job_id)
    job_id = rewrite[0] if rewrite else job_id
    course = store.get_course(job_id)
    if course is not None:
        loaded = LoadedCourse(job_id, course, course.outline, {lesson.id: lesson for lesson in course.lessons})
    else:
        saved = store.saved_parts(job_id)
        loaded = LoadedCourse(job_id, None, saved.outline, dict(saved.lessons))
    loaded.html = {lesson_id: render_markdown(lesson.markdown) for lesson_id, lesson in loaded.lessons.items()}
    if course is not None:
        loaded.attempts = attempts(store, job_id)
    return loaded


def due_count(store: Store, settings: Settings, course_id: str) -> int:
    """How many of a course's cards are left to study today; runs off the GUI thread."""
    from coursegen_desktop.core.study import Study

    return Study(store, settings.study).counts(course_id=course_id).total


def save_attempt(store: Store, course_id: str, attempt: dict[str, object]) -> QuizAttempt:
    return record_attempt(store, course_id, str(attempt["quiz_key"]), str(attempt["quiz_title"]), attempt["answers"], attempt["started_at"], attempt["finished_at"])  # type: ignore[arg-type]


class SafeTextBrowser(QTextBrowser):
    """Shows generated HTML without ever fetching anything: no images or style sheets from the
    network or disk, no link followed inside the view; http(s) links open in the browser only
    when clicked, every other scheme (javascript:, file:, …) is inert."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._open_link)

    def loadResource(self, kind: int, url: QUrl) -> object:  # noqa: ARG002 - Qt override
        return None

    @staticmethod
    def _open_link(url: QUrl) -> None:
        if url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)


class CourseView(QWidget):
    """Outline on the left; the selected lesson, quiz or flashcards on the right.

    Signals:
        export_requested(str): the user asked to export the course of this job id.
        study_requested(str, str): the user asked to study this job id's cards (id, course title).
        regenerate_requested(str, str): job id and part (`m1-l2`, `quiz:m1`, `exam`, `flashcards`)
            the user asked to write again (right-click on the part).
    """

    export_requested = Signal(str)
    study_requested = Signal(str, str)
    regenerate_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CourseView")
        self._store: Store | None = None
        self._loaded: LoadedCourse | None = None
        self._items: dict[str, QTreeWidgetItem] = {}  # lesson id -> tree item
        self._to_review: set[str] = set()  # lesson ids the quiz history asked to review
        self._build()
        self.clear()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        self.titleLabel = QLabel()
        self.titleLabel.setTextFormat(Qt.TextFormat.PlainText)
        font = self.titleLabel.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.titleLabel.setFont(font)
        self.exportButton = QPushButton("Export…")
        self.exportButton.setObjectName("exportButton")
        self.exportButton.clicked.connect(self._export_clicked)
        self.studyButton = QPushButton("Study")
        self.studyButton.setObjectName("studyButton")
        self.studyButton.setToolTip("Review this course's flashcards that are due today (spaced repetition)")
        self.studyButton.clicked.connect(self._study_clicked)
        header.addWidget(self.titleLabel, 1)
        header.addWidget(self.studyButton)
        header.addWidget(self.exportButton)
        layout.addLayout(header)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.outlineTree = QTreeWidget()
        self.outlineTree.setObjectName("outlineTree")
        self.outlineTree.setHeaderHidden(True)
        self.outlineTree.currentItemChanged.connect(self._item_changed)
        self.outlineTree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.outlineTree.customContextMenuRequested.connect(self._tree_menu)
        self.pages = QStackedWidget()
        self.lessonBrowser = SafeTextBrowser()
        self.lessonBrowser.setObjectName("lessonBrowser")
        self.lessonBrowser.document().setDocumentMargin(18)
        self.lessonBrowser.document().setDefaultStyleSheet(
            "h1 { font-size: xx-large; margin-bottom: 10px; } h2 { font-size: x-large; margin-top: 18px; } "
            "h3 { font-size: large; margin-top: 12px; } p, li { line-height: 130%; } "
            "pre, code { font-family: monospace; } blockquote { color: #555; margin-left: 12px; }"
        )
        self.pages.addWidget(self.lessonBrowser)  # the quiz, flashcard and history pages come when first shown
        self.splitter.addWidget(self.outlineTree)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([280, 620])
        layout.addWidget(self.splitter, 1)

    # -- pages made on first use: the window opens sooner and smaller without them --------------

    @cached_property
    def quizWidget(self) -> QuizWidget:  # noqa: N802 - the object name tests and checks use
        from coursegen_desktop.gui.study_widgets import QuizWidget

        return self._page(QuizWidget(), lambda widget: widget.attempt_finished.connect(self._attempt_finished))

    @cached_property
    def flashcardsWidget(self) -> FlashcardsWidget:  # noqa: N802
        from coursegen_desktop.gui.study_widgets import FlashcardsWidget

        return self._page(FlashcardsWidget())

    @cached_property
    def historyWidget(self) -> QuizHistoryWidget:  # noqa: N802
        from coursegen_desktop.gui.quiz_history_view import QuizHistoryWidget

        return self._page(QuizHistoryWidget(), lambda widget: widget.review_lessons_requested.connect(self.review_lessons))

    def _page(self, widget: PageT, connect: Callable[[PageT], object] = lambda widget: None) -> PageT:
        connect(widget)
        self.pages.addWidget(widget)
        return widget

    def part_menu(self, item: QTreeWidgetItem | None) -> QMenu | None:
        """The right-click menu of a part of a finished course (None for other items)."""
        loaded = self._loaded
        if item is None or loaded is None or loaded.course is None:
            return None
        kind, key = item.data(0, KIND_ROLE)
        part = {"lesson": key, "quiz": f"quiz:{key}", "exam": "exam", "flashcards": "flashcards"}.get(kind)
        if part is None:
            return None
        menu = QMenu(self)
        action = menu.addAction("Regenerate…")
        action.setObjectName("regenerateAction")
        action.setToolTip("Write this part again, optionally with an instruction; the current version is kept.")
        action.triggered.connect(lambda: self.regenerate_requested.emit(loaded.job_id, part))
        return menu

    def _tree_menu(self, pos: QPoint) -> None:
        menu = self.part_menu(self.outlineTree.itemAt(pos))
        if menu is not None:
            menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            menu.popup(self.outlineTree.viewport().mapToGlobal(pos))

    def _export_clicked(self) -> None:
        if self._loaded is not None:
            self.export_requested.emit(self._loaded.job_id)

    def _study_clicked(self) -> None:
        loaded = self._loaded
        if loaded is not None and loaded.course is not None:
            self.study_requested.emit(loaded.job_id, loaded.course.title)

    def refresh_study_count(self) -> None:
        """Show how many of this course's cards are due (counted off the GUI thread)."""
        loaded = self._loaded
        if loaded is None or loaded.course is None or self._store is None:
            return
        tasks.run_in_background(
            due_count, self._store, Settings(), loaded.job_id,
            on_done=lambda count, job_id=loaded.job_id: self._show_study_count(job_id, count), on_error=lambda _e: None, owner=self,
        )

    def _show_study_count(self, job_id: str, count: int) -> None:
        if self.job_id == job_id:
            self.studyButton.setText(f"Study ({count} due)")

    # -- quiz attempts ----------------------------------------------------------------------------

    def _attempt_finished(self, attempt: dict[str, object]) -> None:
        loaded = self._loaded
        if loaded is None or loaded.course is None or self._store is None:
            return
        tasks.run_in_background(
            save_attempt, self._store, loaded.job_id, attempt,
            on_done=lambda saved: self._attempt_saved(loaded, saved), on_error=self._attempt_failed, owner=self,
        )

    def _attempt_saved(self, loaded: LoadedCourse, saved: QuizAttempt) -> None:
        loaded.attempts.insert(0, saved)
        if loaded is self._loaded and loaded.course is not None:
            history_item = self._find(("history", ""))
            if history_item is not None:
                history_item.setText(0, f"Quiz history ({len(loaded.attempts)})")
            self.historyWidget.show_history(loaded.course, loaded.attempts)
            if self.quizWidget.quiz_key == saved.quiz_key:
                self.quizWidget.show_history([a for a in loaded.attempts if a.quiz_key == saved.quiz_key])

    def _attempt_failed(self, error: Exception) -> None:
        from html import escape  # with the first course shown, not before the window's first paint

        message = getattr(error, "message", "This attempt could not be saved; details are in the log.")
        self.quizWidget.historyLabel.setText(f"<p style='color:#d93025'>{escape(message)}</p>")
        self.quizWidget.historyLabel.show()

    def review_lessons(self, lesson_ids: list[str]) -> None:
        """Mark the lessons to review in the outline and open the first of them."""
        self._to_review = set(lesson_ids)
        for lesson_id, item in self._items.items():
            self._mark_review(item, lesson_id in self._to_review)
        if lesson_ids and lesson_ids[0] in self._items:
            self.outlineTree.setCurrentItem(self._items[lesson_ids[0]])

    @staticmethod
    def _mark_review(item: QTreeWidgetItem, review: bool) -> None:
        font = QFont(item.font(0))
        font.setBold(review)
        item.setFont(0, font)
        if review:
            item.setToolTip(0, REVIEW_TIP)
        elif item.toolTip(0) == REVIEW_TIP:
            item.setToolTip(0, "")

    # -- loading ------------------------------------------------------------------------------------

    def clear(self) -> None:
        self._loaded = None
        self._items.clear()
        self._to_review.clear()
        self.outlineTree.clear()
        self.titleLabel.setText("")
        self.exportButton.setEnabled(False)
        self.studyButton.setEnabled(False)
        self.studyButton.setText("Study")
        self.pages.setCurrentWidget(self.lessonBrowser)
        self.lessonBrowser.setHtml(
            "<p style='color:#666'>Choose a course in the history (double-click it), or generate a new one.</p>"
        )

    @property
    def job_id(self) -> str | None:
        return self._loaded.job_id if self._loaded else None

    def show_job(self, store: Store, job_id: str) -> None:
        """Show a job's course (or what is written so far); loads off the GUI thread."""
        self._store = store
        self.titleLabel.setText("Loading…")
        tasks.run_in_background(load_course, store, job_id, on_done=self._show_loaded, on_error=self._load_failed, owner=self)

    def _load_failed(self, error: Exception) -> None:
        self.titleLabel.setText("")
        self.lessonBrowser.setPlainText(getattr(error, "message", "This course could not be read from the history."))

    def _show_loaded(self, loaded: LoadedCourse) -> None:
        previous = self._loaded
        if previous is not None and previous.job_id == loaded.job_id:  # keep lessons that arrived live meanwhile
            for lesson_id, lesson in previous.lessons.items():
                loaded.lessons.setdefault(lesson_id, lesson)
                if lesson_id in previous.html:
                    loaded.html.setdefault(lesson_id, previous.html[lesson_id])
        if previous is None or previous.job_id != loaded.job_id:
            self._to_review.clear()
        self._loaded = loaded
        self._populate()
        self.refresh_study_count()

    def on_event(self, event: Event) -> None:
        """Follow the shown job: new lessons appear at once, a finished job reloads in full."""
        loaded = self._loaded
        if loaded is None or event.job_id != loaded.job_id or self._store is None:
            return
        if isinstance(event, TopicCompleted):
            loaded.lessons[event.lesson_id] = event.lesson
            tasks.run_in_background(render_markdown, event.lesson.markdown, on_done=lambda text: self._lesson_rendered(loaded, event.lesson_id, text), owner=self)
            if loaded.outline is None:
                self.show_job(self._store, loaded.job_id)
        elif isinstance(event, JobCompleted):
            self.show_job(self._store, loaded.job_id)

    def _lesson_rendered(self, loaded: LoadedCourse, lesson_id: str, text: str) -> None:
        loaded.html[lesson_id] = text
        if loaded is not self._loaded:
            return
        item = self._items.get(lesson_id)
        if item is not None:
            self._mark_written(item, True)
            if self.outlineTree.currentItem() is item:
                self._item_changed(item)

    # -- the outline tree -----------------------------------------------------------------------------

    def _populate(self) -> None:
        loaded = self._loaded
        assert loaded is not None
        current = self.outlineTree.currentItem()
        current_key = current.data(0, KIND_ROLE) if current else None
        self.outlineTree.clear()
        self._items.clear()
        course, outline = loaded.course, loaded.outline
        title = course.title if course else (outline.title if outline else "")
        self.titleLabel.setText(title if course else f"{title or 'Course'} (being written)")
        self.exportButton.setEnabled(course is not None)
        self.studyButton.setEnabled(course is not None and bool(course.flashcards))
        if outline is None:
            self.lessonBrowser.setPlainText("The outline is not ready yet; lessons will appear here as they are written.")
            return
        overview = QTreeWidgetItem([title])
        overview.setData(0, KIND_ROLE, ("overview", ""))
        bold = QFont(overview.font(0))
        bold.setBold(True)
        overview.setFont(0, bold)
        self.outlineTree.addTopLevelItem(overview)
        for number, module in enumerate(outline.modules, 1):
            module_item = QTreeWidgetItem([f"{number}. {module.title}"])
            module_item.setData(0, KIND_ROLE, ("module", module.id))
            self.outlineTree.addTopLevelItem(module_item)
            for lesson in module.lessons:
                item = QTreeWidgetItem([lesson.title])
                item.setData(0, KIND_ROLE, ("lesson", lesson.id))
                self._mark_written(item, lesson.id in loaded.html)
                self._mark_review(item, lesson.id in self._to_review)
                module_item.addChild(item)
                self._items[lesson.id] = item
            if course is not None and course.quiz_for(module.id):
                quiz_item = QTreeWidgetItem(["Quiz"])
                quiz_item.setData(0, KIND_ROLE, ("quiz", module.id))
                module_item.addChild(quiz_item)
            module_item.setExpanded(True)
        if course is not None:
            attempts_label = f"Quiz history ({len(loaded.attempts)})" if loaded.attempts else "Quiz history"
            for label, kind in ((f"Practice exam ({len(course.exam.questions)} questions)", "exam"), (f"Flashcards ({len(course.flashcards)})", "flashcards"), (attempts_label, "history")):
                item = QTreeWidgetItem([label])
                item.setData(0, KIND_ROLE, (kind, ""))
                self.outlineTree.addTopLevelItem(item)
        self.outlineTree.setCurrentItem(self._find(current_key) or overview)

    def _find(self, key: object) -> QTreeWidgetItem | None:
        if key is None:
            return None
        iterator = [self.outlineTree.topLevelItem(i) for i in range(self.outlineTree.topLevelItemCount())]
        while iterator:
            item = iterator.pop(0)
            if item.data(0, KIND_ROLE) == key:
                return item
            iterator.extend(item.child(i) for i in range(item.childCount()))
        return None

    @staticmethod
    def _mark_written(item: QTreeWidgetItem, written: bool) -> None:
        if written:
            item.setData(0, Qt.ItemDataRole.ForegroundRole, None)
        else:
            item.setForeground(0, QColor("#8a8a8a"))
        item.setToolTip(0, "" if written else "Being written…")

    def select(self, kind: str, key: str = "") -> bool:
        """Show a part of the course (used by tests and the screenshots script)."""
        item = self._find((kind, key))
        if item is not None:
            self.outlineTree.setCurrentItem(item)
        return item is not None

    def _item_changed(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None = None) -> None:
        loaded = self._loaded
        if item is None or loaded is None:
            return
        from html import escape

        kind, key = item.data(0, KIND_ROLE)
        course = loaded.course
        if kind == "lesson":
            text = loaded.html.get(key)
            self.pages.setCurrentWidget(self.lessonBrowser)
            title = escape(item.text(0))
            if text is None:
                self.lessonBrowser.setHtml(f"<h1>{title}</h1><p style='color:#666'>This lesson is being written…</p>")
            else:
                self.lessonBrowser.setHtml(f"<h1>{title}</h1>{text}")
        elif kind == "quiz" and course is not None and (quiz := course.quiz_for(key)):
            self._start_quiz(quiz.title, quiz.questions, key)
        elif kind == "exam" and course is not None:
            self._start_quiz(course.exam.title, course.exam.questions, EXAM_KEY)
        elif kind == "history" and course is not None:
            self.historyWidget.show_history(course, loaded.attempts)
            self.pages.setCurrentWidget(self.historyWidget)
        elif kind == "flashcards" and course is not None:
            self.flashcardsWidget.start(course.flashcards)
            self.pages.setCurrentWidget(self.flashcardsWidget)
        else:
            self.pages.setCurrentWidget(self.lessonBrowser)
            self.lessonBrowser.setHtml(self._overview_html(kind, key))

    def _start_quiz(self, title: str, questions: list, key: str) -> None:  # type: ignore[type-arg]
        loaded = self._loaded
        assert loaded is not None
        self.quizWidget.start(title, questions, key)
        self.quizWidget.show_history([attempt for attempt in loaded.attempts if attempt.quiz_key == key])
        self.pages.setCurrentWidget(self.quizWidget)

    def _overview_html(self, kind: str, key: str) -> str:
        from html import escape

        loaded = self._loaded
        assert loaded is not None and loaded.outline is not None
        outline = loaded.outline
        if kind == "module":
            module = next(m for m in outline.modules if m.id == key)
            items = "".join(f"<li>{escape(lesson.title)}</li>" for lesson in module.lessons)
            return f"<h1>{escape(module.title)}</h1><p>{escape(module.summary)}</p><ol>{items}</ol>"
        objectives = "".join(f"<li>{escape(objective.text)}</li>" for objective in outline.objectives)
        written = len(loaded.html)
        total = len(outline.lesson_plans())
        state = "" if loaded.course else f"<p><i>{written} of {total} lessons written so far.</i></p>"
        parts = [f"<h1>{escape(outline.title)}</h1>", state, f"<p>{escape(outline.description)}</p>"]
        if objectives:
            parts.append(f"<h2>What you will be able to do</h2><ul>{objectives}</ul>")
        return "".join(parts)
