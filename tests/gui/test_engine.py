"""The window drives the real engine process: jobs run there, outlive the window, survive a
window restart without a lost or repeated event, and an engine killed mid-job leaves them
interrupted and resumable. Claude jobs stream from the local fake Messages API (the engine
process inherits its address), so the real SDK runs, in the engine only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from coursegen_desktop.core.events import Event, JobStarted, TopicCompleted
from coursegen_desktop.core.models import GeneratorKind, JobStatus, make_request
from coursegen_desktop.engine import client
from coursegen_desktop.engine.address import endpoint_file
from tests.helpers.engine import engine_pid
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.main_window import MainWindow
from coursegen_desktop.gui.settings import Settings
from coursegen_desktop.gui.settings_dialog import SettingsDialog
from coursegen_desktop.gui.widgets import MessageBar
from tests.conftest import ROOT, SAMPLES
from tests.fakes.messages_api import FakeMessagesAPI
from tests.gui.conftest import close_window
from tests.gui.test_generate_flow import _history_status


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMessagesAPI]:
    """A Messages API slow enough that a 1×3 course streams for a few seconds."""
    with FakeMessagesAPI(delta_delay=0.01, lesson_words=320) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", api.api_key)
        yield api


@pytest.fixture(autouse=True)
def _fresh_starter() -> Iterator[None]:
    client.starter.fallback_reason = None
    yield
    client.starter.fallback_reason = None


def open_engine_window(qtbot, choice: str = "keep") -> MainWindow:  # noqa: ANN001
    """A window whose jobs run in the engine process (no injected generator)."""
    window = MainWindow(Settings())
    window.ask_about_running_jobs = lambda count: choice  # type: ignore[method-assign] # never a modal box
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignals([window.store_ready, window.history_loaded], timeout=10_000):
        window.start()
    return window


def claude_request(material: Path, lessons: int = 3):  # noqa: ANN201
    return make_request(topic="Photosynthesis", material=(material,), generator=GeneratorKind.CLAUDE, model="claude-sonnet-4-6", modules=1, lessons_per_module=lessons, questions_per_quiz=3, exam_questions=3).model_copy(update={"concurrency": 1})


def record_events(window: MainWindow, job_id: str) -> list[Event]:
    seen: list[Event] = []
    window.job_manager.event_emitted.connect(lambda event: seen.append(event) if event.job_id == job_id else None)
    return seen


def close_and_wait(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    with qtbot.waitSignal(window.closed, timeout=20_000):
        window.close()
    tasks.wait_for_background(5000)  # as the app does: no history read may be in flight when it closes
    window.store.close()


def test_a_job_runs_in_the_engine_process_and_every_event_arrives_once_in_order(qtbot, fake_api: FakeMessagesAPI, material: Path, data_dir: Path) -> None:  # noqa: ANN001
    window = open_engine_window(qtbot)
    try:
        record = window.job_manager.submit(claude_request(material))
        seen = record_events(window, record.id)
        dialog = window.show_progress(record.id)
        qtbot.waitUntil(lambda: dialog.state.status == JobStatus.COMPLETED, timeout=60_000)
        pid = engine_pid(data_dir)
        assert pid is not None and pid != os.getpid()  # the job ran in another process
        seqs = [event.seq for event in seen]
        assert seqs == list(range(seqs[0], seqs[-1] + 1)) and seqs[-1] == window.store.last_seq(record.id)
        assert sum(isinstance(event, TopicCompleted) for event in seen) == 3
        assert window.store.get_job(record.id).status == JobStatus.COMPLETED
    finally:
        close_window(qtbot, window)


def test_closing_the_window_keeps_the_job_running_and_reopening_follows_it_without_loss(qtbot, fake_api: FakeMessagesAPI, material: Path, data_dir: Path) -> None:  # noqa: ANN001
    first = open_engine_window(qtbot, choice="background")
    record = first.job_manager.submit(claude_request(material))
    seen_first = record_events(first, record.id)
    qtbot.waitUntil(lambda: any(isinstance(event, TopicCompleted) for event in seen_first), timeout=60_000)
    close_and_wait(qtbot, first)
    assert first.store.get_job(record.id).status == JobStatus.RUNNING  # still going, in the engine
    listed = subprocess.run([sys.executable, "-m", "coursegen_desktop.cli", "jobs", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert {job["id"]: job["status"] for job in json.loads(listed.stdout)}[record.id] == "running"  # the CLI sees the engine's job
    pid = engine_pid(data_dir)
    assert pid is not None

    second = open_engine_window(qtbot)
    try:
        seen = record_events(second, record.id)
        qtbot.waitUntil(lambda: any(event.is_terminal for event in seen), timeout=60_000)
        assert engine_pid(data_dir) == pid  # the same engine carried the job across the windows
        seqs = [event.seq for event in seen]
        assert seqs == list(range(1, second.store.last_seq(record.id) + 1))  # 0 lost, 0 twice
        qtbot.waitUntil(lambda: _history_status(second, record.id) == "Completed", timeout=5000)
        dialog = second.show_progress(record.id)
        qtbot.waitUntil(lambda: dialog.state.status == JobStatus.COMPLETED, timeout=5000)
    finally:
        close_window(qtbot, second)


def test_a_killed_engine_leaves_the_job_interrupted_and_the_next_command_starts_a_new_one(qtbot, fake_api: FakeMessagesAPI, material: Path, data_dir: Path) -> None:  # noqa: ANN001
    window = open_engine_window(qtbot)
    try:
        record = window.job_manager.submit(claude_request(material))
        seen = record_events(window, record.id)
        dialog = window.show_progress(record.id)
        qtbot.waitUntil(lambda: any(isinstance(event, TopicCompleted) for event in seen), timeout=60_000)
        first_pid = engine_pid(data_dir)
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        qtbot.waitUntil(lambda: dialog.state.status == JobStatus.INTERRUPTED, timeout=5000)
        assert dialog.resumeButton.isVisible()
        qtbot.waitUntil(lambda: _history_status(window, record.id) == "Interrupted", timeout=5000)
        lessons_before = sum(1 for request in fake_api.requests if request.kind == "lesson")

        qtbot.mouseClick(dialog.resumeButton, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.state.status == JobStatus.COMPLETED, timeout=60_000)
        assert engine_pid(data_dir) not in (None, first_pid)
        lessons_after = sum(1 for request in fake_api.requests if request.kind == "lesson")
        saved_before_kill = sum(isinstance(event, TopicCompleted) for event in seen[: seen.index(next(e for e in seen if e.is_terminal))])
        assert lessons_after - lessons_before <= 3 - saved_before_kill + 1  # saved lessons are not written again
    finally:
        close_window(qtbot, window)


def test_two_windows_share_one_engine(qtbot, fake_api: FakeMessagesAPI, material: Path, data_dir: Path) -> None:  # noqa: ANN001
    first = open_engine_window(qtbot)
    second = open_engine_window(qtbot)
    try:
        record = first.job_manager.submit(claude_request(material, lessons=2))
        qtbot.waitUntil(lambda: second.job_manager.is_active(record.id), timeout=20_000)  # announced to the other window
        seen = record_events(second, record.id)
        qtbot.waitUntil(lambda: _history_status(first, record.id) == "Completed", timeout=60_000)
        qtbot.waitUntil(lambda: _history_status(second, record.id) == "Completed", timeout=10_000)
        assert any(event.is_terminal for event in seen)
    finally:
        close_window(qtbot, second)
        close_window(qtbot, first)


def test_stop_and_resume_later_interrupts_the_job_and_the_idle_engine_exits(qtbot, fake_api: FakeMessagesAPI, material: Path, data_dir: Path) -> None:  # noqa: ANN001
    window = open_engine_window(qtbot, choice="keep")
    record = window.job_manager.submit(claude_request(material))
    seen = record_events(window, record.id)
    qtbot.waitUntil(lambda: any(isinstance(event, JobStarted) for event in seen), timeout=30_000)
    close_and_wait(qtbot, window)
    assert window.store.get_job(record.id).status == JobStatus.INTERRUPTED
    deadline = time.monotonic() + 10
    while endpoint_file(data_dir).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not endpoint_file(data_dir).exists()  # idle, no window: the engine exited by itself


def test_cancel_in_the_close_question_keeps_the_window_and_its_job(qtbot, fake_api: FakeMessagesAPI, material: Path) -> None:  # noqa: ANN001
    window = open_engine_window(qtbot, choice="stay")
    try:
        record = window.job_manager.submit(claude_request(material))
        seen = record_events(window, record.id)
        qtbot.waitUntil(lambda: any(isinstance(event, JobStarted) for event in seen), timeout=30_000)
        window.close()
        assert window.isVisible() and window.job_manager.is_active(record.id)
    finally:
        close_window(qtbot, window)


def test_an_engine_that_cannot_start_is_said_once_and_jobs_run_in_the_window(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("COURSEGEN_ENGINE_CMD", f"{sys.executable} -c 'raise SystemExit(3)'")  # a broken install
    window = open_engine_window(qtbot)
    try:
        request = make_request(topic="Photosynthesis", material=tuple(sorted(SAMPLES.glob("*"))), modules=1, lessons_per_module=1, questions_per_quiz=2, exam_questions=3)
        record = window.job_manager.submit(request)
        dialog = window.show_progress(record.id)
        qtbot.waitUntil(lambda: dialog.state.status == JobStatus.COMPLETED, timeout=30_000)
        bars = [bar.label.text() for bar in window.findChildren(MessageBar)]
        assert sum(client.FALLBACK_SENTENCE == text for text in bars) == 1
        assert not window.job_manager.can_keep_running
    finally:
        close_window(qtbot, window)


def test_settings_test_key_asks_the_engine(qtbot, fake_api: FakeMessagesAPI) -> None:  # noqa: ANN001
    window = open_engine_window(qtbot)
    try:
        window.open_settings()
        dialog = window.findChild(SettingsDialog)
        qtbot.keyClicks(dialog.keyEdit, "sk-ant-wrong-key-000000000000")
        qtbot.mouseClick(dialog.testKeyButton, Qt.MouseButton.LeftButton)
        assert dialog.keyResultLabel.text() == "Testing the key…"
        qtbot.waitUntil(lambda: dialog.testKeyButton.isEnabled(), timeout=30_000)
        assert dialog.keyResultLabel.text() == "The key was rejected."
        dialog.keyEdit.setText(fake_api.api_key)
        qtbot.mouseClick(dialog.testKeyButton, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.testKeyButton.isEnabled(), timeout=30_000)
        assert dialog.keyResultLabel.text() == "The key works."
        dialog.reject()
    finally:
        close_window(qtbot, window)


def test_the_window_process_never_imports_the_sdk() -> None:
    script = (
        "import sys; import coursegen_desktop.gui.app, coursegen_desktop.gui.main_window, coursegen_desktop.gui.jobs, "
        "coursegen_desktop.gui.settings_dialog, coursegen_desktop.gui.progress_dialog, coursegen_desktop.gui.course_view; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('anthropic', 'httpx2')))"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


WINDOW_SCRIPT = """
import sys
from PySide6.QtWidgets import QApplication
from coursegen_desktop.core.models import GeneratorKind, make_request
from coursegen_desktop.gui.main_window import MainWindow
from coursegen_desktop.gui.settings import Settings
app = QApplication([])
window = MainWindow(Settings())
window.show()
def submit():
    request = make_request(topic="Photosynthesis", generator=GeneratorKind.CLAUDE, model="claude-sonnet-4-6", modules=1, lessons_per_module=3, questions_per_quiz=3, exam_questions=3)
    print(window.job_manager.submit(request.model_copy(update={"concurrency": 1})).id, flush=True)
window.store_ready.connect(submit)
window.start()
app.exec()
"""


def test_a_killed_window_leaves_its_job_running_in_the_engine(fake_api: FakeMessagesAPI, data_dir: Path) -> None:
    window = subprocess.Popen([sys.executable, "-c", WINDOW_SCRIPT], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ})
    try:
        job_id = window.stdout.readline().strip()  # type: ignore[union-attr]
        assert job_id, "the window process did not submit its job"
        deadline = time.monotonic() + 60
        while not any(request.kind == "lesson" for request in fake_api.requests) and time.monotonic() < deadline:
            time.sleep(0.05)
        window.kill()  # kill -9: no close question, no goodbye to the engine
        window.wait(10)
        from coursegen_desktop.core.store import Store

        store = Store.open(data_dir)
        try:
            deadline = time.monotonic() + 60
            while store.get_job(job_id).status != JobStatus.COMPLETED and time.monotonic() < deadline:
                time.sleep(0.1)
            assert store.get_job(job_id).status == JobStatus.COMPLETED  # the engine carried on alone
        finally:
            store.close()
    finally:
        if window.poll() is None:
            window.kill()
