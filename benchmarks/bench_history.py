"""The history with 50,000 jobs: how soon the window shows it, and what a page or a filter costs.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_history.py

- window_shown_ms: MainWindow built and shown (the history is not read on the GUI thread).
- first_page_in_table_ms: from `start()` (open the store, read the first page on a pool thread)
  until the first page is in the table (`history_loaded`), median of RUNS fresh windows.
- longest_gui_stall_ms: longest gap between 10 ms GUI-thread timer ticks over that time.
- store_*_ms: one page straight from the store (first, at row 40,000, a filter that matches one
  job, a filter that matches none, a status), and the old read of the newest 500 for comparison.

Prints JSON and writes benchmarks/results/history.json. For comparison, the same window
measure on 081eb02 (which read the newest 500 jobs into a sorted proxy model and could not reach
the rest) gave, on this 2-core machine under load: window_shown_ms 23.9, first_page_in_table_ms
91.5 (500 rows), longest_gui_stall_ms 52.2.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["COURSEGEN_DATA_DIR"] = tempfile.mkdtemp(prefix="coursegen-bench-history-")
os.environ["COURSEGEN_NO_KEYRING"] = "1"
os.environ.pop("ANTHROPIC_API_KEY", None)

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from coursegen_desktop.core.history import PAGE_SIZE, HistoryQuery  # noqa: E402
from coursegen_desktop.core.models import JobStatus  # noqa: E402
from coursegen_desktop.core.store import Store  # noqa: E402
from coursegen_desktop.gui import tasks  # noqa: E402
from coursegen_desktop.gui.main_window import MainWindow  # noqa: E402
from coursegen_desktop.gui.settings import Settings  # noqa: E402
from tests.helpers import big_history  # noqa: E402

JOBS = 50_000
RUNS = 5


def _ms(fn, repeat: int = 20) -> float:  # noqa: ANN001
    best = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best.append(time.perf_counter() - started)
    return round(statistics.median(best) * 1000, 2)


def store_figures() -> dict[str, float]:
    store = Store.open()
    deep = store.history_page()
    for _ in range(40_000 // PAGE_SIZE - 1):
        deep = store.history_page(None, deep.next)
    figures = {
        "store_first_page_ms": _ms(lambda: store.history_page()),
        "store_page_at_row_40000_ms": _ms(lambda: store.history_page(None, deep.next)),
        "store_filter_one_match_ms": _ms(lambda: store.history_page(HistoryQuery(text="topic 40000")), 5),
        "store_filter_no_match_ms": _ms(lambda: store.history_page(HistoryQuery(text="no such topic")), 5),
        "store_filter_status_failed_ms": _ms(lambda: store.history_page(HistoryQuery(status=JobStatus.FAILED))),
        "store_old_list_newest_500_ms": _ms(lambda: store.list_jobs(limit=500), 5),
    }
    store.close()
    return figures


def window_figures(app: QApplication) -> dict[str, float]:
    shown, loaded, stalls = [], [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        window = MainWindow(Settings())
        window.show()
        app.processEvents()
        shown.append(time.perf_counter() - started)
        stamps = [time.perf_counter()]
        ticker = QTimer()
        ticker.setInterval(10)
        ticker.timeout.connect(lambda: stamps.append(time.perf_counter()))
        ticker.start()
        loop = QEventLoop()
        window.history_loaded.connect(loop.quit)
        started = time.perf_counter()
        window.start()
        loop.exec()
        loaded.append(time.perf_counter() - started)
        stamps.append(time.perf_counter())
        ticker.stop()
        stalls.append(max(b - a for a, b in zip(stamps, stamps[1:], strict=False)))
        assert window.history_model.rowCount() == PAGE_SIZE
        window.close()
        tasks.wait_for_background(5000)
        window.store.close()
        window.deleteLater()
        app.processEvents()
    return {
        "window_shown_ms": round(statistics.median(shown) * 1000, 1),
        "first_page_in_table_ms": round(statistics.median(loaded) * 1000, 1),
        "first_page_in_table_ms_each_run": [round(value * 1000, 1) for value in loaded],
        "longest_gui_stall_ms_worst_run": round(max(stalls) * 1000, 1),
    }


def main() -> dict[str, object]:
    app = QApplication.instance() or QApplication(sys.argv)
    store = Store.open()
    big_history.fill(store, JOBS)
    store.close()
    result: dict[str, object] = {
        "benchmark": "history",
        "jobs_in_history": JOBS,
        "page_size": PAGE_SIZE,
        **window_figures(app),
        **store_figures(),
        "machine": {"cpus": os.cpu_count(), "load_average_1m_before": round(os.getloadavg()[0], 2), "python": platform.python_version()},
    }
    out = Path(__file__).with_name("results") / "history.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
