"""A wrong API key ends in one plain sentence in the progress window, using the real Claude
generator and SDK against the local fake Messages API (Settings' key test: tests/gui/test_engine.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from coursegen_desktop.core.generators.factory import make_generator
from coursegen_desktop.core.models import GeneratorKind, JobStatus, make_request
from coursegen_desktop.gui.settings import Settings
from coursegen_desktop.gui.settings_dialog import SettingsDialog
from tests.fakes.messages_api import FakeMessagesAPI
from tests.gui.conftest import close_window, open_window

WRONG_KEY = "sk-ant-wrong-key-000000000000"


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMessagesAPI]:
    with FakeMessagesAPI() as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", WRONG_KEY)
        yield api


def test_wrong_key_fails_the_job_with_one_sentence(qtbot, fake_api: FakeMessagesAPI, material: Path) -> None:  # noqa: ANN001
    window = open_window(qtbot, make_generator)
    try:
        qtbot.waitUntil(lambda: window._has_key, timeout=3000)
        request = make_request(topic="Photosynthesis", material=(material,), generator=GeneratorKind.CLAUDE, model="claude-sonnet-4-6", modules=1, lessons_per_module=1)
        dialog = window.show_progress(window.job_manager.submit(request).id)
        qtbot.waitUntil(lambda: dialog.state.status == JobStatus.FAILED, timeout=20_000)
        sentence = dialog.statusLabel.text()
        assert "rejected" in sentence and "Settings" in sentence
        assert "\n" not in sentence and "Traceback" not in sentence and WRONG_KEY not in sentence
        assert WRONG_KEY not in dialog.logView.toPlainText()
        assert dialog.resumeButton.isVisible()
    finally:
        close_window(qtbot, window)


def test_settings_save_key_never_shows_it_again(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("COURSEGEN_CONFIG_DIR", str(tmp_path / "config"))
    settings = Settings()
    dialog = SettingsDialog(settings, ["claude-sonnet-4-5"])
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "No API key" in dialog.keyStatusLabel.text(), timeout=3000)
    assert "ANTHROPIC_API_KEY" in dialog.storageLabel.text()  # no keychain here: say so
    key = "sk-ant-api03-abcdefghijklmnop"
    dialog.keyEdit.setText(key)
    with qtbot.waitSignal(dialog.key_changed, timeout=3000):
        qtbot.mouseClick(dialog.saveKeyButton, Qt.MouseButton.LeftButton)
    assert dialog.keyEdit.text() == ""
    assert dialog.keyResultLabel.text() == "Key saved in the config file."
    qtbot.waitUntil(lambda: "config file" in dialog.keyStatusLabel.text(), timeout=3000)
    texts = [label.text() for label in (dialog.keyStatusLabel, dialog.keyResultLabel, dialog.storageLabel)]
    assert not any(key in text for text in texts)

    dialog.jobsSpin.setValue(3)
    dialog.lessonsAtOnceSpin.setValue(2)
    with qtbot.waitSignal(dialog.settings_applied, timeout=1000):
        dialog._apply()
    assert (Settings().max_jobs, Settings().lesson_concurrency) == (3, 2)
