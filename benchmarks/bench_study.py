"""Does reviewing 1,000 due cards ever block the GUI thread? Prints JSON, writes benchmarks/results/study.json.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_study.py

A course with 1,000 flashcards is stored and every card is reviewed once a month ago, so all
1,000 are review cards due now. The real Study window then reviews them all as fast as a
script can press keys (Space shows the answer, 3 rates Good; the next press waits for the next
card). A 5 ms QTimer ticks on the GUI thread throughout; the longest gap between ticks is the
worst freeze a user would feel. Also recorded: the round trip from the key press to the next
card on screen, and how long each background step (record the review, pick the next card,
count what is left) takes on its pool thread, which is what the GUI thread would block for per
key press if the SQL ran on it. Before each run the same ticker runs for 2 s with the window idle:
its longest gap is what the machine's load alone costs (other processes on 2 shared cores), so a
run's figure can be read against it.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["COURSEGEN_DATA_DIR"] = tempfile.mkdtemp(prefix="coursegen-bench-study-")
os.environ["COURSEGEN_NO_KEYRING"] = "1"

from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from coursegen_desktop.core.models import Flashcard, JobStatus, Usage, make_request, utc_now  # noqa: E402
from coursegen_desktop.core.store import Store  # noqa: E402
from coursegen_desktop.core.study import Study  # noqa: E402
from coursegen_desktop.core.study_config import StudyConfig  # noqa: E402
from coursegen_desktop.gui import study_view, tasks  # noqa: E402
from coursegen_desktop.gui.study_view import StudyView  # noqa: E402
from coursegen_desktop.gui.tasks import MainThreadGC  # noqa: E402
from tests.helpers.course_factory import make_course  # noqa: E402

CARDS = 1000
RUNS = 3
TICK_MS = 5


def seed(data_dir: Path) -> Store:
    store = Store.open(data_dir)
    course = make_course().model_copy(update={"flashcards": [Flashcard(front=f"Question {n}: what is term {n}?", back=f"Term {n} is …") for n in range(CARDS)]})
    job = store.create_job(make_request(topic="A thousand cards"))
    store.save_course(job.id, course)
    store.finish_job(job.id, JobStatus.COMPLETED, usage=Usage(), course_title=course.title)
    study = Study(store, StudyConfig(new_per_day=CARDS))
    month_ago = utc_now() - timedelta(days=30)
    for card in study.due_cards(month_ago):
        study.grade(card.id, "easy", month_ago)
    counts = study.counts()
    assert counts.review == CARDS and counts.new == 0, counts
    return store


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def start_ticker(stamps: list[float]) -> QTimer:
    """A 5 ms GUI-thread timer that appends the time of each tick to `stamps`."""
    stamps.append(time.perf_counter())
    ticker = QTimer()
    ticker.setInterval(TICK_MS)
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.timeout.connect(lambda: stamps.append(time.perf_counter()))
    ticker.start()
    return ticker


def ticking(seconds: float) -> list[float]:
    """Gaps (ms) between 5 ms ticks while the event loop runs for `seconds`, nothing else to do."""
    stamps: list[float] = []
    ticker = start_ticker(stamps)
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    ticker.stop()
    return [(b - a) * 1000 for a, b in zip(stamps, stamps[1:], strict=False)]


def run_once(app: QApplication, run: int) -> dict[str, object]:
    idle_gap_ms = max(ticking(2.0))
    store = seed(Path(tempfile.mkdtemp(prefix=f"coursegen-bench-study-{run}-")))
    steps_ms: list[float] = []
    original = study_view._grade

    def timed(*args: object) -> object:
        started = time.perf_counter()
        try:
            return original(*args)  # type: ignore[arg-type]
        finally:
            steps_ms.append((time.perf_counter() - started) * 1000)

    study_view._grade = timed  # type: ignore[assignment]
    view = StudyView(store, StudyConfig(new_per_day=0))
    view.resize(760, 560)
    shown: list[float] = []
    pressed: list[float] = []
    done: list[bool] = []

    def press() -> None:
        if done:
            return
        pressed.append(time.perf_counter())
        QTest.keyClick(view, Qt.Key.Key_Space)  # show the answer
        QTest.keyClick(view, Qt.Key.Key_3)  # Good

    view.card_shown.connect(lambda: (shown.append(time.perf_counter()), QTimer.singleShot(0, press)))
    view.finished.connect(lambda: (shown.append(time.perf_counter()), done.append(True)))
    stamps: list[float] = []
    ticker = start_ticker(stamps)
    started = time.perf_counter()
    view.show()
    deadline = time.monotonic() + 600
    while not done and time.monotonic() < deadline:
        loop = QEventLoop()
        QTimer.singleShot(50, loop.quit)
        loop.exec()
    seconds = time.perf_counter() - started
    ticker.stop()
    stamps.append(time.perf_counter())
    study_view._grade = original  # type: ignore[assignment]
    since = (utc_now() - timedelta(days=1)).timestamp()  # the seeding reviews are a month old
    reviewed_now = store._conn.execute("SELECT count(*) FROM study_reviews WHERE reviewed_at > ?", (since,)).fetchone()[0]
    view.close()
    view.deleteLater()
    tasks.wait_for_background(5000)
    store.close()
    gaps = [(b - a) * 1000 for a, b in zip(stamps, stamps[1:], strict=False)]
    round_trips = [(s - p) * 1000 for p, s in zip(pressed, shown[1:], strict=False)]
    return {
        "finished": bool(done),
        "idle_baseline_longest_gap_ms": round(idle_gap_ms, 1),
        "ratings": len(pressed),
        "reviews_written": reviewed_now,
        "seconds": round(seconds, 2),
        "ratings_per_second": round(len(pressed) / seconds, 1),
        "longest_gui_gap_ms": round(max(gaps), 1),
        "p99_gui_gap_ms": round(percentile(gaps, 0.99), 1),
        "median_gui_gap_ms": round(statistics.median(gaps), 1),
        "key_to_next_card_ms_median": round(statistics.median(round_trips), 1),
        "key_to_next_card_ms_p95": round(percentile(round_trips, 0.95), 1),
        "key_to_next_card_ms_max": round(max(round_trips), 1),
        "background_step_ms_median": round(statistics.median(steps_ms), 2),
        "background_step_ms_max": round(max(steps_ms), 2),
    }


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    collector = MainThreadGC(parent=app)  # as the app does  # noqa: F841
    runs = [run_once(app, run) for run in range(RUNS)]
    result = {
        "benchmark": "study",
        "what": f"the Study window reviews {CARDS} due review cards (Space, then 3 = Good, as fast as possible); "
        f"longest gap between {TICK_MS} ms QTimer ticks on the GUI thread",
        "budget_ms": 50,
        "longest_gui_gap_ms_worst_run": max(run["longest_gui_gap_ms"] for run in runs),  # type: ignore[type-var]
        "longest_gui_gap_ms_best_run": min(run["longest_gui_gap_ms"] for run in runs),  # type: ignore[type-var]
        "runs": runs,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    text = json.dumps(result, indent=2)
    print(text)
    out = ROOT / "benchmarks" / "results" / "study.json"
    out.write_text(text + "\n", encoding="utf-8")
    return 0 if all(run["finished"] and run["ratings"] == CARDS for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
