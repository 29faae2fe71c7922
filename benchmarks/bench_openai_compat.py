"""The OpenAI-compatible generator (local models) end to end against the local fake server.

- cancel latency over 20 cancels while three lessons stream: until `JobCancelled` is emitted,
  and until the fake server has seen every open stream closed by the client (goal: 100 ms);
- wall time of a 2×3 course at concurrency 4 with a fixed fake latency;
- import cost of the generator module (httpx2 included) in a fresh interpreter, next to the
  anthropic SDK's, which is what choosing httpx2 over the `openai` package (~1.2 s) saves.

Prints JSON and writes benchmarks/results/openai_compat.json.

    .venv/bin/python benchmarks/bench_openai_compat.py [--cancels 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["COURSEGEN_NO_KEYRING"] = "1"

from benchmarks.bench_claude import _percentiles  # noqa: E402
from coursegen_desktop.core import pipeline  # noqa: E402
from coursegen_desktop.core.cancel import CancelToken  # noqa: E402
from coursegen_desktop.core.events import JobCancelled  # noqa: E402
from coursegen_desktop.core.generators.openai_compat import OpenAICompatGenerator  # noqa: E402
from coursegen_desktop.core.models import JobStatus, make_request  # noqa: E402
from coursegen_desktop.core.ratelimit import RateLimiter  # noqa: E402
from coursegen_desktop.core.store import Store  # noqa: E402
from tests.fakes import DEFAULT_LOCAL_MODELS, FakeOpenAIAPI  # noqa: E402

FIRST_BYTE_S = 0.05
DELTA_S = 0.01


def _request(api: FakeOpenAIAPI, **fields: Any) -> Any:
    return make_request(topic="Photosynthesis", generator="openai-compatible", model=DEFAULT_LOCAL_MODELS[0], base_url=api.base_url, **fields)


def _generator(request: Any) -> OpenAICompatGenerator:
    return OpenAICompatGenerator(request, limiter=RateLimiter(rpm=0, max_requests=0))


def course_run() -> dict[str, Any]:
    with FakeOpenAIAPI(first_byte_delay=FIRST_BYTE_S, delta_delay=DELTA_S) as api:
        request = _request(api, modules=2, lessons_per_module=3, concurrency=4)
        store = Store.open()
        started = time.perf_counter()
        record = pipeline.run(request, _generator(request), store, lambda event: None, CancelToken())
        wall = time.perf_counter() - started
        store.close()
        assert record.status == JobStatus.COMPLETED, record.error_message
        return {"wall_s": round(wall, 3), "requests": len(api.messages()), "max_lessons_in_flight": api.max_concurrent("lesson"), "cost_usd": record.usage.cost_usd}


def cancel_latencies(runs: int) -> dict[str, Any]:
    to_event: list[float] = []
    to_closed: list[float] = []
    with FakeOpenAIAPI(delta_delay=DELTA_S, lesson_words=400) as api:
        request = _request(api, modules=1, lessons_per_module=3, concurrency=3)
        for _ in range(runs):
            store = Store.open()
            cancel = CancelToken()
            seen: list[float] = []

            def emit(event: Any, seen: list[float] = seen) -> None:
                if isinstance(event, JobCancelled):
                    seen.append(time.perf_counter())

            worker = threading.Thread(target=pipeline.run, args=(request, _generator(request), store, emit, cancel))
            worker.start()
            while len([r for r in api.open_streams() if r.kind == "lesson" and r.deltas_sent]) < 3:
                time.sleep(0.002)
            open_streams = api.open_streams()
            cancel.cancel()
            cancelled_at, cancelled_mono = time.perf_counter(), time.monotonic()
            worker.join(timeout=10)
            deadline = time.monotonic() + 2
            while any(r.ended is None for r in open_streams) and time.monotonic() < deadline:
                time.sleep(0.001)
            store.close()
            assert seen, "the job did not end as cancelled"
            to_event.append(seen[0] - cancelled_at)
            to_closed.append(max((r.ended or deadline) - cancelled_mono for r in open_streams))
    return {"runs": runs, "to_job_cancelled_ms": _percentiles(to_event), "to_all_streams_closed_ms": _percentiles(to_closed)}


def import_seconds(module: str) -> float:
    """Import time of `module` in a fresh interpreter (best of three)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout) for _ in range(3)]
    return round(min(runs), 3)


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cancels", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["COURSEGEN_DATA_DIR"] = folder
        course = course_run()
        cancels = cancel_latencies(args.cancels)
    result = {
        "fake_latency": {"first_byte_s": FIRST_BYTE_S, "per_delta_s": DELTA_S},
        "course_2x3_concurrency_4": course,
        "cancel": cancels,
        "import_s": {
            "coursegen_desktop.core.generators.openai_compat": import_seconds("coursegen_desktop.core.generators.openai_compat"),
            "anthropic": import_seconds("anthropic"),
        },
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    text = json.dumps(result, indent=2)
    print(text)
    out = ROOT / "benchmarks" / "results" / "openai_compat.json"
    out.write_text(text + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
