"""The Analytics view's four charts, drawn with QtCharts (PySide6-Addons).

Imported only when the Analytics view first shows figures: loading QtCharts and its libraries
(~2-6 ms here, a few MiB) is no cost the window's start-up should pay. Colours come from the widget's palette, so the charts follow
the system's light or dark mode; the series colours are mid-tones readable on both.
"""

from __future__ import annotations

from PySide6.QtCharts import (
    QAreaSeries,
    QBarCategoryAxis,
    QCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QWidget

from coursegen_desktop.core.analytics import Stats

OUTCOME_COLOURS = {"completed": "#2e9d5b", "failed": "#d9534f", "cancelled": "#8a8f98"}
SERIES_COLOURS = ("#3b82f6", "#f59e0b", "#a855f7", "#14b8a6", "#ef4444", "#84cc16")
MARK_COLOURS = {"P50": "#2e9d5b", "P95": "#f59e0b", "P99": "#d9534f"}
MAX_DAYS = 31  # the newest days shown in the per-day charts


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


class Chart(QChartView):
    """One titled chart that repaints itself in the widget palette."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumSize(340, 250)
        self._chart = QChart()
        self._chart.setTitle(title)
        self._chart.setMargins(QMargins(4, 4, 4, 4))
        self._chart.setBackgroundRoundness(4)
        self._chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.setChart(self._chart)
        self._kept: list[object] = []  # series a QAreaSeries points to but does not own
        self.apply_palette()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override: four charts fit a laptop screen
        return QSize(520, 320)

    @property
    def chart_(self) -> QChart:
        return self._chart

    def clear(self) -> None:
        chart = self._chart
        chart.removeAllSeries()
        self._kept.clear()
        for axis in chart.axes():
            chart.removeAxis(axis)

    def apply_palette(self) -> None:
        """Background, title, labels and grid from the palette (light or dark)."""
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        chart = self._chart
        chart.setBackgroundBrush(palette.color(QPalette.ColorRole.Base))
        chart.setBackgroundPen(QPen(palette.color(QPalette.ColorRole.Mid)))
        chart.setTitleBrush(text)
        title_font = QFont(self.font())
        title_font.setBold(True)
        chart.setTitleFont(title_font)
        chart.legend().setLabelColor(text)
        grid = QColor(palette.color(QPalette.ColorRole.Mid))
        grid.setAlpha(110)
        for axis in chart.axes():
            axis.setLabelsColor(text)
            axis.setLinePenColor(palette.color(QPalette.ColorRole.Mid))
            axis.setGridLineColor(grid)
            axis.setTitleBrush(text)
        self.setBackgroundBrush(palette.color(QPalette.ColorRole.Window))

    def attach(self, series: object, x_axis: object, y_axis: object) -> None:
        chart = self._chart
        chart.addSeries(series)
        if x_axis not in chart.axes():
            chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        if y_axis not in chart.axes():
            chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x_axis)  # type: ignore[attr-defined]
        series.attachAxis(y_axis)  # type: ignore[attr-defined]


def _value_axis(title: str, maximum: float, label_format: str = "%.0f") -> QValueAxis:
    axis = QValueAxis()
    axis.setTitleText(title)
    axis.setRange(0, maximum if maximum > 0 else 1)
    axis.setLabelFormat(label_format)
    axis.applyNiceNumbers()
    return axis


def _day_axis(days: list[str]) -> QCategoryAxis:
    """A value axis over the bar indexes with MM-DD under every few bars: a category axis would
    give each day a bar-wide slot and elide every label to "…"."""
    step = max(1, -(-len(days) // 7))
    axis = QCategoryAxis()
    axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    axis.setRange(-0.5, max(len(days), 1) - 0.5)
    axis.setStartValue(-0.5)
    for index in range(0, len(days), step):
        axis.append(days[index][5:], index)
    axis.setGridLineVisible(False)
    return axis


def _bar_set(label: str, colour: str, values: list[float]) -> QBarSet:
    bar_set = QBarSet(label)
    bar_set.setColor(QColor(colour))
    bar_set.setBorderColor(QColor(colour))
    bar_set.append(values)
    return bar_set


def fill_jobs_per_day(view: Chart, stats: Stats) -> None:
    view.clear()
    days = stats.days[-MAX_DAYS:]
    series = QStackedBarSeries()
    for outcome, colour in OUTCOME_COLOURS.items():
        series.append(_bar_set(outcome.capitalize(), colour, [float(getattr(day, outcome)) for day in days]))
    peak = max((day.completed + day.failed + day.cancelled for day in days), default=0)
    view.attach(series, _day_axis([day.day for day in days]), _value_axis("jobs", peak))
    view.apply_palette()


def fill_cost_per_day(view: Chart, stats: Stats) -> None:
    view.clear()
    days = stats.days[-MAX_DAYS:]
    models = sorted(stats.cost_by_model, key=stats.cost_by_model.__getitem__, reverse=True)
    series = QStackedBarSeries()
    for index, model in enumerate(models or ["(no cost)"]):
        values = [day.cost_by_model.get(model, 0.0) for day in days]
        series.append(_bar_set(model, SERIES_COLOURS[index % len(SERIES_COLOURS)], values))
    peak = max((sum(day.cost_by_model.values()) for day in days), default=0.0)
    view.attach(series, _day_axis([day.day for day in days]), _value_axis("USD", peak, "$%.2f"))
    view.apply_palette()


def fill_durations(view: Chart, stats: Stats) -> None:
    """A histogram of completed jobs' run time, with P50/P95/P99 as vertical lines."""
    view.clear()
    counts = stats.duration_histogram  # counted off the GUI thread, in core
    top = stats.durations[-1] if stats.durations else 1.0
    minutes = top >= 180
    scale = 60.0 if minutes else 1.0
    width = max(top / scale, 1e-6) / len(counts)
    upper = QLineSeries()
    for index, count in enumerate(counts):
        upper.append(QPointF(index * width, count))
        upper.append(QPointF((index + 1) * width, count))
    area = QAreaSeries(upper)
    view._kept.append(upper)  # noqa: SLF001 - the area draws from it and must not outlive it
    area.setName("Completed jobs")
    colour = QColor(SERIES_COLOURS[0])
    area.setPen(QPen(colour, 1.5))
    fill = QColor(colour)
    fill.setAlpha(120)
    area.setBrush(fill)
    x_axis = _value_axis("run time (min)" if minutes else "run time (s)", len(counts) * width, "%.1f" if width * len(counts) < 10 else "%.0f")
    peak = max(counts, default=0)
    y_axis = _value_axis("jobs", peak)
    view.attach(area, x_axis, y_axis)
    for key, colour_name in MARK_COLOURS.items():
        value = stats.duration_s.get(key.lower())
        if value is None:
            continue
        mark = QLineSeries()
        mark.setName(f"{key} {value / scale:.1f} {'min' if minutes else 's'}")
        mark.setPen(QPen(QColor(colour_name), 2, Qt.PenStyle.DashLine))
        mark.append(QPointF(value / scale, 0))
        mark.append(QPointF(value / scale, y_axis.max()))
        view.attach(mark, x_axis, y_axis)
    view.apply_palette()


def fill_steps(view: Chart, stats: Stats) -> None:
    """P50 and P95 seconds of every step, one row per step in pipeline order."""
    view.clear()
    steps = list(reversed(stats.steps))  # a horizontal bar chart draws upwards: prepare on top
    series = QHorizontalBarSeries()
    for key, colour in (("p50", SERIES_COLOURS[0]), ("p95", SERIES_COLOURS[1])):
        series.append(_bar_set(key.upper(), colour, [float(stats.steps[step][key] or 0.0) for step in steps]))
    names = QBarCategoryAxis()
    names.append(steps)
    peak = max((figures["p95"] or 0.0 for figures in stats.steps.values()), default=0.0)
    chart = view.chart_
    chart.addSeries(series)
    seconds = _value_axis("seconds", peak, "%.1f" if peak < 10 else "%.0f")
    chart.addAxis(seconds, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(names, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(seconds)
    series.attachAxis(names)
    view.apply_palette()
