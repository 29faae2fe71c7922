"""A large job history written straight into the store (50,000 jobs in well under a second).

Job number n (1 = oldest) has the topic "History topic n", was created n seconds after the first,
and every third job failed; the others completed. Used by the paging tests and the benchmark.
"""

from __future__ import annotations

import time

from coursegen_desktop.core.models import make_request
from coursegen_desktop.core.store import Store


def job_id(number: int) -> str:
    return f"{number:012x}"


def topic(number: int) -> str:
    return f"History topic {number}"


def fill(store: Store, count: int, start: float | None = None) -> None:
    """Add `count` finished jobs, oldest first, in one transaction."""
    start = time.time() - count - 60 if start is None else start
    request = make_request(topic="History").model_dump_json()
    with store._write("the test history") as conn:
        conn.executemany(
            """INSERT INTO jobs (id, created_at, updated_at, started_at, finished_at, topic, status, percent, request_json)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (job_id(n), start + n, start + n, start + n, start + n + 1, topic(n), "failed" if n % 3 == 0 else "completed", 100.0, request)
                for n in range(1, count + 1)
            ],
        )
