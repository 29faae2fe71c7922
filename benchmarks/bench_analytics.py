"""Analytics on a big history: 50,000 ended jobs and about 2 million events (realistic event JSON:
streaming Progress events carry a lesson preview). Measures the one-time summary of an old
history (`job_stats`, done once, off the GUI thread), then every query the Analytics view and
`coursegen stats` run, for several periods and filters, plus one newly ended job's summary and
the ETA's learned-rates look-up at job start. Budget: every query <= 200 ms.

Prints JSON and writes benchmarks/results/analytics.json.

    .venv/bin/python benchmarks/bench_analytics.py [--jobs 50000]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from coursegen_desktop.core.analytics import Period, compute, summarise  # noqa: E402
from coursegen_desktop.core.eta import learned_rates  # noqa: E402
from coursegen_desktop.core.store import Store  # noqa: E402
from summary import write_result  # noqa: E402 - benchmarks/summary.py, next to this script
from tests.helpers.history import event_rows, job_row, sample_job  # noqa: E402

BUDGET_MS = 200.0
PROTOTYPES = 200
DAY = 86400.0
def build(store: Store, jobs: int, now: float) -> dict[str, Any]:
    """Clone prototype jobs (their rows and event JSON) over the last ~35 days, in batches."""
    rng = random.Random(7)
    protos = [sample_job(rng, 0.0, offline=i % 5 == 0) for i in range(PROTOTYPES)]
    proto_rows = [(job_row(p), event_rows(p), p) for p in protos]
    conn = sqlite3.connect(store.path, isolation_level=None)
    events = 0
    started = time.perf_counter()
    spacing = 35 * DAY / jobs
    for batch_start in range(0, jobs, 2000):
        conn.execute("BEGIN")
        job_batch, event_batch, timing_batch = [], [], []
        for i in range(batch_start, min(jobs, batch_start + 2000)):
            row, rows, proto = proto_rows[i % PROTOTYPES]
            job_id = f"{i:012x}"
            shift = now - 35 * DAY + i * spacing
            end = shift + proto.run_seconds if row[5] is not None else None
            job_batch.append((job_id, row[1] + shift, row[2] + shift, row[3] + shift, None, end, *row[6:]))
            event_batch.extend((job_id, seq, kind, at + shift, body.replace(proto.job_id, job_id)) for _, seq, kind, at, body in rows)
            timing_batch.extend((job_id, proto.generator, name, 9 if name == "lessons" else 1, seconds, shift) for name, seconds in proto.steps.items())
        conn.executemany("INSERT INTO jobs (id, created_at, updated_at, started_at, run_started_at, finished_at, run_seconds, topic, status, percent, request_json, error_kind, error_message, error_step, resumable, usage_json, course_title) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", job_batch)
        conn.executemany("INSERT INTO job_events (job_id, seq, type, at, body) VALUES (?, ?, ?, ?, ?)", event_batch)
        conn.executemany("INSERT INTO step_timings (job_id, generator, step, units, seconds, recorded_at) VALUES (?, ?, ?, ?, ?, ?)", timing_batch)
        conn.execute("COMMIT")
        events += len(event_batch)
    conn.close()
    return {"jobs": jobs, "events": events, "build_s": round(time.perf_counter() - started, 1),
            "db_mb": round(store.path.stat().st_size / 2**20, 1)}


def timed(fn: Any, *args: Any, repeat: int = 3) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1), result


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50_000)
    args = parser.parse_args()
    now = time.time()
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder), recover=False)
        size = build(store, args.jobs, now)
        slowest: dict[str, float] = {}
        plain_read = store.read

        def timed_read(sql: str, params: tuple | dict = ()) -> list[tuple]:
            """Every SQL query analytics runs, timed one by one (the budget is per query)."""
            begun = time.perf_counter()
            rows = plain_read(sql, params)
            key = " ".join(sql.split())[:90]
            slowest[key] = max(slowest.get(key, 0.0), round((time.perf_counter() - begun) * 1000, 1))
            return rows

        started = time.perf_counter()
        summarised = summarise(store)
        slowest.clear()  # the one-time summary is reported on its own
        store.read = timed_read  # type: ignore[method-assign]
        backfill_s = time.perf_counter() - started
        periods = {
            "all_time": Period(),
            "last_7_days": Period(since=now - 7 * DAY),
            "last_30_days_claude": Period(since=now - 30 * DAY, generator="claude"),
            "last_30_days_one_model": Period(since=now - 30 * DAY, generator="claude", model="claude-haiku-4-5"),
        }
        queries: dict[str, float] = {}
        jobs_counted: dict[str, int] = {}
        for name, period in periods.items():
            queries[f"compute_{name}_ms"], stats = timed(compute, store, period)
            jobs_counted[name] = stats.jobs
        queries["summarise_nothing_new_ms"], _ = timed(summarise, store)
        conn = sqlite3.connect(store.path, isolation_level=None)  # one more job ends
        conn.execute("UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE id = ?", (now, f"{args.jobs - 1:012x}"))
        conn.close()
        queries["summarise_one_new_job_ms"], _ = timed(summarise, store, repeat=1)
        queries["eta_learned_rates_ms"], _ = timed(learned_rates, store, "claude", "claude-sonnet-4-6")
        data = compute(store, Period(since=now - 30 * DAY)).to_json()
        store.close()
    worst_sql, worst = max(slowest.items(), key=lambda item: item[1])
    result = {
        "history": size,
        "one_time_summary": {"jobs": summarised, "seconds": round(backfill_s, 1), "note": "once per old history, off the GUI thread; new jobs are summarised as they are first seen"},
        "calls_ms": queries,
        "slowest_sql_queries_ms": dict(sorted(slowest.items(), key=lambda item: -item[1])[:8]),
        "jobs_counted": jobs_counted,
        "budget_ms": BUDGET_MS,
        "slowest_query_ms": worst,
        "slowest_query": worst_sql,
        "meets_budget": worst <= BUDGET_MS,
        "headline": {"name": f"Slowest analytics SQL query, {args.jobs:,} jobs / {size['events']:,} events", "value": worst, "unit": "ms", "target": f"<= {BUDGET_MS:.0f}"},
        "sample_figures_last_30_days": {key: data[key] for key in ("jobs", "success_rate", "retry_rate", "reconnect_success_rate", "duration_s", "eta_error_pct")},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "sqlite": sqlite3.sqlite_version,
                    "load_average_1m": round(os.getloadavg()[0], 2)},
    }
    write_result("analytics", result)
    return result


if __name__ == "__main__":
    main()
