"""A wrong API key ends in one plain sentence in the progress window, using the real Claude
generator and SDK against the local fake Messages API (Settings' key test: tests/gui/test_engine.py)."""

from __future__ import annotations

import threading
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


@pytest.fixture
def slow_key_lookup(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The key lookup (a keychain can take seconds) answers only when the test says so."""
    from coursegen_desktop.core import key_status

    answer = threading.Event()
    real = key_status.key_status

    def slow() -> key_status.KeyStatus:
        answer.wait(20)
        return real()

    monkeypatch.setattr(key_status, "key_status", slow)  # the engine (a thread here) looks it up
    yield answer
    answer.set()


@pytest.mark.parametrize("key_set", [True, False], ids=["key-set", "no-key"])
def test_generate_pressed_before_the_key_lookup_answers_waits_for_it(qtbot, factory, slow_key_lookup, fake_api, material: Path, monkeypatch: pytest.MonkeyPatch, key_set: bool) -> None:  # noqa: ANN001
    if not key_set:
        monkeypatch.delenv("ANTHROPIC_API_KEY")
    window = open_window(qtbot, factory)
    try:
        form = window.form
        qtbot.keyClicks(window.topicEdit, "Photosynthesis")
        form.generatorCombo.setCurrentIndex(form.generatorCombo.findData("claude-sonnet-4-6"))
        qtbot.mouseClick(window.generateButton, Qt.MouseButton.LeftButton)
        assert not form.errorLabel.isVisible(), form.errorLabel.text()  # no "needs an API key" yet
        assert window.generateButton.text() == "Checking for an API key…" and not window.generateButton.isEnabled()
        assert not window._dialogs
        slow_key_lookup.set()
        if key_set:
            qtbot.waitUntil(lambda: len(window._dialogs) == 1, timeout=5000)
            job_id = next(iter(window._dialogs))
            qtbot.waitUntil(lambda: not window.job_manager.active_count, timeout=10_000)
            assert window.store.get_job(job_id).request.generator == GeneratorKind.CLAUDE  # written by the engine
        else:
            qtbot.waitUntil(lambda: form.errorLabel.isVisible(), timeout=5000)
            assert form.errorLabel.text().startswith("Claude needs an API key") and not window._dialogs
        assert window.generateButton.text() == "Generate course" and window.generateButton.isEnabled()
    finally:
        slow_key_lookup.set()
        close_window(qtbot, window)
