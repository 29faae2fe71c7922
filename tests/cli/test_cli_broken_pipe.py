"""`coursegen … | head -1`: when the reader of stdout goes away, coursegen stops like a Unix tool
(no message, exit 141) and a running job ends cancelled and resumable, never failed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.reliability.clikit import CLI, ROOT, SAMPLES, cli_env, run_cli

EXIT_BROKEN_PIPE = 141
MATERIAL = ["--material", str(SAMPLES / "photosynthesis.md"), "--material", str(SAMPLES / "water-cycle.txt")]
BIG = ["--modules", "4", "--lessons-per-module", "4"]  # ~60 kB of events: far more than `head -1` reads


def _closed_pipe() -> int:
    """The writing end of a pipe whose reader has already gone: every write fails with EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


def _run_into(stdout: int, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([*CLI, *args], stdout=stdout, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT, timeout=120)
    finally:
        os.close(stdout)


def _the_only_job(env: dict[str, str]) -> dict:
    jobs = run_cli("jobs", "--json", env=env)
    assert jobs.code == 0, jobs
    [job] = json.loads(jobs.stdout)
    return job


def _assert_stopped_cleanly(job: dict) -> None:
    assert job["status"] in ("cancelled", "completed"), job  # never "failed" with an internal error
    assert job["error_kind"] in (None, ""), job
    if job["status"] == "cancelled":
        assert job["resumable"], job


def test_jobs_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data")
    assert run_cli("generate", "Photosynthesis", "--offline", *MATERIAL, env=env).code == 0
    result = _run_into(_closed_pipe(), "jobs", env=env)
    assert result.stderr == ""
    assert result.returncode == EXIT_BROKEN_PIPE
    result = _run_into(_closed_pipe(), "jobs", "--json", env=env)
    assert (result.returncode, result.stderr) == (EXIT_BROKEN_PIPE, "")


def test_generate_json_into_a_closed_pipe_ends_cancelled_and_resumes(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data")
    result = _run_into(_closed_pipe(), "generate", "Photosynthesis", "--offline", *MATERIAL, "--json", env=env)
    assert result.stderr == ""
    assert result.returncode == EXIT_BROKEN_PIPE
    job = _the_only_job(env)
    assert job["status"] == "cancelled" and job["resumable"], job
    resumed = run_cli("resume", job["id"], "--json", env=env)
    assert resumed.code == 0 and resumed.last["type"] == "JobCompleted", resumed


def test_generate_json_piped_into_head(tmp_path: Path) -> None:
    """`coursegen generate … --json | head -1` with a real shell pipeline."""
    env = cli_env(tmp_path / "data")
    command = " ".join(f"'{part}'" for part in [*CLI, "generate", "Photosynthesis", "--offline", *MATERIAL, *BIG, "--json"])
    shell = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command} 2>stderr.txt | head -1; echo \"status ${{PIPESTATUS[0]}}\""],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    first, status = shell.stdout.splitlines()
    assert json.loads(first)["type"] == "JobStarted"
    assert (tmp_path / "stderr.txt").read_text() == ""
    assert status in (f"status {EXIT_BROKEN_PIPE}", "status 0"), shell.stdout  # 0 only if the job finished first
    _assert_stopped_cleanly(_the_only_job(env))


def test_progress_on_a_closed_stderr_does_not_fail_the_job(tmp_path: Path) -> None:
    """Without --json the progress lines go to stderr: `coursegen generate … 2>&1 | head -1`."""
    env = cli_env(tmp_path / "data")
    write_end = _closed_pipe()
    try:
        result = subprocess.run([*CLI, "generate", "Photosynthesis", "--offline", *MATERIAL], stdout=write_end, stderr=write_end,
                                env=env, cwd=ROOT, timeout=120)
    finally:
        os.close(write_end)
    assert result.returncode == EXIT_BROKEN_PIPE
    _assert_stopped_cleanly(_the_only_job(env))
