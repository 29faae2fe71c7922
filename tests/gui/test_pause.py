"""Pause lets the lessons in flight finish and be saved, starts nothing new, survives a restart of
the app, and Resume requests nothing twice; the same from the command line. The real engine
process runs the jobs against the local fake Messages API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from coursegen_desktop.core.events import JobPaused, TopicCompleted, TopicStarted
from coursegen_desktop.core.models import GeneratorKind, JobStatus, make_request
from tests.conftest import ROOT
from tests.fakes.messages_api import FakeMessagesAPI
from tests.gui.conftest import close_window
from tests.gui.test_engine import close_and_wait, open_engine_window, record_events
from tests.gui.test_generate_flow import _history_status


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMessagesAPI]:
    with FakeMessagesAPI(delta_delay=0.01, lesson_words=600) as api:  # a lesson streams for ~1.5 s
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", api.api_key)
        yield api


def five_lessons(material: Path):  # noqa: ANN201
    """The first lesson is written alone (it warms the prompt cache), then two at a time."""
    request = make_request(topic="Photosynthesis", material=(material,), generator=GeneratorKind.CLAUDE, model="claude-sonnet-4-6", modules=1, lessons_per_module=5, questions_per_quiz=3, exam_questions=3)
    return request.model_copy(update={"concurrency": 2})


def lesson_requests(api: FakeMessagesAPI) -> int:
    return sum(1 for request in api.requests if request.kind == "lesson")


def test_pause_saves_what_is_in_flight_survives_a_restart_and_resume_requests_nothing_twice(qtbot, fake_api: FakeMessagesAPI, material: Path) -> None:  # noqa: ANN001
    window = open_engine_window(qtbot, choice="keep")
    record = window.job_manager.submit(five_lessons(material))
    seen = record_events(window, record.id)
    dialog = window.show_progress(record.id)
    qtbot.waitUntil(lambda: sum(isinstance(e, TopicStarted) for e in seen) == 3, timeout=60_000)  # lessons 2 and 3 in flight
    assert dialog.pauseButton.isVisible()
    qtbot.mouseClick(dialog.pauseButton, Qt.MouseButton.LeftButton)
    assert not dialog.pauseButton.isEnabled() and dialog.statusLabel.text().startswith("Pausing")
    qtbot.waitUntil(lambda: dialog.state.status == JobStatus.PAUSED, timeout=30_000)

    started = sum(isinstance(e, TopicStarted) for e in seen)
    assert lesson_requests(fake_api) == started == 3  # nothing started after the pause
    assert not [r for r in fake_api.requests if r.kind in ("quiz", "exam", "flashcards")]
    assert sum(isinstance(e, TopicCompleted) for e in seen) == 3 and isinstance(seen[-1], JobPaused)  # in flight: saved
    assert len(window.store.saved_parts(record.id).lessons) == 3
    assert dialog.resumeButton.isVisible() and not dialog.cancelButton.isVisible()
    qtbot.waitUntil(lambda: _history_status(window, record.id) == "Paused", timeout=5000)
    close_and_wait(qtbot, window)  # no job runs any more: the window just closes

    again = open_engine_window(qtbot)  # a paused job survives a restart of the app
    try:
        qtbot.waitUntil(lambda: _history_status(again, record.id) == "Paused", timeout=5000)
        again.resume_job(record.id)
        progress = again._dialogs[record.id]
        qtbot.waitUntil(lambda: progress.state.status == JobStatus.COMPLETED, timeout=60_000)
        assert lesson_requests(fake_api) == 5  # the three saved lessons were not requested again
    finally:
        close_window(qtbot, again)


def test_coursegen_pause_and_resume_talk_to_the_app(qtbot, fake_api: FakeMessagesAPI, material: Path) -> None:  # noqa: ANN001
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "coursegen_desktop.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ))

    result = cli("pause", "0123abcd")
    assert result.returncode == 2 and "no job with id" in result.stderr  # not a job at all
    window = open_engine_window(qtbot)
    try:
        record = window.job_manager.submit(five_lessons(material))
        seen = record_events(window, record.id)
        qtbot.waitUntil(lambda: any(isinstance(e, TopicStarted) for e in seen), timeout=60_000)
        result = cli("pause", record.id[:6])
        assert result.returncode == 0, result.stderr
        assert "Pausing job" in result.stdout
        qtbot.waitUntil(lambda: window.store.get_job(record.id).status == JobStatus.PAUSED, timeout=30_000)

        result = cli("resume", record.id, "--json")  # the app is open: its engine continues the job
        assert result.returncode == 0, result.stderr
        types = [json.loads(line)["type"] for line in result.stdout.splitlines()]
        assert types[0] == "JobQueued" and types[-1] == "JobCompleted"
        assert lesson_requests(fake_api) == 5  # every lesson requested once: paused ones were saved
        assert window.store.get_job(record.id).status == JobStatus.COMPLETED
    finally:
        close_window(qtbot, window)
    result = cli("pause", record.id)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1  # a finished job, or no app: one sentence
