"""No double runs: a job runs in one process at a time, and processes share the history safely.

A job is owned through a lock file held by the process running it; the history database is in
WAL mode with a busy timeout, so several `coursegen` processes can write to it at once.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from coursegen_desktop.core.models import make_request
from coursegen_desktop.core.store import Store
from tests.fakes import FakeMessagesAPI
from tests.reliability.clikit import (
    CLI,
    EXIT_OK,
    EXIT_USAGE,
    ROOT,
    SAMPLES,
    CliRun,
    assert_one_sentence,
    cli_env,
    db_path,
    lesson_requests,
    parse_events,
    run_cli,
    run_cli_until,
)

pytestmark = pytest.mark.timeout(90)


def started_runs(data: Path, job_id: str) -> int:
    with sqlite3.connect(f"{db_path(data).as_uri()}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM job_events WHERE job_id = ? AND type = 'JobStarted'", (job_id,)).fetchone()[0]


def test_resume_while_the_job_runs_elsewhere_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tries: dict[str, CliRun] = {}
    with FakeMessagesAPI() as api:
        env = cli_env(data, api)

        def when(event: dict) -> bool:
            tries.setdefault("job_id", event["job_id"])  # type: ignore[arg-type]
            return event["type"] == "TopicCompleted"

        def try_to_run_it_twice(proc: subprocess.Popen[str]) -> None:
            proc.send_signal(signal.SIGSTOP)  # paused mid-lessons, it still owns the job
            try:
                tries["resume"] = run_cli("resume", str(tries["job_id"]), "--json", env=env)
                tries["delete"] = run_cli("delete", str(tries["job_id"]), env=env)
            finally:
                proc.send_signal(signal.SIGCONT)

        run = run_cli_until(
            "generate", "Photosynthesis", "--modules", "1", "--lessons-per-module", "3", "--concurrency", "1", "--json",
            env=env, when=when, then=try_to_run_it_twice,
        )
        counts = lesson_requests(api)

    refused, not_deleted = tries["resume"], tries["delete"]
    assert refused.code == EXIT_USAGE and refused.stdout == "", refused
    assert_one_sentence(refused, "already running in another window or process", "wait for it or cancel it there")
    assert not_deleted.code == EXIT_USAGE
    assert_one_sentence(not_deleted, "still running", "cancel it before deleting it")
    assert run.code == EXIT_OK and run.last["type"] == "JobCompleted", run  # the running job was not disturbed
    assert started_runs(data, run.job_id) == 1  # the refused resume never started a run
    assert sorted(counts.values()) == [1, 1, 1]  # every lesson was written once


def test_two_resumes_of_one_interrupted_job_race_and_only_one_runs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store.open(data)
    job = store.create_job(make_request(topic="Water", material=(SAMPLES / "water-cycle.txt",)))  # offline
    store.close()
    env = cli_env(data)

    procs = [
        subprocess.Popen([*CLI, "resume", job.id, "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(2)
    ]
    results = [(proc.wait(timeout=60), *proc.communicate()) for proc in procs]

    codes = sorted(code for code, _, _ in results)
    assert codes == [EXIT_OK, EXIT_USAGE], results
    loser = next(err for code, _, err in results if code == EXIT_USAGE)
    assert "Traceback" not in loser
    assert "already running in another window or process" in loser or "is already complete" in loser, loser
    assert started_runs(data, job.id) == 1


def test_concurrent_generate_runs_share_the_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = cli_env(data)
    materials = [SAMPLES / "photosynthesis.md", SAMPLES / "water-cycle.txt", SAMPLES / "photosynthesis.md"]
    procs = [
        subprocess.Popen(
            [*CLI, "generate", f"Course {n}", "--offline", "--material", str(material), "--json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        )
        for n, material in enumerate(materials, 1)
    ]
    listings = []
    while any(proc.poll() is None for proc in procs):  # a reader in the middle of it all
        listing = run_cli("jobs", "--json", env=env)
        listings.append((listing.code, listing.stderr))
        time.sleep(0.05)
    results = [(proc.returncode, *proc.communicate()) for proc in procs]

    for code, out, err in results:
        assert code == EXIT_OK and "Traceback" not in err, err
        assert parse_events(out)[-1]["type"] == "JobCompleted"
    assert all(code == EXIT_OK and err == "" for code, err in listings)
    jobs = json.loads(run_cli("jobs", "--json", env=env).stdout)
    assert sorted(job["topic"] for job in jobs) == ["Course 1", "Course 2", "Course 3"]
    assert {job["status"] for job in jobs} == {"completed"}
    with sqlite3.connect(db_path(data)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        seqs = conn.execute("SELECT job_id, count(*), max(seq) FROM job_events GROUP BY job_id").fetchall()
    assert len(seqs) == 3 and all(count == top for _, count, top in seqs)  # no event lost or numbered twice
