"""The Analytics view: tiles against the targets, the empty state, CSV export, dark palette, and
View → Analytics (Ctrl+Shift+A) in the main window."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QLabel

from coursegen_desktop.core.models import make_request
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui import tasks
from coursegen_desktop.gui.analytics_view import EMPTY_TEXT, GOOD, AnalyticsView
from tests.helpers.history import FakeJob, write_history
from tests.unit.test_analytics import known_history

pytestmark = pytest.mark.gui


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    store = Store.open(data_dir, recover=False)
    yield store
    tasks.wait_for_background(5000)  # the view's summaries may still be reading
    store.close()


def recent_history() -> list[FakeJob]:
    """The known history, moved to the last few days so that "Last 30 days" shows it."""
    jobs = known_history()[:8]
    shift = time.time() - 2 * 86400 - jobs[-1].start
    for job in jobs:
        job.start += shift
    return jobs


def open_view(qtbot, store: Store) -> AnalyticsView:  # noqa: ANN001
    view = AnalyticsView(store)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.reload()
    return view


def test_tiles_show_the_figures_against_the_targets(qtbot, store: Store) -> None:  # noqa: ANN001
    write_history(store, recent_history())
    view = open_view(qtbot, store)
    assert view.objectName() == "analyticsView"
    success = view.findChild(type(view.tiles["success_rate"]), "tile_success_rate")
    assert success is view.tiles["success_rate"]
    assert success.valueLabel.text() == "50.0 %"
    assert "target ≥ 95 %" in success.captionLabel.text() and "4 of 8 jobs" in success.captionLabel.text()
    assert success.meets_target is False  # 50 % is below the seed's 95 %
    eta = view.tiles["eta_error"]
    assert eta.valueLabel.text() == "20.0 %" and eta.meets_target is True and GOOD in eta.valueLabel.styleSheet()
    assert view.tiles["reconnect_success_rate"].valueLabel.text() == "66.7 %"
    assert view.tiles["retry_rate"].valueLabel.text() == "16.7 %"
    assert view.tiles["duration"].valueLabel.text() == "100.0 s / 5.0 min"
    assert view.tiles["cost_usd"].valueLabel.text() == "$0.47"
    assert view.tiles["cancel_rate"].meets_target is None  # no target: no colour
    assert view.stack.currentIndex() == 1 and not view.emptyLabel.isVisible()
    assert set(view.charts) == {"jobs", "durations", "cost", "steps"}
    assert all(chart.chart_.series() for chart in view.charts.values())  # no empty chart


def test_generator_filter_recomputes(qtbot, store: Store) -> None:  # noqa: ANN001
    write_history(store, recent_history())
    view = open_view(qtbot, store)
    with qtbot.waitSignal(view.loaded, timeout=10_000) as blocker:
        view.generatorBox.setCurrentIndex(view.generatorBox.findData("offline"))
    assert blocker.args[0].jobs == 2
    assert view.tiles["retry_rate"].valueLabel.text() == "–"
    cost_note = view.findChild(QLabel, "chartEmpty_cost")  # offline jobs cost nothing: a sentence, not an empty chart
    assert cost_note is not None and cost_note.isVisible() and "offline jobs are free" in cost_note.text()
    assert view.charts["jobs"].isVisible()


def test_empty_state_is_one_sentence(qtbot, store: Store) -> None:  # noqa: ANN001
    view = open_view(qtbot, store)
    assert view.emptyLabel.isVisible() and view.emptyLabel.text() == EMPTY_TEXT
    assert not view.exportCsvButton.isEnabled()
    assert not view.charts  # QtCharts is not even needed for an empty history


def test_all_time_counts_every_ended_job(qtbot, store: Store) -> None:  # noqa: ANN001
    write_history(store, known_history())  # fixed days in November 2026, whatever "now" is
    view = open_view(qtbot, store)
    with qtbot.waitSignal(view.loaded, timeout=10_000) as blocker:
        view.periodBox.setCurrentIndex(view.periodBox.findData(None))  # All time
    assert blocker.args[0].jobs == 9 and view.stack.currentIndex() == 1


def test_csv_export_writes_every_headline_figure(qtbot, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    write_history(store, recent_history())
    view = open_view(qtbot, store)
    target = tmp_path / "figures.csv"
    monkeypatch.setattr("coursegen_desktop.gui.analytics_view.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), ""))
    assert view.exportCsvButton.isEnabled()
    with qtbot.waitSignal(view.exported, timeout=10_000):
        view.exportCsvButton.click()
    rows = {(row["figure"], row["key"]): row["value"] for row in csv.DictReader(target.open(encoding="utf-8"))}
    assert rows[("success_rate", "")] == "0.5"
    assert rows[("eta_error_pct", "at_50")] == "20.0"
    assert rows[("failures_by_kind", "rate_limit")] == "1"
    assert "Exported to" in view.statusLabel.text()


def test_csv_export_failure_is_one_sentence(qtbot, store: Store, tmp_path: Path) -> None:  # noqa: ANN001
    write_history(store, recent_history())
    view = open_view(qtbot, store)
    with qtbot.waitSignal(view.failed, timeout=10_000) as blocker:
        view.export_csv(tmp_path / "no-such-folder" / "figures.csv")
    message = blocker.args[0]
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message


def test_charts_follow_a_dark_palette(qtbot, store: Store) -> None:  # noqa: ANN001
    write_history(store, recent_history())
    view = open_view(qtbot, store)
    dark = QPalette(view.palette())
    dark.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#2b2c2f"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e8eaed"))
    view.setPalette(dark)
    QApplication.processEvents()
    chart = view.charts["jobs"].chart_
    assert chart.backgroundBrush().color() == QColor("#2b2c2f")
    assert chart.titleBrush().color() == QColor("#e8eaed")
    assert all(axis.labelsColor() == QColor("#e8eaed") for axis in chart.axes())


def test_view_menu_opens_analytics_with_ctrl_shift_a(qtbot, window) -> None:  # noqa: ANN001
    action = window.analyticsAction
    assert action.shortcut() == QKeySequence("Ctrl+Shift+A")
    action.trigger()
    view = window.findChild(AnalyticsView, "analyticsView")
    assert view is not None and view.isVisible()
    qtbot.waitUntil(lambda: view.stats is not None, timeout=10_000)
    assert view.emptyLabel.isVisible()  # a fresh history
    action.trigger()  # a second time raises the same window
    assert window.findChildren(AnalyticsView) == [view]
    qtbot.waitUntil(lambda: not view._loading, timeout=10_000)
    with qtbot.waitSignal(view.loaded, timeout=20_000, check_params_cb=lambda stats: stats.jobs == 1):
        window.job_manager.submit(make_request(topic="Cells", modules=1, lessons_per_module=1))  # a job ends while the view is open
    assert view.tiles["success_rate"].valueLabel.text() == "100.0 %"


def test_the_app_starts_without_loading_qtcharts() -> None:
    """QtCharts is loaded when the Analytics view first shows figures, not at start-up."""
    import subprocess
    import sys

    code = (
        "import sys; import coursegen_desktop.gui.app, coursegen_desktop.gui.main_window; "
        "sys.exit(1 if 'PySide6.QtCharts' in sys.modules or 'coursegen_desktop.gui.analytics_view' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
