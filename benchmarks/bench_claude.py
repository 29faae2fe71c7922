"""The Claude path end to end (real SDK, real pipeline and store) against the local fake API.

The fake answers with a fixed latency (time to first byte plus a delay per streamed delta), so the
numbers measure CourseGen's scheduling, retries-free overhead and cancel path, not Claude:

- wall time of a 4×3 course at concurrency 1 and 4, next to the ideal schedule for the same
  request durations (list scheduling of the pipeline's dependencies on `concurrency` slots);
- cancel latency over 20 cancels during lessons: until `JobCancelled` is emitted, and until the
  fake has seen every open stream closed by the client;
- the share of lesson input tokens that were served from the prompt cache.

Prints JSON and writes benchmarks/results/claude.json.

    .venv/bin/python benchmarks/bench_claude.py [--cancels 20]
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["COURSEGEN_NO_KEYRING"] = "1"

from coursegen_desktop.core import pipeline  # noqa: E402
from coursegen_desktop.core.cancel import CancelToken  # noqa: E402
from coursegen_desktop.core.events import JobCancelled  # noqa: E402
from coursegen_desktop.core.generators.anthropic import ClaudeGenerator  # noqa: E402
from coursegen_desktop.core.models import JobStatus, make_request  # noqa: E402
from coursegen_desktop.core.ratelimit import RateLimiter  # noqa: E402
from coursegen_desktop.core.store import Store  # noqa: E402
from tests.fakes import DEFAULT_KEY, FakeMessagesAPI, RecordedRequest  # noqa: E402

FIRST_BYTE_S = 0.05
DELTA_S = 0.01
LESSON_WORDS = 160
NOTES = " ".join(f"Paragraph {i}: chlorophyll absorbs red and blue light and photosynthesis stores the energy in glucose." for i in range(200))


def _generator(request: Any, api: FakeMessagesAPI) -> ClaudeGenerator:
    return ClaudeGenerator(request, api_key=DEFAULT_KEY, base_url=api.base_url, limiter=RateLimiter(rpm=0, max_requests=0))


def _ideal_seconds(records: list[RecordedRequest], concurrency: int, modules: int, per_module: int) -> float:
    """Best possible wall time for these request durations under the pipeline's dependencies:
    outline, then the first lesson alone (cache warm-up when concurrency > 1), then the other
    lessons and each module's quiz (after its lessons) on `concurrency` slots, then exam and
    flashcards one after the other."""
    by_kind: dict[str, list[float]] = {}
    for record in sorted(records, key=lambda r: r.started):
        by_kind.setdefault(record.kind, []).append((record.ended or record.started) - record.started)
    lessons, quizzes = by_kind["lesson"], by_kind["quiz"]
    clock = by_kind["outline"][0]
    start_index = 0
    if concurrency > 1:
        clock += lessons[0]
        start_index = 1
    slots = [clock] * concurrency
    heapq.heapify(slots)
    lesson_end = [clock] * len(lessons)
    for index in range(start_index, len(lessons)):
        begin = heapq.heappop(slots)
        lesson_end[index] = begin + lessons[index]
        heapq.heappush(slots, lesson_end[index])
    if start_index == 0:
        lesson_end[0] = clock + lessons[0]
    ends = list(lesson_end)
    for module in range(modules):
        ready = max(lesson_end[module * per_module : (module + 1) * per_module])
        begin = max(heapq.heappop(slots), ready)
        ends.append(begin + quizzes[module])
        heapq.heappush(slots, ends[-1])
    return max(ends) + by_kind["exam"][0] + by_kind["flashcards"][0]


def course_run(notes: Path, concurrency: int) -> dict[str, Any]:
    request = make_request(topic="Photosynthesis", generator="claude", material=(notes,), modules=4, lessons_per_module=3, concurrency=concurrency)
    with FakeMessagesAPI(first_byte_delay=FIRST_BYTE_S, delta_delay=DELTA_S, lesson_words=LESSON_WORDS) as api:
        store = Store.open()
        started = time.perf_counter()
        record = pipeline.run(request, _generator(request, api), store, lambda event: None, CancelToken())
        wall = time.perf_counter() - started
        store.close()
        assert record.status == JobStatus.COMPLETED, record.error_message
        records = api.messages()
        lessons = [r for r in records if r.kind == "lesson"]
        lesson_input = sum(r.usage["input_tokens"] + r.usage["cache_creation_input_tokens"] + r.usage["cache_read_input_tokens"] for r in lessons)
        return {
            "concurrency": concurrency,
            "wall_s": round(wall, 3),
            "ideal_s": round(_ideal_seconds(records, concurrency, 4, 3), 3),
            "requests": len(records),
            "max_lessons_in_flight": api.max_concurrent("lesson"),
            "lesson_cache_read_share": round(sum(r.usage["cache_read_input_tokens"] for r in lessons) / lesson_input, 3),
            "cost_usd": record.usage.cost_usd,
        }


def cancel_latencies(runs: int) -> dict[str, Any]:
    """Cancel while lessons stream; time to JobCancelled and to every stream closed by the client."""
    to_event: list[float] = []
    to_closed: list[float] = []
    request = make_request(topic="Photosynthesis", generator="claude", modules=2, lessons_per_module=3, concurrency=4)
    with FakeMessagesAPI(delta_delay=DELTA_S, lesson_words=400) as api:
        for _ in range(runs):
            store = Store.open()
            cancel = CancelToken()
            cancelled_event_at: list[float] = []

            def emit(event: Any, seen: list[float] = cancelled_event_at) -> None:
                if isinstance(event, JobCancelled):
                    seen.append(time.perf_counter())

            before = len(api.requests)
            worker = threading.Thread(target=pipeline.run, args=(request, _generator(request, api), store, emit, cancel))
            worker.start()
            while len([r for r in api.open_streams() if r.kind == "lesson" and r.deltas_sent]) < 3:
                time.sleep(0.002)
            open_streams = api.open_streams()
            cancel.cancel()
            cancelled_at = time.perf_counter()
            cancelled_mono = time.monotonic()
            worker.join(timeout=10)
            deadline = time.monotonic() + 2
            while any(r.ended is None for r in open_streams) and time.monotonic() < deadline:
                time.sleep(0.001)
            store.close()
            assert cancelled_event_at and len(api.requests) > before
            to_event.append(cancelled_event_at[0] - cancelled_at)
            to_closed.append(max((r.ended or deadline) - cancelled_mono for r in open_streams))
    return {
        "runs": runs,
        "to_job_cancelled_ms": _percentiles(to_event),
        "to_all_streams_closed_ms": _percentiles(to_closed),
    }


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]  # noqa: E731
    return {"p50": round(statistics.median(ordered) * 1000, 1), "p95": round(pick(0.95) * 1000, 1), "max": round(ordered[-1] * 1000, 1)}


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cancels", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    import anthropic  # noqa: F401 - the first job pays this once; keep it out of the course timings

    import_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        os.environ["COURSEGEN_DATA_DIR"] = folder
        notes = Path(folder) / "notes.md"
        notes.write_text("# Photosynthesis\n\n" + NOTES + "\n", encoding="utf-8")
        serial = course_run(notes, 1)
        parallel = course_run(notes, 4)
        cancels = cancel_latencies(args.cancels)
    result = {
        "fake_latency": {"first_byte_s": FIRST_BYTE_S, "per_delta_s": DELTA_S, "lesson_words": LESSON_WORDS},
        "course_4x3": {"concurrency_1": serial, "concurrency_4": parallel, "speedup": round(serial["wall_s"] / parallel["wall_s"], 2)},
        "cancel": cancels,
        "lesson_input_tokens_from_cache": parallel["lesson_cache_read_share"],
        "sdk_import_s": round(import_s, 2),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    text = json.dumps(result, indent=2)
    print(text)
    out = ROOT / "benchmarks" / "results" / "claude.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
