"""Kill `coursegen` with SIGKILL at random moments and check that nothing is ever lost.

Shared by the test suite (4 kills per kind of job) and `benchmarks/bench_crash_recovery.py` (100 kills). Each
cycle starts `coursegen generate` (or `resume` for a job that was killed), waits for its first
event, sleeps a seeded random delay, and kills it. After every kill, the checks are made from
the outside, the way a user would meet the result: the database passes `integrity_check`, the
job reads as `interrupted`, every part saved before is still there byte for byte, every lesson
the killed process announced on stdout is saved exactly as announced, and no lesson that was
already saved was started again (its `TopicStarted` would be in the event log).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from coursegen_desktop.core.models import JobStatus
from coursegen_desktop.core.store import Store


@dataclass
class CrashStats:
    kills: int = 0
    runs: int = 0
    jobs_started: int = 0
    jobs_resumed: int = 0
    jobs_completed: int = 0
    parts_lost: int = 0
    duplicate_generations: int = 0
    integrity_failures: int = 0
    not_interrupted_after_kill: int = 0
    tracebacks: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["problems"] = self.problems[:10]
        return data


class _Reader(threading.Thread):
    """Collects a child's JSON event lines as they arrive, so a kill can come at any moment."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        super().__init__(daemon=True)
        self.proc = proc
        self.events: list[dict] = []
        self.first = threading.Event()

    def run(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.events.append(json.loads(line))
            except json.JSONDecodeError:
                self.events.append({"type": "not-json", "line": line})
            self.first.set()
        self.first.set()


def _parts(db: Path, job_id: str) -> dict[tuple[str, str], str]:
    with sqlite3.connect(db) as conn:
        return {(kind, key): body for kind, key, body in conn.execute("SELECT kind, key, body FROM parts WHERE job_id = ?", (job_id,))}


def _started_lessons(db: Path, job_id: str, after_seq: int) -> tuple[list[str], int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT seq, body FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq", (job_id, after_seq)).fetchall()
    started = [json.loads(body)["lesson_id"] for _, body in rows if json.loads(body)["type"] == "TopicStarted"]
    return started, max([after_seq] + [seq for seq, _ in rows])


def run_crash_cycles(
    *,
    kills: int,
    seed: int,
    data_dir: Path,
    generate_args: list[str],
    env: dict[str, str],
    max_delay: float,
    timeout: float = 60.0,
) -> CrashStats:
    rng = random.Random(seed)
    stats = CrashStats()
    db = data_dir / "history.sqlite3"
    env = {**env, "COURSEGEN_DATA_DIR": str(data_dir)}
    job_id: str | None = None
    snapshot: dict[tuple[str, str], str] = {}
    last_seq = 0
    while stats.kills < kills:
        command = ["generate", *generate_args] if job_id is None else ["resume", job_id]
        stats.runs += 1
        stats.jobs_started += job_id is None
        stats.jobs_resumed += job_id is not None
        proc = subprocess.Popen(
            [sys.executable, "-m", "coursegen_desktop.cli", *command, "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        reader = _Reader(proc)
        reader.start()
        reader.first.wait(timeout)
        time.sleep(rng.uniform(0.0, max_delay))
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
            stats.kills += 1
        _, stderr = proc.communicate(timeout=timeout)
        reader.join(timeout)
        if "Traceback" in stderr:
            stats.tracebacks += 1
            stats.problems.append(f"traceback: {stderr[-300:]}")
        if job_id is None:
            if not reader.events:
                stats.problems.append(f"no event from a fresh job (rc {proc.returncode}): {stderr[-200:]}")
                continue
            job_id = reader.events[0]["job_id"]
        _check_after_run(stats, db, job_id, snapshot, reader.events, last_seq)
        started, last_seq = _started_lessons(db, job_id, last_seq)
        snapshot = _parts(db, job_id)
        store = Store.open(data_dir)  # what the next app start does: the dead job becomes interrupted
        status = store.get_job(job_id).status
        store.close()
        if status == JobStatus.COMPLETED:
            stats.jobs_completed += 1
            job_id, snapshot, last_seq = None, {}, 0
        elif killed and status != JobStatus.INTERRUPTED:
            stats.not_interrupted_after_kill += 1
            stats.problems.append(f"job {job_id} is {status.value} after a kill")
    if job_id is not None:  # finish the last job with one undisturbed resume
        proc = subprocess.run(
            [sys.executable, "-m", "coursegen_desktop.cli", "resume", job_id, "--json"],
            capture_output=True, text=True, env=env, timeout=timeout,
        )
        stats.runs += 1
        stats.jobs_resumed += 1
        events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        _check_after_run(stats, db, job_id, snapshot, events, last_seq)
        if proc.returncode == 0 and events and events[-1]["type"] == "JobCompleted":
            stats.jobs_completed += 1
        else:
            stats.problems.append(f"final resume ended with {proc.returncode}: {proc.stderr[-300:]}")
    return stats


def _check_after_run(
    stats: CrashStats, db: Path, job_id: str, before: dict[tuple[str, str], str], events: list[dict], last_seq: int
) -> None:
    with sqlite3.connect(db) as conn:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            stats.integrity_failures += 1
            stats.problems.append("integrity_check failed")
    now = _parts(db, job_id)
    for key, body in before.items():
        if now.get(key) != body:
            stats.parts_lost += 1
            stats.problems.append(f"part {key} changed or vanished")
    for event in events:
        if event.get("type") == "TopicCompleted":
            saved = now.get(("lesson", event["lesson_id"]))
            if saved is None or json.loads(saved) != event["lesson"]:
                stats.parts_lost += 1
                stats.problems.append(f"announced lesson {event['lesson_id']} is not saved as announced")
    started, _ = _started_lessons(db, job_id, last_seq)
    for lesson_id in started:
        if ("lesson", lesson_id) in before:
            stats.duplicate_generations += 1
            stats.problems.append(f"lesson {lesson_id} was generated again after it was saved")


def child_env() -> dict[str, str]:
    """The environment for `coursegen` children: this checkout importable, no stray keys."""
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    return env
