"""Local models in the app: Settings (provider, server, model list, key, Test) and a course written
by the real OpenAI-compatible generator against the local fake server, streamed into the
progress window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from coursegen_desktop.core import secrets
from coursegen_desktop.core.generators.factory import make_generator
from coursegen_desktop.core.models import GeneratorKind, JobStatus
from coursegen_desktop.gui.history_model import COST
from coursegen_desktop.gui.local_model_settings import LocalChoice
from coursegen_desktop.gui.settings import PROVIDER_ANTHROPIC, PROVIDER_LOCAL, Settings
from coursegen_desktop.gui.settings_dialog import SettingsDialog
from tests.fakes import DEFAULT_LOCAL_MODELS, FakeOpenAIAPI
from tests.gui.conftest import close_window, open_window

LOCAL_KEY = "sk-local-gui-key-0123456789abcdef"


@pytest.fixture
def local_api() -> Iterator[FakeOpenAIAPI]:
    with FakeOpenAIAPI(delta_delay=0.01) as api:
        yield api


def test_settings_choose_a_local_server_list_its_models_and_test_it(qtbot, local_api: FakeOpenAIAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("COURSEGEN_CONFIG_DIR", str(tmp_path / "config"))
    settings = Settings()
    dialog = SettingsDialog(settings, ["claude-sonnet-4-6"])
    qtbot.addWidget(dialog)
    box = dialog.localBox
    assert box.provider == PROVIDER_ANTHROPIC and not box.baseUrlEdit.isEnabled()
    assert box.baseUrlEdit.text() == "http://localhost:11434/v1"

    box.providerCombo.setCurrentIndex(box.providerCombo.findData(PROVIDER_LOCAL))
    box.baseUrlEdit.setText(local_api.base_url)
    qtbot.mouseClick(box.refreshButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.localModelCombo.count() == len(DEFAULT_LOCAL_MODELS), timeout=5000)
    assert box.localModelCombo.currentText() == DEFAULT_LOCAL_MODELS[0]

    qtbot.mouseClick(box.testServerButton, Qt.MouseButton.LeftButton)
    assert box.serverResultLabel.text() == "Testing the server…"  # the check runs off the GUI thread
    qtbot.waitUntil(lambda: box.testServerButton.isEnabled(), timeout=5000)
    assert box.serverResultLabel.text() == "The server works and lists 2 models."

    box.localKeyEdit.setText(LOCAL_KEY)
    with qtbot.waitSignal(box.key_changed, timeout=3000):
        qtbot.mouseClick(box.saveLocalKeyButton, Qt.MouseButton.LeftButton)
    assert box.localKeyEdit.text() == "" and box.serverResultLabel.text() == "Key saved in the config file."
    assert secrets.get_api_key(secrets.OPENAI_COMPATIBLE) == LOCAL_KEY and secrets.get_api_key() is None  # its own slot

    with qtbot.waitSignal(dialog.settings_applied, timeout=1000):
        dialog._apply()
    saved = Settings()
    assert (saved.provider, saved.local_base_url, saved.local_model) == (PROVIDER_LOCAL, local_api.base_url, DEFAULT_LOCAL_MODELS[0])
    assert LOCAL_KEY not in (Path(saved.q.fileName())).read_text()


def test_settings_refuse_a_bad_server_address_in_one_sentence(qtbot) -> None:  # noqa: ANN001
    dialog = SettingsDialog(Settings(), [])
    qtbot.addWidget(dialog)
    box = dialog.localBox
    box.providerCombo.setCurrentIndex(box.providerCombo.findData(PROVIDER_LOCAL))
    box.baseUrlEdit.setText("localhost:11434")
    box.localModelCombo.setCurrentText("llama3.2:3b")
    dialog._apply()
    assert dialog.result() == 0 and "is not a server address" in box.serverResultLabel.text()
    assert Settings().provider == PROVIDER_ANTHROPIC


def test_a_local_course_streams_into_the_progress_window(qtbot, local_api: FakeOpenAIAPI) -> None:  # noqa: ANN001
    settings = Settings()
    settings.provider, settings.local_base_url, settings.local_model = PROVIDER_LOCAL, local_api.base_url, DEFAULT_LOCAL_MODELS[0]
    settings.sync()
    window = open_window(qtbot, make_generator)
    try:
        combo = window.form.generatorCombo
        assert combo.currentText() == f"Local — {DEFAULT_LOCAL_MODELS[0]}"
        assert combo.currentData() == LocalChoice(DEFAULT_LOCAL_MODELS[0], local_api.base_url)
        qtbot.keyClicks(window.topicEdit, "Photosynthesis")
        window.form.modulesSpin.setValue(1)
        window.form.lessonsSpin.setValue(2)
        qtbot.mouseClick(window.generateButton, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(window._dialogs) == 1, timeout=3000)
        dialog = next(iter(window._dialogs.values()))
        previews: list[str] = []
        qtbot.waitUntil(lambda: previews.append(dialog.previewView.toPlainText()) or dialog.state.status.is_finished, timeout=30_000)

        assert dialog.state.status == JobStatus.COMPLETED, dialog.statusLabel.text()
        assert any("## Objectives" in text for text in previews)  # lesson text was shown while it streamed
        record = window.store.get_job(dialog.job_id)
        assert record.request.generator == GeneratorKind.OPENAI_COMPATIBLE and record.request.base_url == local_api.base_url
        assert record.usage.cost_usd == 0 and local_api.messages("lesson")
        model = window.history_model
        row = next(r for r in range(model.rowCount()) if model.index(r, 0).data(Qt.ItemDataRole.UserRole + 1).id == record.id)
        assert window.history_model.index(row, COST).data() == "$0 (local)"
    finally:
        close_window(qtbot, window)
