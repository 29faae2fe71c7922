"""The new-course form: topic, level, language, size, material files and the generator.

Material files are read when they are added, by the job engine (`check_material`), so a bad file
is reported at once, in one sentence next to the form, and the PDF and Word readers never load
into the window's process; the request is validated by core's `make_request`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.models import CourseRequest, GeneratorKind, Level, make_request
from coursegen_desktop.gui.claude import FALLBACK_MODELS, OFFLINE_LABEL
from coursegen_desktop.gui.local_model_settings import LocalChoice
from coursegen_desktop.gui.resources import sample_material
from coursegen_desktop.gui.widgets import coloured, heading, muted

LANGUAGES = ("English", "Deutsch", "Français", "Español", "Italiano", "Português", "Nederlands", "Polski", "日本語", "中文")
AskEngine = Callable[..., None]  # JobManager.call: (command, on_reply, **arguments)


class MaterialList(QListWidget):
    """The material files; accepts files dropped from a file manager.

    Signals:
        files_dropped(list): the dropped local paths.
    """

    files_dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("materialList")
        self.setAcceptDrops(True)
        self.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.setToolTip("Drop .txt, .md, .pdf or .docx files here")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count() == 0:  # say what the empty box is for
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(
                self.viewport().rect().adjusted(12, 12, -12, -12),
                int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                "Drop .txt, .md, .pdf or .docx files here, or click Add…",
            )
            painter.end()

    def paths(self) -> list[Path]:
        return [Path(self.item(row).data(Qt.ItemDataRole.UserRole)) for row in range(self.count())]


class NewCourseForm(QWidget):
    """The form; the window adds the settings that are not per course (lessons at once).

    Signals:
        generate_requested(object): a valid `CourseRequest` the user asked to generate.
        changed(): any field that shapes the course changed (the plan estimate follows it).
    """

    generate_requested = Signal(object)
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newCourseForm")
        self._checking = 0
        self._ask_engine: AskEngine | None = None
        self._unchecked: list[Path] = []  # added before the engine was connected
        layout = QVBoxLayout(self)
        layout.addWidget(heading("New course"))

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.topicEdit = QLineEdit()
        self.topicEdit.setObjectName("topicEdit")
        self.topicEdit.setPlaceholderText("e.g. Photosynthesis for beginners")
        self.topicEdit.setClearButtonEnabled(True)
        self.topicEdit.returnPressed.connect(self.request_generate)
        self.levelCombo = QComboBox()
        self.levelCombo.setObjectName("levelCombo")
        for level in Level:
            self.levelCombo.addItem(level.value.capitalize(), level)
        self.languageCombo = QComboBox()
        self.languageCombo.setObjectName("languageCombo")
        self.languageCombo.setEditable(True)
        self.languageCombo.addItems(LANGUAGES)
        self.modulesSpin = self._spin("modulesSpin", 1, 12, 3)
        self.lessonsSpin = self._spin("lessonsSpin", 1, 8, 3)
        size = self._inline_row(self.modulesSpin, "modules ×", self.lessonsSpin, "lessons")
        self.questionsSpin = self._spin("questionsSpin", 2, 20, 5)
        self.examSpin = self._spin("examQuestionsSpin", 3, 60, 10)
        questions = self._inline_row(self.questionsSpin, "per quiz,", self.examSpin, "in the exam")
        form.addRow("&Topic:", self.topicEdit)
        form.addRow("&Level:", self.levelCombo)
        form.addRow("Lan&guage:", self.languageCombo)
        form.addRow("Size:", size)
        form.addRow("Questions:", questions)
        layout.addLayout(form)

        layout.addWidget(QLabel("Study material (optional with Claude, needed offline):"))
        self.materialList = MaterialList()
        self.materialList.files_dropped.connect(self.add_files)
        self.materialList.setMinimumHeight(70)
        layout.addWidget(self.materialList, 1)
        buttons = QHBoxLayout()
        self.addMaterialButton = QPushButton("Add…")
        self.addMaterialButton.setObjectName("addMaterialButton")
        self.addMaterialButton.clicked.connect(self._choose_files)
        self.removeMaterialButton = QPushButton("Remove")
        self.removeMaterialButton.setObjectName("removeMaterialButton")
        self.removeMaterialButton.clicked.connect(self._remove_selected)
        self.sampleButton = QPushButton("Use sample material")
        self.sampleButton.setObjectName("sampleButton")
        self.sampleButton.clicked.connect(self.use_sample_material)
        buttons.addWidget(self.addMaterialButton)
        buttons.addWidget(self.removeMaterialButton)
        buttons.addStretch(1)
        buttons.addWidget(self.sampleButton)
        layout.addLayout(buttons)

        generator_row = QFormLayout()
        self.generatorCombo = QComboBox()
        self.generatorCombo.setObjectName("generatorCombo")
        generator_row.addRow("&Generator:", self.generatorCombo)
        layout.addLayout(generator_row)
        self._models: list[str] = list(FALLBACK_MODELS)
        self._has_key, self._default = False, None
        self._local: LocalChoice | None = None
        self._prefer_local = False
        self.set_models(list(FALLBACK_MODELS), has_key=False)

        self.reviewOutlineCheck = QCheckBox("Review the outline before writing lessons")
        self.reviewOutlineCheck.setObjectName("reviewOutlineCheck")
        layout.addWidget(self.reviewOutlineCheck)
        self.planLabel = QLabel()  # "≈ 14 calls · $0.21–0.34 · 2–4 min", kept current by gui.plan_estimate
        self.planLabel.setObjectName("planLabel")
        muted(self.planLabel)
        layout.addWidget(self.planLabel)
        for signal in (
            self.topicEdit.textChanged, self.levelCombo.currentIndexChanged, self.languageCombo.editTextChanged,
            self.modulesSpin.valueChanged, self.lessonsSpin.valueChanged, self.questionsSpin.valueChanged,
            self.examSpin.valueChanged, self.generatorCombo.currentIndexChanged,
            self.materialList.model().rowsInserted, self.materialList.model().rowsRemoved,
        ):
            signal.connect(self.changed)

        self.errorLabel = QLabel()
        self.errorLabel.setObjectName("formErrorLabel")
        self.errorLabel.setWordWrap(True)
        coloured(self.errorLabel)
        self.errorLabel.hide()
        layout.addWidget(self.errorLabel)
        self.generateButton = QPushButton("Generate course")
        self.generateButton.setObjectName("generateButton")
        self.generateButton.setDefault(True)
        self.generateButton.clicked.connect(self.request_generate)
        layout.addWidget(self.generateButton)

    @staticmethod
    def _inline_row(*parts: QWidget | str) -> QHBoxLayout:
        """Widgets and words on one line, as in "3 modules × 3 lessons"."""
        row = QHBoxLayout()
        for part in parts:
            row.addWidget(QLabel(part) if isinstance(part, str) else part)
        row.addStretch(1)
        return row

    @staticmethod
    def _spin(name: str, low: int, high: int, value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setObjectName(name)
        spin.setRange(low, high)
        spin.setValue(value)
        return spin

    # -- generator choice -----------------------------------------------------------------------

    def set_models(self, models: list[str], *, has_key: bool, default: str | None = None) -> None:
        """Fill the generator choice: Claude models, and the offline generator (first, and
        chosen, while there is no key), and the local model when one is set (`set_local`)."""
        previous = self.generatorCombo.currentData()
        self._models, self._has_key, self._default = list(models), has_key, default
        self.generatorCombo.clear()
        entries: list[tuple[str, object]] = [(f"Claude — {model}", model) for model in models]
        offline: tuple[str, object] = (OFFLINE_LABEL, None)
        local = [(self._local.label, self._local)] if self._local else []
        ordered = (entries + [offline]) if has_key else ([offline] + entries)
        for label, data in (local + ordered) if self._prefer_local else (ordered + local):
            self.generatorCombo.addItem(label, data)
        wanted = self._local if self._prefer_local and self._local else (previous or default) if has_key else None
        index = next((i for i in range(self.generatorCombo.count()) if self.generatorCombo.itemData(i) == wanted), 0)
        self.generatorCombo.setCurrentIndex(index)

    def set_local(self, choice: LocalChoice | None, *, preferred: bool) -> None:
        """Offer a local model (first and chosen when `preferred`), or none."""
        self._local, self._prefer_local = choice, preferred and choice is not None
        self.set_models(self._models, has_key=self._has_key, default=self._default)

    def chosen_model(self) -> str | LocalChoice | None:
        """The Claude model, the local model, or None for the offline generator."""
        return self.generatorCombo.currentData()

    # -- material -----------------------------------------------------------------------------------

    def _choose_files(self) -> None:
        from coursegen_desktop.core.material import SUPPORTED_SUFFIXES  # not before: the window reads no material itself

        patterns = " ".join(f"*{suffix}" for suffix in SUPPORTED_SUFFIXES)
        files, _ = QFileDialog.getOpenFileNames(self, "Add study material", str(Path.home()), f"Study material ({patterns})")
        self.add_files([Path(name) for name in files])

    def set_engine(self, ask_engine: AskEngine) -> None:
        """Check files through the job engine; the ones added before it was connected go now."""
        self._ask_engine = ask_engine
        unchecked, self._unchecked = self._unchecked, []
        for path in unchecked:
            self._check(path)

    def add_files(self, paths: list[Path]) -> None:
        """Have the engine read each new file; good ones join the list, a bad one is explained."""
        self.show_error("")
        known = set(self.materialList.paths())
        for path in paths:
            if path in known:
                continue
            self._checking += 1
            self._check(path)

    def _check(self, path: Path) -> None:
        if self._ask_engine is None:
            self._unchecked.append(path)  # set_engine checks it
        else:
            self._ask_engine("check_material", lambda reply: self._file_checked(path, reply), path=str(path))

    def use_sample_material(self) -> None:
        samples = sample_material()
        if not samples:
            self.show_error("The sample material is missing from this installation; add your own files instead.")
            return
        if not self.topicEdit.text().strip():
            self.topicEdit.setText("Photosynthesis and the water cycle")
        self.add_files(samples)

    def _file_checked(self, path: Path, reply: dict[str, Any]) -> None:
        self._checking -= 1
        if not reply.get("ok"):
            self.show_error(str(reply.get("error")))  # the engine's one sentence
            return
        if path in self.materialList.paths():
            return
        item = QListWidgetItem(path.name)
        item.setData(Qt.ItemDataRole.UserRole, str(path))
        item.setToolTip(str(path))
        self.materialList.addItem(item)

    def _remove_selected(self) -> None:
        for item in self.materialList.selectedItems():
            self.materialList.takeItem(self.materialList.row(item))

    @property
    def checking(self) -> bool:
        """True while added files are still being read (or wait for the engine)."""
        return self._checking > 0

    # -- generate ---------------------------------------------------------------------------------------

    def set_waiting(self, text: str) -> None:
        """Show that a pressed Generate waits for something (text), or end that state ("")."""
        self.generateButton.setText(text or "Generate course")
        self.generateButton.setEnabled(not text)

    def show_error(self, sentence: str) -> None:
        self.errorLabel.setText(sentence)
        self.errorLabel.setVisible(bool(sentence))

    def build_request(self) -> CourseRequest:
        """The request the form describes; raises `BadInput` with one sentence."""
        model = self.chosen_model()
        local = model if isinstance(model, LocalChoice) else None
        fields: dict[str, object] = {
            "topic": self.topicEdit.text(),
            "material": tuple(self.materialList.paths()),
            "level": self.levelCombo.currentData(),
            "language": self.languageCombo.currentText(),
            "modules": self.modulesSpin.value(),
            "lessons_per_module": self.lessonsSpin.value(),
            "questions_per_quiz": self.questionsSpin.value(),
            "exam_questions": self.examSpin.value(),
            "generator": GeneratorKind.CLAUDE if model else GeneratorKind.OFFLINE,
            "review_outline": self.reviewOutlineCheck.isChecked(),
        }
        if local is not None:
            fields.update(generator=GeneratorKind.OPENAI_COMPATIBLE, model=local.model, base_url=local.base_url)
        elif model:
            fields["model"] = model
        return make_request(**fields)

    def request_generate(self) -> None:
        if self.checking:
            self.show_error("Still reading the material files; try again in a moment.")
            return
        try:
            request = self.build_request()
        except CourseGenError as exc:
            self.show_error(exc.message)
            if not self.topicEdit.text().strip():
                self.topicEdit.setFocus()
            return
        if request.generator == GeneratorKind.OFFLINE and not request.material:
            self.show_error("The offline generator builds the course from your material: add a file, or click Use sample material.")
            return
        self.show_error("")
        self.generate_requested.emit(request)
