"""Histories with known outcomes, written straight into a store's SQLite file.

Each `FakeJob` becomes one `jobs` row and the events a real run would have recorded (the real
event models, serialised as the pipeline does), at times chosen by the test, so every analytics
figure is known in advance. Bulk inserts make the 50,000-job benchmark store in seconds.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from coursegen_desktop.core.events import (
    Event,
    JobCancelled,
    JobCompleted,
    JobFailed,
    JobStarted,
    Progress,
    Retrying,
    StepCompleted,
    StepStarted,
    TopicCompleted,
)
from coursegen_desktop.core.models import CourseRequest, GeneratorKind, Lesson, Usage
from coursegen_desktop.core.steps import STEP_BY_NAME
from coursegen_desktop.core.store import Store

# Reasons exactly as core/generators/claude_errors.py words them, by cause.
REASONS = {
    "429": "Rate limited by the API",
    "5xx": "The API had a temporary error",
    "529": "Claude is overloaded",
    "cut_stream": "Connection lost",
    "timeout": "The API did not answer in time",
}
_LESSON = Lesson(id="l1", module_id="m1", title="Light", markdown="Chlorophyll absorbs light.")


@dataclass
class FakeJob:
    start: float  # epoch seconds of the (first) run's start
    run_seconds: float = 100.0
    status: str = "completed"
    generator: str = "claude"
    model: str = "claude-sonnet-4-6"
    error_kind: str | None = None
    retries: list[str] = field(default_factory=list)  # causes, keys of REASONS
    etas: dict[int, float | None] = field(default_factory=dict)  # ETA shown at 25/50/75 %, seconds
    steps: dict[str, float] = field(default_factory=dict)
    first_text_after: float | None = None  # seconds after the start
    usage: Usage = field(default_factory=Usage)
    failed_for_network_first: bool = False  # a first run ended by a network drop, then resumed
    reached: float = 100.0  # percent reached (failed/cancelled jobs stop early)
    ticks: int = 0  # extra streaming Progress events (with a lesson preview) during the lessons
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def finished_at(self) -> float:
        return self.start + self.run_seconds


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def _events(job: FakeJob) -> list[Event]:
    model = job.model if job.generator == "claude" else None
    events: list[Event] = []
    add = events.append
    base = job.start
    if job.failed_for_network_first:
        first = base - 1000.0
        add(JobStarted(job_id=job.job_id, at=_at(first), generator=job.generator, model=model))
        add(Retrying(job_id=job.job_id, at=_at(first + 1), attempt=1, delay_s=1.0, reason=REASONS["cut_stream"]))
        add(JobFailed(job_id=job.job_id, at=_at(first + 5), kind="network", message="Network unavailable — Resume when you are back online."))
    add(JobStarted(job_id=job.job_id, at=_at(base), generator=job.generator, model=model, resumed=job.failed_for_network_first))
    clock = base
    for name, seconds in job.steps.items():
        step = STEP_BY_NAME[name]
        add(StepStarted(job_id=job.job_id, at=_at(clock), step=name, index=step.index, label=step.label))
        clock += seconds
        add(StepCompleted(job_id=job.job_id, at=_at(clock), step=name, index=step.index, duration_s=seconds))
    for number, cause in enumerate(job.retries, 1):
        add(Retrying(job_id=job.job_id, at=_at(base + 2), attempt=number, delay_s=1.0, reason=REASONS[cause]))
    if job.first_text_after is not None:
        add(Progress(job_id=job.job_id, at=_at(base + job.first_text_after), percent=16.0, preview="Chlorophyll", lesson_id="l1"))
        add(TopicCompleted(job_id=job.job_id, at=_at(base + job.first_text_after + 1), lesson_id="l1", title="Light", index=1, total=1, done=1, lesson=_LESSON))
    preview = "Chlorophyll absorbs red and blue light. " * 8
    for tick in range(job.ticks):
        percent = 16 + 53 * (tick + 1) / (job.ticks + 1)
        if percent <= job.reached:
            at = base + job.run_seconds * percent / 100
            eta = round(job.run_seconds * (1 - percent / 100) * 1.1, 1)  # a 10 % pessimistic estimate
            add(Progress(job_id=job.job_id, at=_at(at), percent=round(percent, 2), message="Writing “Light”", eta_s=eta, preview=preview, lesson_id="l1"))
    for percent in (10, 25, 50, 75, 90):
        if percent <= job.reached:
            at = base + job.run_seconds * percent / 100
            add(Progress(job_id=job.job_id, at=_at(at), percent=float(percent), eta_s=job.etas.get(percent)))
    end = _at(job.finished_at)
    if job.status == "completed":
        add(JobCompleted(job_id=job.job_id, at=end, title="Course", duration_s=job.run_seconds, usage=job.usage))
    elif job.status == "failed":
        add(JobFailed(job_id=job.job_id, at=end, kind=job.error_kind or "internal", message="It failed.", usage=job.usage))
    elif job.status == "cancelled":
        add(JobCancelled(job_id=job.job_id, at=end, usage=job.usage))
    events.sort(key=lambda event: event.at)
    return [event.model_copy(update={"seq": seq}) for seq, event in enumerate(events, 1)]


def job_row(job: FakeJob) -> tuple:
    request = CourseRequest(topic="Photosynthesis", generator=GeneratorKind(job.generator), model=job.model)
    finished = job.finished_at if job.status in ("completed", "failed", "cancelled") else None
    return (
        job.job_id, job.start - 1, job.finished_at, job.start, None, finished, job.run_seconds, "Photosynthesis",
        job.status, min(job.reached, 100.0), request.model_dump_json(), job.error_kind, None, None, 0,
        job.usage.model_dump_json(), "Course" if job.status == "completed" else None,
    )


def event_rows(job: FakeJob) -> list[tuple]:
    return [(job.job_id, event.seq, event.type, event.at.timestamp(), event.to_json()) for event in _events(job)]  # type: ignore[attr-defined]


def write_history(store: Store, jobs: list[FakeJob]) -> None:
    """Insert the jobs and their events in one transaction (a separate connection, as another
    process would)."""
    conn = sqlite3.connect(store.path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.executemany(
            """INSERT INTO jobs (id, created_at, updated_at, started_at, run_started_at, finished_at, run_seconds, topic,
               status, percent, request_json, error_kind, error_message, error_step, resumable, usage_json, course_title)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [job_row(job) for job in jobs],
        )
        conn.executemany(
            "INSERT INTO job_events (job_id, seq, type, at, body) VALUES (?, ?, ?, ?, ?)",
            [row for job in jobs for row in event_rows(job)],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


MODELS = ("claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-6")
STEP_SECONDS = {"prepare": 0.4, "outline": 18.0, "lessons": 120.0, "quizzes": 25.0, "exam": 35.0, "review": 0.3, "save": 0.2}
FAILURE_KINDS = ("rate_limit", "overloaded", "server", "network", "invalid_output", "auth")


def sample_job(rng: random.Random, start: float, *, offline: bool = False, ticks: int = 19) -> FakeJob:
    """A plausible ended job: ~89 % completed, ~4 % cancelled, the rest failed of some kind;
    Claude jobs take 40-400 s, cost a few cents, sometimes retry or meet a network drop."""
    outcome = rng.random()
    status, kind = "completed", None
    if outcome > 0.93:
        status, kind = "failed", rng.choice(FAILURE_KINDS)
    elif outcome > 0.89:
        status = "cancelled"
    generator = "offline" if offline else "claude"
    run = rng.uniform(40, 400) if generator == "claude" else rng.uniform(1, 8)
    scale = run / sum(STEP_SECONDS.values())
    return FakeJob(
        start=start, run_seconds=run, status=status, generator=generator, error_kind=kind, model=rng.choice(MODELS),
        retries=[rng.choice(list(REASONS)) for _ in range(rng.choice([0, 0, 0, 1, 2]))] if generator == "claude" else [],
        etas={p: run * (1 - p / 100) * rng.uniform(0.8, 1.25) for p in (25, 50, 75)},
        steps={name: seconds * scale * rng.uniform(0.7, 1.3) for name, seconds in STEP_SECONDS.items()} if status == "completed" else {},
        first_text_after=run * 0.12, ticks=ticks, reached=100 if status == "completed" else rng.uniform(10, 90),
        failed_for_network_first=generator == "claude" and rng.random() < 0.03,
        usage=Usage(input_tokens=12000, output_tokens=9000, cache_read_input_tokens=30000, cache_creation_input_tokens=4000,
                    cost_usd=round(rng.uniform(0.05, 0.6), 4), requests=15) if generator == "claude" else Usage(),
    )
