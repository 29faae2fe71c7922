"""File → Bulk courses…: plan, cost at batch prices, submit, and the app's poller finishing the
courses in the history, against the fake Message Batches API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from coursegen_desktop.core.generators.factory import make_generator
from coursegen_desktop.gui.batch_poller import BatchPoller
from coursegen_desktop.gui.bulk_dialog import BulkCoursesDialog, open_bulk_courses
from coursegen_desktop.gui.history_model import STATUS
from tests.fakes import DEFAULT_KEY
from tests.fakes.batches_api import FakeBatchesAPI
from tests.gui.conftest import close_window, open_window


@pytest.fixture
def batch_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBatchesAPI]:
    with FakeBatchesAPI(batch_seconds=0.3) as api:  # three rounds: long enough to look at a Batched job
        monkeypatch.setenv("ANTHROPIC_API_KEY", DEFAULT_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.setenv("COURSEGEN_BATCH_POLL_S", "0.2")
        yield api


def statuses(window) -> dict[str, str]:  # noqa: ANN001
    model = window.history_model
    return {model.index(row, 0).data(Qt.ItemDataRole.UserRole + 1).topic: model.index(row, STATUS).data() for row in range(model.rowCount())}


def test_bulk_courses_are_planned_submitted_and_finished_by_the_poller(qtbot, batch_api: FakeBatchesAPI, tmp_path: Path) -> None:  # noqa: ANN001
    window = open_window(qtbot, make_generator)
    try:
        open_bulk_courses(window)
        dialog = window.findChild(BulkCoursesDialog)
        assert dialog is not None and not dialog.submitButton.isEnabled()
        dialog.modulesSpin.setValue(1)
        dialog.lessonsSpin.setValue(2)
        dialog.topicsEdit.setPlainText("Photosynthesis\nThe water cycle\n")
        qtbot.waitUntil(lambda: dialog.submitButton.isEnabled(), timeout=5000)
        assert dialog.planLabel.text().startswith("2 course(s): 12 requests, about $") and "at batch prices" in dialog.planLabel.text()

        qtbot.mouseClick(dialog.submitButton, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(statuses(window)) == 2, timeout=5000)
        assert set(statuses(window).values()) <= {"Batched", "Completed"}
        qtbot.waitUntil(lambda: len(batch_api.batches) >= 1, timeout=5000)  # submitted now, or by the poller's next tick

        model = window.history_model
        job_ids = [model.index(row, 0).data(Qt.ItemDataRole.UserRole + 1).id for row in range(model.rowCount())]
        batched = next(r for r in (window.store.get_job(j) for j in job_ids) if r.status.value == "batched")
        progress = window.show_progress(batched.id)
        qtbot.waitUntil(lambda: progress.statusLabel.text().startswith("Batched: "), timeout=5000)
        assert "Results come within 24 hours" in progress.statusLabel.text() and not progress.cancelButton.isVisible()
        qtbot.waitUntil(lambda: set(statuses(window).values()) == {"Completed"}, timeout=30_000)
        assert not batch_api.messages()  # every part came from a batch
    finally:
        window.findChild(BatchPoller).stop()
        close_window(qtbot, window)


def test_a_bad_list_is_one_sentence(qtbot, batch_api: FakeBatchesAPI, tmp_path: Path) -> None:  # noqa: ANN001
    window = open_window(qtbot, make_generator)
    try:
        open_bulk_courses(window)
        dialog = window.findChild(BulkCoursesDialog)
        bad = tmp_path / "term.csv"
        bad.write_text("name\nPhotosynthesis\n", encoding="utf-8")
        dialog.open_list(bad)
        qtbot.waitUntil(lambda: "header row with a 'topic' column" in dialog.planLabel.text(), timeout=5000)
        assert not dialog.submitButton.isEnabled()
    finally:
        window.findChild(BatchPoller).stop()
        close_window(qtbot, window)
