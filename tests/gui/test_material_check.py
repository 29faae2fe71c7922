"""Adding study material in the new-course form: the job engine reads each file (the same
protocol whether it is the engine process or, with an injected generator, a thread), a good file
joins the list, a bad one is one sentence next to the form, a file dropped before the engine is
connected is still checked, and the PDF and Word readers never load into the window's process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from coursegen_desktop.gui.main_window import MainWindow
from coursegen_desktop.gui.settings import Settings
from tests.conftest import ROOT
from tests.gui.conftest import GeneratorFactory, close_window
from tests.helpers.make_docs import write_docx, write_pdf


def _good_files(folder: Path) -> list[Path]:
    text = folder / "notes.txt"
    text.write_text("Photosynthesis turns light into chemical energy.\n\nChlorophyll absorbs light.\n", encoding="utf-8")
    pdf = write_pdf(folder / "leaves.pdf", [["Leaves hold chlorophyll.", "Stomata let carbon dioxide in."]])
    docx = write_docx(folder / "water.docx", [("h1", "The water cycle"), ("p", "Water evaporates, condenses and falls as rain.")])
    return [text, pdf, docx]


def _add(qtbot, window: MainWindow, paths: list[Path]) -> None:  # noqa: ANN001
    window.form.add_files(paths)
    assert window.form.checking  # the plan estimate and Generate wait for the engine's answer
    qtbot.waitUntil(lambda: not window.form.checking, timeout=10_000)


def test_good_text_pdf_and_word_files_join_the_list_once(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    files = _good_files(tmp_path)
    _add(qtbot, window, files)
    assert sorted(path.name for path in window.form.materialList.paths()) == ["leaves.pdf", "notes.txt", "water.docx"]
    assert not window.form.errorLabel.isVisible()
    window.form.add_files(files[:1])  # already in the list: not checked or added again
    assert not window.form.checking and window.form.materialList.count() == 3


def test_an_empty_binary_or_unsupported_file_is_one_sentence_and_stays_out(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 64)
    slides = tmp_path / "slides.pptx"
    slides.write_bytes(b"PK\x03\x04 not really")
    label = window.form.errorLabel
    for path, words in ((empty, "empty (0 bytes)"), (binary, "binary data"), (slides, "not a supported kind")):
        _add(qtbot, window, [path])
        assert label.isVisible() and path.name in label.text() and words in label.text(), label.text()
        assert "\n" not in label.text() and "Traceback" not in label.text() and label.text().endswith(".")
    assert window.form.materialList.count() == 0


def test_a_file_added_before_the_engine_is_connected_is_still_checked(qtbot, factory: GeneratorFactory, tmp_path: Path) -> None:  # noqa: ANN001
    good, missing = tmp_path / "notes.txt", tmp_path / "gone.md"
    good.write_text("Chlorophyll absorbs light.\n", encoding="utf-8")
    window = MainWindow(Settings(), generator_factory=factory)  # type: ignore[arg-type]
    qtbot.addWidget(window)
    window.show()
    try:
        window.form.add_files([good, missing])  # dropped in the first moment, before the store and engine
        assert window.form.checking and window.form.materialList.count() == 0
        with qtbot.waitSignals([window.store_ready, window.history_loaded], timeout=5000):
            window.start()
        qtbot.waitUntil(lambda: not window.form.checking, timeout=10_000)
        assert [path.name for path in window.form.materialList.paths()] == ["notes.txt"]
        assert "gone.md" in window.form.errorLabel.text() and "does not exist" in window.form.errorLabel.text()
    finally:
        close_window(qtbot, window)


WINDOW_SCRIPT = """
import sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from coursegen_desktop.gui.main_window import MainWindow
from coursegen_desktop.gui.settings import Settings
app = QApplication([])
window = MainWindow(Settings())
window.show()
window.store_ready.connect(lambda: window.form.add_files([Path(name) for name in sys.argv[1:]]))
def done():
    if window.store is None or window.form.checking:
        return
    print(window.form.materialList.count(), window.form.errorLabel.text() or "-", flush=True)
    print(sorted(m for m in sys.modules if m.split(".")[0] in ("pypdf", "docx", "lxml")), flush=True)
    app.quit()
timer = QTimer(interval=50, timeout=done)
timer.start()
QTimer.singleShot(60_000, app.quit)
window.start()
app.exec()
"""


def test_the_window_process_never_loads_the_pdf_or_word_reader(tmp_path: Path) -> None:
    _, pdf, docx = _good_files(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", WINDOW_SCRIPT, str(pdf), str(docx)], cwd=ROOT, capture_output=True, text=True, timeout=90,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["2 -", "[]"]  # both files read (by the engine process), no reader here
