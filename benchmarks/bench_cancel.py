"""How soon Cancel takes effect. Prints JSON and writes benchmarks/results/cancel.json.

    .venv/bin/python benchmarks/bench_cancel.py

These used to be wall-clock asserts in the test suite (which now checks only that cancelling
works); timings belong here, where the machine and its load are recorded beside them:

- pipeline_stop_s: an offline-style job (scripted generator) blocked mid-lessons; from
  `cancel()` until its thread has ended with `JobCancelled`. Promise: under 1 s.
- claude_streams_closed_s: a Claude job with 4 lessons streaming from the local fake Messages API;
  from `cancel()` until the last open stream was closed by the client. Promise: under 0.5 s.
- limiter_wait_cancel_s: a request waiting 30 s for the rate limiter; from `task.cancel()` until
  the waiter is gone. Promise: under 0.2 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["COURSEGEN_DATA_DIR"] = tempfile.mkdtemp(prefix="coursegen-bench-cancel-")
os.environ["COURSEGEN_NO_KEYRING"] = "1"

from coursegen_desktop.core import pipeline  # noqa: E402
from coursegen_desktop.core.cancel import CancelToken  # noqa: E402
from coursegen_desktop.core.events import JobCancelled  # noqa: E402
from coursegen_desktop.core.generators.anthropic import ClaudeGenerator  # noqa: E402
from coursegen_desktop.core.models import make_request  # noqa: E402
from coursegen_desktop.core.ratelimit import RateLimiter  # noqa: E402
from coursegen_desktop.core.store import Store  # noqa: E402
from tests.fakes import DEFAULT_KEY, FakeMessagesAPI  # noqa: E402
from tests.helpers.scripted_generator import ScriptedGenerator  # noqa: E402

RUNS = 5


def pipeline_stop(store: Store) -> float:
    generator = ScriptedGenerator(block_on_lesson="m2l1", delay=0.01)
    cancel = CancelToken()
    events: list = []
    request = make_request(topic="Cancel me", modules=3, lessons_per_module=2, concurrency=2)
    worker = threading.Thread(target=lambda: pipeline.run(request, generator, store, events.append, cancel))
    worker.start()
    assert generator.blocked.wait(10)
    started = time.monotonic()
    cancel.cancel()
    worker.join(10)
    elapsed = time.monotonic() - started
    assert isinstance(events[-1], JobCancelled)
    return elapsed


def claude_streams_closed(store: Store) -> float:
    with FakeMessagesAPI(delta_delay=0.03, lesson_words=120) as api:
        request = make_request(topic="Photosynthesis", generator="claude", modules=2, lessons_per_module=3, concurrency=4)
        generator = ClaudeGenerator(request, api_key=DEFAULT_KEY, base_url=api.base_url, limiter=RateLimiter(rpm=0, max_requests=0), retry_base_s=0.05)
        cancel = CancelToken()
        events: list = []
        worker = threading.Thread(target=lambda: pipeline.run(request, generator, store, events.append, cancel))
        worker.start()
        deadline = time.monotonic() + 10
        while len(api.open_streams()) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        streams = api.open_streams()
        cancelled_at = time.monotonic()
        cancel.cancel()
        worker.join(10)
        assert streams and all(stream.closed_by_client and stream.ended for stream in streams)
        assert isinstance(events[-1], JobCancelled)
        return max(stream.ended - cancelled_at for stream in streams)


def limiter_wait_cancel() -> float:
    limiter = RateLimiter(rpm=1200, max_requests=2)

    async def run() -> float:
        limiter.hold_off(30)
        task = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0.05)
        started = time.monotonic()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return time.monotonic() - started

    return asyncio.run(run())


def summary(values: list[float], budget: float) -> dict[str, object]:
    return {
        "median_s": round(statistics.median(values), 4),
        "worst_s": round(max(values), 4),
        "each_run_s": [round(value, 4) for value in values],
        "budget_s": budget,
        "within_budget": max(values) < budget,
    }


def main() -> dict[str, object]:
    load = os.getloadavg()[0]
    store = Store.open()
    result: dict[str, object] = {
        "benchmark": "cancel",
        "runs": RUNS,
        "pipeline_stop_s": summary([pipeline_stop(store) for _ in range(RUNS)], 1.0),
        "claude_streams_closed_s": summary([claude_streams_closed(store) for _ in range(RUNS)], 0.5),
        "limiter_wait_cancel_s": summary([limiter_wait_cancel() for _ in range(RUNS)], 0.2),
        "machine": {"cpus": os.cpu_count(), "load_average_1m_before": round(load, 2), "python": platform.python_version()},
    }
    store.close()
    out = Path(__file__).with_name("results") / "cancel.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
