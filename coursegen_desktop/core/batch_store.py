"""Bulk-course state in the history database: the Message Batches submitted, and which job part
each of their requests writes. Kept in SQLite (tables `batches` and `batch_requests`, one
migration in `store.MIGRATIONS`) so that polling continues after the app or the CLI restarts,
and so that no part is ever requested twice.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from coursegen_desktop.core.models import JobStatus, Usage
from coursegen_desktop.core.store import Store

# request states: pending (in a batch that has not ended) → succeeded | invalid | errored | expired | canceled
PENDING = "pending"
SUCCEEDED = "succeeded"


@dataclass(frozen=True)
class PartRequest:
    """One request of a batch: the part (`kind`, `key`) of a job it writes."""

    custom_id: str
    job_id: str
    kind: str  # outline, lesson, quiz, exam, flashcards
    key: str  # the lesson or module id; the kind again for one-per-job parts


@dataclass(frozen=True)
class BatchRow:
    id: str
    round: str
    status: str  # in_progress, ended
    created_at: float
    request_count: int


class BatchStore:
    """Queries and writes for bulk courses, on the store's connection for this thread."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def open_batch(self) -> BatchRow | None:
        """The batch still being processed, if any (rounds run one batch at a time)."""
        row = self.store._conn.execute(
            "SELECT id, round, status, created_at, request_count FROM batches WHERE status != 'ended' ORDER BY created_at LIMIT 1"
        ).fetchone()
        return BatchRow(*row) if row else None

    def batches(self, limit: int = 50) -> list[BatchRow]:
        rows = self.store._conn.execute(
            "SELECT id, round, status, created_at, request_count FROM batches ORDER BY created_at DESC LIMIT ?", (limit,)
        ).fetchall()
        return [BatchRow(*row) for row in rows]

    def record_batch(self, batch_id: str, round_name: str, requests: list[PartRequest]) -> None:
        with self.store._write("the batch") as conn:
            conn.execute(
                "INSERT INTO batches (id, round, status, created_at, request_count) VALUES (?, ?, 'in_progress', ?, ?)",
                (batch_id, round_name, time.time(), len(requests)),
            )
            conn.executemany(
                "INSERT INTO batch_requests (batch_id, custom_id, job_id, kind, key) VALUES (?, ?, ?, ?, ?)",
                [(batch_id, r.custom_id, r.job_id, r.kind, r.key) for r in requests],
            )

    def end_batch(self, batch_id: str) -> None:
        with self.store._write("the batch") as conn:
            conn.execute("UPDATE batches SET status = 'ended', ended_at = ? WHERE id = ?", (time.time(), batch_id))

    def requests_of(self, batch_id: str) -> dict[str, PartRequest]:
        rows = self.store._conn.execute("SELECT custom_id, job_id, kind, key FROM batch_requests WHERE batch_id = ?", (batch_id,)).fetchall()
        return {row[0]: PartRequest(*row) for row in rows}

    def set_state(self, batch_id: str, custom_id: str, state: str) -> None:
        with self.store._write("the batch") as conn:
            conn.execute("UPDATE batch_requests SET state = ? WHERE batch_id = ? AND custom_id = ?", (state, batch_id, custom_id))

    def attempts(self, job_id: str) -> Counter[tuple[str, str]]:
        """How often each part of a job was put in a batch."""
        rows = self.store._conn.execute("SELECT kind, key FROM batch_requests WHERE job_id = ?", (job_id,)).fetchall()
        return Counter((kind, key) for kind, key in rows)

    def pending_jobs(self) -> set[str]:
        rows = self.store._conn.execute("SELECT DISTINCT job_id FROM batch_requests WHERE state = ?", (PENDING,)).fetchall()
        return {job_id for (job_id,) in rows}

    def batched_jobs(self) -> list[str]:
        rows = self.store._conn.execute("SELECT id FROM jobs WHERE status = ? ORDER BY created_at", (JobStatus.BATCHED.value,)).fetchall()
        return [job_id for (job_id,) in rows]

    def mark_batched(self, job_id: str) -> None:
        with self.store._write("the job") as conn:
            conn.execute("UPDATE jobs SET status = ?, resumable = 0, updated_at = ? WHERE id = ?", (JobStatus.BATCHED.value, time.time(), job_id))

    def add_usage(self, job_id: str, usage: Usage) -> None:
        """Add a batch result's tokens and (batch-price) cost to the job's usage."""
        total = self.store.get_job(job_id).usage + usage
        with self.store._write("the job") as conn:
            conn.execute("UPDATE jobs SET usage_json = ?, updated_at = ? WHERE id = ?", (total.model_dump_json(), time.time(), job_id))
