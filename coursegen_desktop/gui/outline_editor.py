"""The outline editor: review a job's outline before its lessons are written.

Rename modules and lessons (in the tree or in the fields), edit summaries and objectives, choose
which objectives a lesson teaches, reorder, add and remove lessons; then Approve (the lessons
are written from exactly this outline) or Regenerate outline with an optional instruction. The
editor only edits: it emits the outline or the instruction, and the window's steering
controller saves it and continues the job off the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coursegen_desktop.core.models import BloomLevel, LessonPlan, ModulePlan, Objective, Outline
from coursegen_desktop.core.outline_review import outline_problems
from coursegen_desktop.gui.widgets import ERROR_COLOUR, coloured

DATA = Qt.ItemDataRole.UserRole + 1  # {"kind": "module"|"lesson", "id": …, "summary": …, "objective_ids": […]}


class OutlineEditor(QDialog):
    """Signals:
    approved(object): the edited `Outline`, valid, to write the lessons from.
    regenerate_requested(str): the user rejected the outline; the instruction ("" for none).
    """

    approved = Signal(object)
    regenerate_requested = Signal(str)

    def __init__(self, job_id: str, topic: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outlineEditor")
        self.job_id = job_id
        self.setWindowTitle(f"Review the outline — {topic}")
        self._objectives: list[Objective] = []
        self._description = ""
        self._loading = False
        self._build()
        self.resize(900, 600)
        self.set_busy(True, "Loading the outline…")

    # -- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QFormLayout()
        self.courseTitleEdit = QLineEdit()
        self.courseTitleEdit.setObjectName("courseTitleEdit")
        top.addRow("Course &title:", self.courseTitleEdit)
        layout.addLayout(top)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.tree = QTreeWidget()
        self.tree.setObjectName("outlineEditorTree")
        self.tree.setHeaderHidden(True)
        self.tree.currentItemChanged.connect(self._selected)
        left_layout.addWidget(self.tree, 1)
        moves = QHBoxLayout()
        self.moveUpButton = self._button("Move up", "moveUpButton", lambda: self.move_current(-1), moves)
        self.moveDownButton = self._button("Move down", "moveDownButton", lambda: self.move_current(1), moves)
        self.addLessonButton = self._button("Add lesson", "addLessonButton", self.add_lesson, moves)
        self.removeLessonButton = self._button("Remove lesson", "removeLessonButton", self.remove_current, moves)
        left_layout.addLayout(moves)
        splitter.addWidget(left)

        right = QWidget()
        fields = QFormLayout(right)
        self.itemTitleEdit = QLineEdit()
        self.itemTitleEdit.setObjectName("itemTitleEdit")
        self.itemTitleEdit.textEdited.connect(self._title_edited)
        self.itemSummaryEdit = QPlainTextEdit()
        self.itemSummaryEdit.setObjectName("itemSummaryEdit")
        self.itemSummaryEdit.setMaximumHeight(80)
        self.itemSummaryEdit.textChanged.connect(self._summary_edited)
        self.lessonObjectivesList = QListWidget()
        self.lessonObjectivesList.setObjectName("lessonObjectivesList")
        self.lessonObjectivesList.itemChanged.connect(self._lesson_objectives_edited)
        self.objectivesList = QListWidget()
        self.objectivesList.setObjectName("objectivesList")
        self.objectivesList.itemChanged.connect(self._objective_edited)
        fields.addRow("Title:", self.itemTitleEdit)
        fields.addRow("Summary:", self.itemSummaryEdit)
        fields.addRow("This lesson teaches:", self.lessonObjectivesList)
        fields.addRow(QLabel("Course objectives (double-click to edit):"))
        fields.addRow(self.objectivesList)
        objective_buttons = QHBoxLayout()
        self._button("Add objective", "addObjectiveButton", self.add_objective, objective_buttons)
        self._button("Remove objective", "removeObjectiveButton", self.remove_objective, objective_buttons)
        fields.addRow(objective_buttons)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)

        self.errorLabel = QLabel()
        self.errorLabel.setObjectName("outlineErrorLabel")
        self.errorLabel.setWordWrap(True)
        coloured(self.errorLabel)
        self.errorLabel.hide()
        layout.addWidget(self.errorLabel)
        bottom = QHBoxLayout()
        self.instructionEdit = QLineEdit()
        self.instructionEdit.setObjectName("outlineInstructionEdit")
        self.instructionEdit.setPlaceholderText("Optional instruction for a new outline, e.g. “more on osmosis, less history”")
        bottom.addWidget(self.instructionEdit, 1)
        self.regenerateOutlineButton = self._button("Regenerate outline", "regenerateOutlineButton", self._regenerate, bottom)
        self.approveOutlineButton = self._button("Approve and write lessons", "approveOutlineButton", self._approve, bottom)
        self.approveOutlineButton.setDefault(True)
        layout.addLayout(bottom)

    @staticmethod
    def _button(text: str, name: str, slot: object, row: QHBoxLayout) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        row.addWidget(button)
        return button

    # -- loading and reading back -------------------------------------------------------------------

    def set_outline(self, outline: Outline) -> None:
        self._loading = True
        self.courseTitleEdit.setText(outline.title)
        self._description = outline.description
        self._objectives = [objective.model_copy() for objective in outline.objectives]
        self.tree.clear()
        for module in outline.modules:
            item = self._item(module.title, {"kind": "module", "id": module.id, "summary": module.summary})
            self.tree.addTopLevelItem(item)
            for lesson in module.lessons:
                item.addChild(self._item(lesson.title, {"kind": "lesson", "id": lesson.id, "summary": lesson.summary, "objective_ids": list(lesson.objective_ids)}))
            item.setExpanded(True)
        self._fill_objectives()
        self._loading = False
        self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self.set_busy(False)

    def _item(self, title: str, data: dict) -> QTreeWidgetItem:
        item = QTreeWidgetItem([title])
        item.setData(0, DATA, data)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        return item

    def outline(self) -> Outline | list[str]:
        """The edited outline, or the problems that keep it from being used (one sentence each)."""
        modules = []
        for m in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(m)
            data = item.data(0, DATA)
            lessons = []
            for n in range(item.childCount()):
                child = item.child(n)
                info = child.data(0, DATA)
                lessons.append(LessonPlan(id=info["id"], title=child.text(0).strip(), summary=info["summary"].strip(), objective_ids=list(info["objective_ids"])))
            modules.append(ModulePlan(id=data["id"], title=item.text(0).strip(), summary=data["summary"].strip(), lessons=lessons))
        draft = Outline.model_construct(title=self.courseTitleEdit.text().strip(), description=self._description, objectives=list(self._objectives), modules=modules)
        problems = outline_problems(draft)
        return problems or Outline.model_validate(draft.model_dump())

    # -- the selected module or lesson ----------------------------------------------------------------

    def _selected(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None = None) -> None:
        self._loading = True
        data = item.data(0, DATA) if item is not None else None
        self.itemTitleEdit.setText(item.text(0) if item is not None else "")
        self.itemSummaryEdit.setPlainText(data["summary"] if data else "")
        self.lessonObjectivesList.clear()
        is_lesson = bool(data) and data["kind"] == "lesson"
        if is_lesson:
            for objective in self._objectives:
                entry = QListWidgetItem(f"{objective.id}: {objective.text}")
                entry.setData(DATA, objective.id)
                entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                entry.setCheckState(Qt.CheckState.Checked if objective.id in data["objective_ids"] else Qt.CheckState.Unchecked)
                self.lessonObjectivesList.addItem(entry)
        self.lessonObjectivesList.setEnabled(is_lesson)
        self.removeLessonButton.setEnabled(is_lesson)
        self._loading = False

    def _title_edited(self, text: str) -> None:
        item = self.tree.currentItem()
        if item is not None:
            item.setText(0, text)

    def _summary_edited(self) -> None:
        item = self.tree.currentItem()
        if item is not None and not self._loading:
            data = dict(item.data(0, DATA))
            data["summary"] = self.itemSummaryEdit.toPlainText()
            item.setData(0, DATA, data)

    def _lesson_objectives_edited(self, _entry: QListWidgetItem) -> None:
        item = self.tree.currentItem()
        if item is None or self._loading:
            return
        data = dict(item.data(0, DATA))
        rows = [self.lessonObjectivesList.item(i) for i in range(self.lessonObjectivesList.count())]
        data["objective_ids"] = [row.data(DATA) for row in rows if row.checkState() == Qt.CheckState.Checked]
        item.setData(0, DATA, data)

    # -- objectives ---------------------------------------------------------------------------------------

    def _fill_objectives(self) -> None:
        was_loading, self._loading = self._loading, True
        self.objectivesList.clear()
        for objective in self._objectives:
            entry = QListWidgetItem(objective.text)
            entry.setData(DATA, objective.id)
            entry.setToolTip(f"{objective.id} ({objective.bloom_level.value})")
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsEditable)
            self.objectivesList.addItem(entry)
        self._loading = was_loading

    def _objective_edited(self, entry: QListWidgetItem) -> None:
        if self._loading:
            return
        objective_id = entry.data(DATA)
        self._objectives = [o.model_copy(update={"text": entry.text().strip()}) if o.id == objective_id else o for o in self._objectives]
        self._selected(self.tree.currentItem())

    def add_objective(self) -> None:
        taken = {o.id for o in self._objectives}
        number = len(self._objectives) + 1
        while f"o{number}" in taken:
            number += 1
        self._objectives.append(Objective(id=f"o{number}", text="Explain …", bloom_level=BloomLevel.UNDERSTAND))
        self._fill_objectives()
        self.objectivesList.editItem(self.objectivesList.item(self.objectivesList.count() - 1))

    def remove_objective(self) -> None:
        entry = self.objectivesList.currentItem()
        if entry is None:
            return
        objective_id = entry.data(DATA)
        self._objectives = [o for o in self._objectives if o.id != objective_id]
        for item in self._lesson_items():
            data = dict(item.data(0, DATA))
            data["objective_ids"] = [i for i in data["objective_ids"] if i != objective_id]
            item.setData(0, DATA, data)
        self._fill_objectives()
        self._selected(self.tree.currentItem())

    # -- structure ----------------------------------------------------------------------------------------

    def _lesson_items(self) -> list[QTreeWidgetItem]:
        modules = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        return [module.child(n) for module in modules for n in range(module.childCount())]

    def move_current(self, step: int) -> None:
        """Move the selected module or lesson up (-1) or down (+1); a lesson crosses into the
        neighbouring module at the ends of its own."""
        item = self.tree.currentItem()
        if item is None:
            return
        parent = item.parent()
        if parent is None:
            index = self.tree.indexOfTopLevelItem(item)
            target = index + step
            if 0 <= target < self.tree.topLevelItemCount():
                expanded = item.isExpanded()
                self.tree.takeTopLevelItem(index)
                self.tree.insertTopLevelItem(target, item)
                item.setExpanded(expanded)
        else:
            index = parent.indexOfChild(item)
            target = index + step
            if 0 <= target < parent.childCount():
                parent.takeChild(index)
                parent.insertChild(target, item)
            else:
                module_index = self.tree.indexOfTopLevelItem(parent) + step
                if not 0 <= module_index < self.tree.topLevelItemCount():
                    return
                other = self.tree.topLevelItem(module_index)
                parent.takeChild(index)
                other.insertChild(other.childCount() if step < 0 else 0, item)
                other.setExpanded(True)
        self.tree.setCurrentItem(item)

    def add_lesson(self) -> QTreeWidgetItem | None:
        """A new lesson after the selected one (or at the end of the selected module)."""
        current = self.tree.currentItem() or self.tree.topLevelItem(0)
        if current is None:
            return None
        module = current.parent() or current
        taken = {item.data(0, DATA)["id"] for item in self._lesson_items()}
        number = module.childCount() + 1
        while f"{module.data(0, DATA)['id']}-l{number}" in taken:
            number += 1
        item = self._item("New lesson", {"kind": "lesson", "id": f"{module.data(0, DATA)['id']}-l{number}", "summary": "", "objective_ids": []})
        position = module.indexOfChild(current) + 1 if current.parent() is module else module.childCount()
        module.insertChild(position, item)
        module.setExpanded(True)
        self.tree.setCurrentItem(item)
        self.itemTitleEdit.setFocus()
        self.itemTitleEdit.selectAll()
        return item

    def remove_current(self) -> None:
        item = self.tree.currentItem()
        if item is None or item.parent() is None:
            return
        item.parent().removeChild(item)

    # -- the two decisions ----------------------------------------------------------------------------------

    def _approve(self) -> None:
        result = self.outline()
        if isinstance(result, list):
            self.show_problems(result)
            return
        self.set_busy(True, "Saving the outline and starting the lessons…")
        self.approved.emit(result)

    def _regenerate(self) -> None:
        self.set_busy(True, "Asking for a new outline…")
        self.regenerate_requested.emit(self.instructionEdit.text().strip())

    def show_problems(self, problems: list[str]) -> None:
        self.errorLabel.setText("\n".join(problems))
        self.errorLabel.setVisible(bool(problems))

    def set_busy(self, busy: bool, message: str = "") -> None:
        for widget in (self.approveOutlineButton, self.regenerateOutlineButton, self.tree, self.courseTitleEdit):
            widget.setEnabled(not busy)
        coloured(self.errorLabel, None if busy else ERROR_COLOUR)  # a busy message is no error
        self.errorLabel.setText(message)
        self.errorLabel.setVisible(bool(message))
