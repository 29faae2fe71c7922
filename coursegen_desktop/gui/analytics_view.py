"""View → Analytics: the history's headline figures as tiles against the seed's targets, four
charts, and a CSV export. The figures come from `core.analytics.compute`, run on the background
pool (it may summarise newly ended jobs first); the window never waits for SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from coursegen_desktop.core.analytics import ETA_ERROR_TARGET_PCT, SUCCESS_TARGET, Period, Stats, compute, export_csv
from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.store import Store
from coursegen_desktop.gui.tasks import run_in_background

EMPTY_TEXT = "No job has ended in this period yet: generate a course and its figures will appear here."
PERIODS = (("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90), ("All time", None))
GENERATORS = (("All generators", None), ("Claude", "claude"), ("Offline", "offline"))
GOOD, BAD = "#2e9d5b", "#d9534f"
# (key, title, the sentence shown instead of an empty chart)
CHARTS = (
    ("jobs", "Jobs per day by outcome", "No job ended in this period."),
    ("durations", "Run time of completed jobs", "No job completed in this period, so there are no run times to show."),
    ("cost", "Cost per day by model", "Nothing was spent in this period: offline jobs are free."),
    ("steps", "Step durations (P50 / P95)", "No step finished in this period."),
)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def _secs(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


@dataclass(frozen=True)
class TileSpec:
    key: str
    title: str
    value: Callable[[Stats], str]
    caption: Callable[[Stats], str]
    good: Callable[[Stats], bool | None] = lambda stats: None  # None: no target


TILES: tuple[TileSpec, ...] = (
    TileSpec("success_rate", "Success rate", lambda s: _pct(s.success_rate),
             lambda s: f"target ≥ {SUCCESS_TARGET * 100:.0f} % · {s.completed} of {s.jobs} jobs",
             lambda s: None if s.success_rate is None else s.success_rate >= SUCCESS_TARGET),
    TileSpec("cancel_rate", "Cancelled", lambda s: _pct(s.cancel_rate), lambda s: f"{s.cancelled} of {s.jobs} jobs"),
    TileSpec("failure_rate", "Failed", lambda s: _pct(s.failure_rate),
             lambda s: ", ".join(f"{kind.replace('_', ' ')} {count}" for kind, count in list(s.failures_by_kind.items())[:3]) or "no failures"),
    TileSpec("retry_rate", "Retries per API call", lambda s: _pct(s.retry_rate), lambda s: f"{s.api_calls} API calls"),
    TileSpec("reconnect_success_rate", "Reconnect success", lambda s: _pct(s.reconnect_success_rate),
             lambda s: f"{s.drop_jobs} jobs met a network drop" if s.drop_jobs else "no network drops"),
    TileSpec("duration", "Duration P50 / P95", lambda s: f"{_secs(s.duration_s['p50'])} / {_secs(s.duration_s['p95'])}",
             lambda s: f"P99 {_secs(s.duration_s['p99'])} · first lesson text {_secs(s.first_text_s['p50'])}"),
    TileSpec("eta_error", "ETA error at 50 %", lambda s: "–" if s.eta_error_pct["at_50"] is None else f"{s.eta_error_pct['at_50']:.1f} %",
             lambda s: f"target ≤ {ETA_ERROR_TARGET_PCT:.0f} % · at 25 % {_fmt_pct(s.eta_error_pct['at_25'])}, at 75 % {_fmt_pct(s.eta_error_pct['at_75'])}",
             lambda s: None if s.eta_error_pct["at_50"] is None else s.eta_error_pct["at_50"] <= ETA_ERROR_TARGET_PCT),
    TileSpec("cost_usd", "Cost", lambda s: f"${s.cost_usd:.2f}",
             lambda s: f"{s.tokens['input'] + s.tokens['output'] + s.tokens['cache_read'] + s.tokens['cache_write']:,} tokens"),
    TileSpec("cache_read_share", "Prompt read from cache", lambda s: _pct(s.cache_read_share),
             lambda s: f"{s.tokens['cache_read']:,} of {s.tokens['input'] + s.tokens['cache_read'] + s.tokens['cache_write']:,} input tokens"),
)


def _fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} %"


class Tile(QFrame):
    """One headline figure: title, big value, a caption; a coloured edge when it has a target."""

    def __init__(self, spec: TileSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.setObjectName(f"tile_{spec.key}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        self.titleLabel = QLabel(spec.title)
        self.valueLabel = QLabel("–")
        self.valueLabel.setObjectName("value")
        font = self.valueLabel.font()
        font.setPointSizeF(font.pointSizeF() * 1.7)
        font.setBold(True)
        self.valueLabel.setFont(font)
        self.captionLabel = QLabel()
        self.captionLabel.setWordWrap(True)
        for label in (self.titleLabel, self.valueLabel, self.captionLabel):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label)
        self.meets_target: bool | None = None
        self._palette = QPalette(self.palette())
        self.restyle()

    def show_stats(self, stats: Stats) -> None:
        self.valueLabel.setText(self.spec.value(stats))
        self.captionLabel.setText(self.spec.caption(stats))
        self.meets_target = self.spec.good(stats)
        self.restyle()

    def restyle(self, palette: QPalette | None = None) -> None:
        """Colours from the window's palette (light or dark), written out in the style sheet:
        `palette(...)` in a style sheet keeps the colours of the moment it was set, and a styled
        frame no longer inherits palette changes."""
        if palette is not None:
            self._palette = QPalette(palette)
        palette = self._palette
        base, mid = palette.color(QPalette.ColorRole.Base).name(), palette.color(QPalette.ColorRole.Mid).name()
        text, muted = palette.color(QPalette.ColorRole.WindowText).name(), palette.color(QPalette.ColorRole.PlaceholderText).name()
        edge = mid if self.meets_target is None else (GOOD if self.meets_target else BAD)
        self.setStyleSheet(
            f"QFrame#{self.objectName()} {{ border: 1px solid {mid}; border-left: 4px solid {edge};"
            f" border-radius: 6px; background: {base}; }}"
        )
        for label in (self.titleLabel, self.captionLabel):
            label.setStyleSheet(f"color: {muted};")
        value_colour = text if self.meets_target is None else (GOOD if self.meets_target else BAD)
        self.valueLabel.setStyleSheet(f"color: {value_colour};")


class AnalyticsView(QWidget):
    """Signals:
    loaded(object): new figures are shown (the `Stats`).
    exported(str): the CSV file was written (its path).
    failed(str): the figures or the export could not be made (one sentence, also shown in the view).
    """

    loaded = Signal(object)
    exported = Signal(str)
    failed = Signal(str)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("analyticsView")
        self.setWindowTitle("Analytics — CourseGen Desktop")
        self.resize(1100, 820)
        self.store = store
        self.stats: Stats | None = None
        self._loading = False
        self._reload_again = False
        self._build()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.periodBox = QComboBox()
        self.periodBox.setObjectName("periodBox")
        for text, days in PERIODS:
            self.periodBox.addItem(text, days)
        self.periodBox.setCurrentIndex(1)
        self.generatorBox = QComboBox()
        self.generatorBox.setObjectName("generatorBox")
        for text, generator in GENERATORS:
            self.generatorBox.addItem(text, generator)
        self.refreshButton = QPushButton("Refresh")
        self.refreshButton.setObjectName("refreshButton")
        self.exportCsvButton = QPushButton("Export CSV…")
        self.exportCsvButton.setObjectName("exportCsvButton")
        self.exportCsvButton.setEnabled(False)
        self.statusLabel = QLabel()
        self.statusLabel.setObjectName("statusLabel")
        self.statusLabel.setStyleSheet(f"color: {self.palette().color(QPalette.ColorRole.PlaceholderText).name()};")
        for widget in (self.periodBox, self.generatorBox, self.refreshButton):
            bar.addWidget(widget)
        bar.addWidget(self.statusLabel, 1)
        bar.addWidget(self.exportCsvButton)
        outer.addLayout(bar)
        self.periodBox.currentIndexChanged.connect(self.reload)
        self.generatorBox.currentIndexChanged.connect(self.reload)
        self.refreshButton.clicked.connect(self.reload)
        self.exportCsvButton.clicked.connect(self.choose_csv_file)

        self.stack = QStackedWidget()
        self.emptyLabel = QLabel(EMPTY_TEXT)
        self.emptyLabel.setObjectName("emptyStateLabel")
        self.emptyLabel.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.emptyLabel.setWordWrap(True)
        self.stack.addWidget(self.emptyLabel)

        content = QWidget()
        grid = QVBoxLayout(content)
        grid.setContentsMargins(0, 0, 0, 0)
        tiles = QGridLayout()
        tiles.setSpacing(8)
        self.tiles: dict[str, Tile] = {}
        for index, spec in enumerate(TILES):
            tile = Tile(spec)
            self.tiles[spec.key] = tile
            tiles.addWidget(tile, index // 5, index % 5)
        grid.addLayout(tiles)
        self.chartsGrid = QGridLayout()
        self.chartsGrid.setSpacing(8)
        grid.addLayout(self.chartsGrid, 1)
        self.charts: dict[str, object] = {}  # made on the first figures: QtCharts loads only then
        self._chart_cells: dict[str, QStackedWidget] = {}
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.stack.addWidget(scroll)
        outer.addWidget(self.stack, 1)

    # -- figures ----------------------------------------------------------------------------------

    def period(self) -> Period:
        days = self.periodBox.currentData()
        since = None if days is None else date.today() - timedelta(days=days - 1)
        return Period.from_day(since, self.generatorBox.currentData())

    def reload(self) -> None:
        """Compute the figures for the chosen period on the pool; one computation at a time."""
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        self.statusLabel.setText("Counting…")
        run_in_background(compute, self.store, self.period(), on_done=self._show, on_error=self._failed, owner=self)

    def job_ended(self, _job_id: str = "") -> None:
        """A job ended: recount if the view is open (its figures include it)."""
        if self.isVisible():
            self.reload()

    def _show(self, stats: Stats) -> None:
        self._loading = False
        if self._reload_again:
            self._reload_again = False
            self.reload()
            return
        self.stats = stats
        self.exportCsvButton.setEnabled(not stats.is_empty)
        if stats.is_empty:
            self.stack.setCurrentWidget(self.emptyLabel)
            self.statusLabel.setText("")
        else:
            for tile in self.tiles.values():
                tile.show_stats(stats)
            self._fill_charts(stats)
            self.stack.setCurrentIndex(1)
            self.statusLabel.setText(f"{stats.jobs} jobs ended in this period")
        self.loaded.emit(stats)

    def _failed(self, error: Exception) -> None:
        self._loading = False
        message = error.message if isinstance(error, CourseGenError) else "The figures could not be computed; the details are in the log."
        self.statusLabel.setText(message)
        self.failed.emit(message)

    def _fill_charts(self, stats: Stats) -> None:
        """Draw the four charts; a chart with nothing to show says so in one sentence."""
        from coursegen_desktop.gui import analytics_charts as charts

        if not self.charts:
            for index, (key, title, _empty) in enumerate(CHARTS):
                view = charts.Chart(title)
                view.setObjectName(f"chart_{key}")
                note = QLabel()
                note.setObjectName(f"chartEmpty_{key}")
                note.setAlignment(Qt.AlignmentFlag.AlignCenter)
                note.setWordWrap(True)
                note.setFrameShape(QFrame.Shape.StyledPanel)
                cell = QStackedWidget()
                cell.addWidget(view)
                cell.addWidget(note)
                self.charts[key] = view
                self._chart_cells[key] = cell
                self.chartsGrid.addWidget(cell, index // 2, index % 2)
        has_data = {
            "jobs": bool(stats.days),
            "durations": bool(stats.durations),
            "cost": any(stats.cost_by_model.values()),
            "steps": bool(stats.steps),
        }
        fill = {"jobs": charts.fill_jobs_per_day, "durations": charts.fill_durations, "cost": charts.fill_cost_per_day, "steps": charts.fill_steps}
        for key, title, empty in CHARTS:
            cell = self._chart_cells[key]
            if has_data[key]:
                fill[key](self.charts[key], stats)
                cell.setCurrentIndex(0)
            else:
                note = cell.widget(1)
                note.setText(f"<b>{title}</b><br>{empty}")  # type: ignore[attr-defined]
                cell.setCurrentIndex(1)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """Follow the system palette (dark mode switched on or off while the view is open)."""
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange, QEvent.Type.StyleChange):
            for tile in self.tiles.values():
                tile.restyle(self.palette())
            self.statusLabel.setStyleSheet(f"color: {self.palette().color(QPalette.ColorRole.PlaceholderText).name()};")
            for view in self.charts.values():
                view.setPalette(self.palette())  # type: ignore[attr-defined]
                view.apply_palette()  # type: ignore[attr-defined]
        super().changeEvent(event)

    # -- CSV --------------------------------------------------------------------------------------

    def choose_csv_file(self) -> None:
        suggested = str(Path.home() / f"coursegen-analytics-{date.today():%Y-%m-%d}.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export the figures as CSV", suggested, "CSV files (*.csv)")
        if path:
            self.export_csv(Path(path))

    def export_csv(self, path: Path) -> None:
        """Write the figures now shown to `path` (on the pool)."""
        if self.stats is None:
            return
        run_in_background(export_csv, self.stats, path, on_done=lambda _=None: self._exported(path), on_error=self._export_failed, owner=self)

    def _exported(self, path: Path) -> None:
        self.statusLabel.setText(f"Exported to {path}")
        self.exported.emit(str(path))

    def _export_failed(self, error: Exception) -> None:
        message = error.message if isinstance(error, CourseGenError) else "The CSV file could not be written; the details are in the log."
        self.statusLabel.setText(message)
        self.failed.emit(message)
