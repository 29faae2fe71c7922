"""How long can the GUI thread stall while jobs stream? Prints JSON, writes benchmarks/results/gui.json.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui_responsiveness.py

A 10 ms QTimer ticks on the GUI thread of a real MainWindow while two jobs run through the real
JobManager, each with its progress window open; the longest gap between ticks is the worst
freeze a user would feel. Scenarios:

- fast_stream: lessons stream ~1,000 text deltas a second each (far faster than a real model).
- cpu_bound_stream: deltas with no pause at all, so both worker threads never wait (worst case).
- offline: the real offline generator on the sample material (CPU-bound, short).
- open_two_dialogs: the stall while the two progress windows are created and first painted.

Figures depend on the machine and its load: the JSON records CPU count and load average.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["COURSEGEN_DATA_DIR"] = tempfile.mkdtemp(prefix="coursegen-bench-")
os.environ["COURSEGEN_NO_KEYRING"] = "1"

import PySide6  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from coursegen_desktop.core.generators.factory import make_generator  # noqa: E402
from coursegen_desktop.core.models import CourseRequest, JobStatus, make_request  # noqa: E402
from coursegen_desktop.gui.main_window import MainWindow  # noqa: E402
from coursegen_desktop.gui.resources import sample_material  # noqa: E402
from coursegen_desktop.gui.tasks import MainThreadGC  # noqa: E402
from tests.gui.streaming_generator import StreamingGenerator  # noqa: E402

RUNS = 3


class Ticks:
    def __init__(self) -> None:
        self.stamps: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: self.stamps.append(time.perf_counter()))

    def start(self) -> None:
        self.stamps = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        self.stamps.append(time.perf_counter())
        return [b - a for a, b in zip(self.stamps, self.stamps[1:], strict=False)]


def spin_until(predicate: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("benchmark: timed out")
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def scenario(window: MainWindow, make: Callable[[CourseRequest], object], request: CourseRequest) -> dict[str, float]:
    window._factory = make  # the manager reads it through its own reference: set both
    assert window.job_manager is not None
    window.job_manager._factory = make
    ticks = Ticks()
    ticks.start()
    dialogs = [window.show_progress(window.job_manager.submit(request).id) for _ in range(2)]
    opening = ticks.stop()
    ticks.start()
    started = time.perf_counter()
    spin_until(lambda: all(d is not None and d.state.status.is_finished for d in dialogs))
    gaps = ticks.stop()
    assert all(d is not None and d.state.status == JobStatus.COMPLETED for d in dialogs)
    for dialog in dialogs:
        if dialog is not None:
            dialog.close()
    gaps.sort()
    return {
        "longest_gap_ms": round(gaps[-1] * 1000, 1),
        "p99_gap_ms": round(gaps[max(0, int(len(gaps) * 0.99) - 1)] * 1000, 1),
        "median_gap_ms": round(statistics.median(gaps) * 1000, 1),
        "ticks": len(gaps),
        "jobs_seconds": round(time.perf_counter() - started, 2),
        "open_two_dialogs_ms": round(max(opening) * 1000, 1),
    }


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    collector = MainThreadGC(parent=app)  # as the app does: collections (and their pauses) on the GUI thread  # noqa: F841
    window = MainWindow(generator_factory=make_generator)
    window.show()
    window.start()
    spin_until(lambda: window.job_manager is not None)
    samples = tuple(sample_material())
    small = make_request(topic="Benchmark", material=samples, modules=3, lessons_per_module=3)
    scenarios = {
        "fast_stream": (lambda r: StreamingGenerator(deltas=400, pause=0.001), small),
        "cpu_bound_stream": (lambda r: StreamingGenerator(deltas=3000, pause=0.0), small),
        "offline": (make_generator, make_request(topic="Benchmark", material=samples, modules=4, lessons_per_module=3)),
    }
    load_before = os.getloadavg()[0]
    results: dict[str, object] = {}
    for name, (make, request) in scenarios.items():
        runs = [scenario(window, make, request) for _ in range(RUNS)]
        longest = [run["longest_gap_ms"] for run in runs]
        results[name] = {
            "longest_gap_ms_worst_run": max(longest),
            "longest_gap_ms_median_run": statistics.median(longest),
            "longest_gap_ms_each_run": longest,
            "p99_gap_ms_worst_run": max(run["p99_gap_ms"] for run in runs),
            "median_gap_ms": statistics.median(run["median_gap_ms"] for run in runs),
            "jobs_seconds": statistics.median(run["jobs_seconds"] for run in runs),
            "open_two_dialogs_ms_worst_run": max(run["open_two_dialogs_ms"] for run in runs),
        }
    manager = window.job_manager
    assert manager is not None
    manager.shutdown(keep_for_resume=False)
    manager.wait_stopped(10_000)
    spin_until(lambda: not manager._bag)
    window.close()
    if window.store is not None:
        window.store.close()
    report = {
        "benchmark": "gui_responsiveness",
        "what": "longest gap between 10 ms QTimer ticks on the GUI thread while 2 jobs run with their progress windows open (3 runs each)",
        "budget_ms": 100,
        "scenarios": results,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1m_before": round(load_before, 2),
            "python": platform.python_version(),
            "pyside6": PySide6.__version__,
            "qpa": os.environ.get("QT_QPA_PLATFORM"),
            "gil_switch_interval_s": sys.getswitchinterval(),
        },
    }
    text = json.dumps(report, indent=2)
    print(text)
    out = ROOT / "benchmarks" / "results" / "gui.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
