"""Plan vs reality: 20 Claude jobs of different sizes against the local fake Messages API.

Each job is planned (`core.plan.plan_request`, the material counted with `count_tokens` as with
a key set) from the history so far, then run through the real pipeline and SDK; its real cost
(the usage the fake reported, priced by `core.pricing`) is compared with the planned range.
Three warm-up jobs seed the history first, as a user's first jobs would; the first of them is
also reported as the "defaults" case. Every job has its own topic (so, as between real courses,
no prompt-cache entry is shared between jobs). The fake writes lessons of about 1,100 words and, like
Claude Sonnet in practice, caches prefixes from 2,048 tokens.

Acceptance (issue 11): the real cost is inside the range in >= 80 % of the 20 jobs, and no
range is wider than x2.

    .venv/bin/python benchmarks/bench_plan.py [--jobs 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["COURSEGEN_NO_KEYRING"] = "1"

from coursegen_desktop.core import pipeline  # noqa: E402
from coursegen_desktop.core.cancel import CancelToken  # noqa: E402
from coursegen_desktop.core.generators.anthropic import ClaudeGenerator  # noqa: E402
from coursegen_desktop.core.models import JobStatus, make_request  # noqa: E402
from coursegen_desktop.core.plan import plan_request  # noqa: E402
from coursegen_desktop.core.ratelimit import RateLimiter  # noqa: E402
from coursegen_desktop.core.store import Store  # noqa: E402
from tests.fakes import DEFAULT_KEY, FakeMessagesAPI  # noqa: E402

LESSON_WORDS = 1100
SENTENCE = "Paragraph {i}: chlorophyll absorbs red and blue light, and photosynthesis stores that energy in glucose for the plant."


def _notes(folder: Path, paragraphs: int) -> Path:
    path = folder / f"notes-{paragraphs}.md"
    if paragraphs:
        path.write_text("# Notes\n\n" + "\n\n".join(SENTENCE.format(i=i) for i in range(paragraphs)) + "\n", encoding="utf-8")
    return path


def _sizes(count: int, seed: int) -> list[dict[str, int]]:
    rng = random.Random(seed)
    return [
        {
            "modules": rng.randint(1, 5),
            "lessons_per_module": rng.randint(1, 4),
            "questions_per_quiz": rng.choice([3, 5, 8, 10]),
            "exam_questions": rng.choice([5, 10, 15, 20]),
            "paragraphs": rng.choice([0, 20, 80, 250, 600]),
        }
        for _ in range(count)
    ]


def _run(store: Store, api: FakeMessagesAPI, folder: Path, size: dict[str, int], number: int) -> dict[str, Any]:
    material = (_notes(folder, size["paragraphs"]),) if size["paragraphs"] else ()
    request = make_request(
        # distinct courses: no prompt cache shared between jobs
        topic=f"Photosynthesis, course {number}", generator="claude", material=material, model="claude-sonnet-4-6",
        modules=size["modules"], lessons_per_module=size["lessons_per_module"],
        questions_per_quiz=size["questions_per_quiz"], exam_questions=size["exam_questions"],
    )
    planned = plan_request(request, store, api_key=DEFAULT_KEY, base_url=api.base_url)
    generator = ClaudeGenerator(request, api_key=DEFAULT_KEY, base_url=api.base_url, limiter=RateLimiter(rpm=0, max_requests=0))
    record = pipeline.run(request, generator, store, lambda event: None, CancelToken())
    assert record.status == JobStatus.COMPLETED, record.error_message
    cost = record.usage.cost_usd
    low, high = planned.cost_low, planned.cost_high
    return {
        **size,
        "basis": planned.basis,
        "planned_calls": planned.calls,
        "real_calls": record.usage.requests,
        "planned_cost_usd": [round(low, 5), round(high, 5)],
        "real_cost_usd": round(cost, 5),
        "inside": low <= cost <= high,
        "width": round(high / low, 3) if low else None,
        "planned_seconds": [round(planned.seconds_low, 1), round(planned.seconds_high, 1)],
        "real_seconds": round(record.run_seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, FakeMessagesAPI(lesson_words=LESSON_WORDS, words_per_delta=40, min_cache_tokens=2048) as api:
        folder = Path(tmp)
        store = Store.open(folder / "data")
        warmup = [_run(store, api, folder, size, -n) for n, size in enumerate(_sizes(args.warmup, args.seed + 1000), 1)]
        jobs = [_run(store, api, folder, size, n) for n, size in enumerate(_sizes(args.jobs, args.seed), 1)]
        store.close()
    inside = sum(job["inside"] for job in jobs)
    widths = [job["width"] for job in jobs if job["width"]]
    result = {
        "benchmark": "plan",
        "python": platform.python_version(),
        "jobs": len(jobs),
        "inside_range": inside,
        "inside_share": round(inside / len(jobs), 3),
        "max_width": max(widths),
        "calls_exact": sum(job["planned_calls"] == job["real_calls"] for job in jobs),
        "accepted": inside / len(jobs) >= 0.8 and max(widths) <= 2.0,
        "first_job_defaults": warmup[0] if warmup else None,
        "warmup": warmup,
        "per_job": jobs,
        "wall_s": round(time.monotonic() - started, 1),
    }
    out = ROOT / "benchmarks" / "results" / "plan.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k not in ("per_job", "warmup")}, indent=2))


if __name__ == "__main__":
    main()
