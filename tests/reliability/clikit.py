"""Running the real `coursegen` command as a user's script would, and reading what it left behind.

Shared by the reliability tests: an environment that points a child process at a private data
folder (and, for Claude, at the local fake Messages API), a runner that parses `--json` event
lines, checks of the one-sentence contract on stderr, and read-only looks into the history
database from the outside.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakes import DEFAULT_KEY, FakeMessagesAPI

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples"
SAMPLE_NOTES = SAMPLES / "photosynthesis.md"
CLI = [sys.executable, "-m", "coursegen_desktop.cli"]
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130
# A small Claude course whose requests come in a fixed order: 1 outline, 2 lesson m1-l1,
# 3 lesson m1-l2, 4 quiz m1, then exam and flashcards.
SMALL_CLAUDE = ["Photosynthesis", "--modules", "1", "--lessons-per-module", "2", "--concurrency", "1"]


def cli_env(data_dir: Path, api: FakeMessagesAPI | None = None, *, key: str = DEFAULT_KEY, **extra: str) -> dict[str, str]:
    """A child's environment: this checkout importable, its own data folder, no real key or keychain,
    no client-side rate limit (each child is alone) and short retry delays."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "COURSEGEN_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        COURSEGEN_DATA_DIR=str(data_dir),
        COURSEGEN_NO_KEYRING="1",
        COURSEGEN_RPM="0",
        COURSEGEN_RETRY_BASE_S="0.05",
        LANG="C.UTF-8",
        PYTHONWARNINGS="default",  # a stray warning would show up on stderr, where tests look
    )
    if api is not None:
        env.update(ANTHROPIC_API_KEY=key, ANTHROPIC_BASE_URL=api.base_url)
    env.update(extra)
    return env


@dataclass
class CliRun:
    args: list[str]
    code: int
    stdout: str
    stderr: str
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def job_id(self) -> str:
        assert self.events, f"no events: rc {self.code}, stderr {self.stderr!r}"
        return self.events[0]["job_id"]

    @property
    def last(self) -> dict[str, Any]:
        assert self.events, f"no events: rc {self.code}, stderr {self.stderr!r}"
        return self.events[-1]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event.get("type") == kind]

    def __repr__(self) -> str:  # what a failing assert shows
        return f"CliRun({self.args!r}, code={self.code}, stderr={self.stderr[-600:]!r}, last={self.events[-1] if self.events else None})"


def parse_events(stdout: str) -> list[dict[str, Any]]:
    """`--json` output: one JSON object per line, and nothing else."""
    events = []
    for line in stdout.splitlines():
        if line.strip():
            value = json.loads(line)  # a non-JSON line on stdout breaks the contract: let it raise
            if isinstance(value, dict):
                events.append(value)
    return events


def run_cli(*args: str, env: dict[str, str], timeout: float = 60, cwd: Path | None = None) -> CliRun:
    proc = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd or ROOT)
    events = parse_events(proc.stdout) if "--json" in args and args[0] in ("generate", "resume") else []
    return CliRun(list(args), proc.returncode, proc.stdout, proc.stderr, events)


def run_cli_until(
    *args: str, env: dict[str, str], when: Callable[[dict[str, Any]], bool], then: Callable[[subprocess.Popen[str]], None], timeout: float = 60
) -> CliRun:
    """Run `coursegen … --json`, calling `then(proc)` once, right after the first event `when` accepts."""
    proc = subprocess.Popen([*CLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    events: list[dict[str, Any]] = []
    stderr: list[str] = []
    err_reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
    err_reader.start()
    fired = False
    deadline = time.monotonic() + timeout
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip():
                events.append(json.loads(line))
                if not fired and when(events[-1]):
                    fired = True
                    then(proc)
            if time.monotonic() > deadline:
                raise TimeoutError(f"coursegen {' '.join(args)} ran for more than {timeout} s")
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        err_reader.join(5)
    assert fired, f"the awaited event never came: {[e.get('type') for e in events]} {''.join(stderr)[-400:]}"
    return CliRun(list(args), proc.returncode, "", "".join(stderr), events)


def interrupt(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)


# ---------------------------------------------------------------------------------------------
# What the user reads


def assert_clean_stderr(run: CliRun) -> None:
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout, run
    assert "Error:" not in run.stderr.replace("coursegen:", ""), run  # no raw exception names


def assert_one_sentence(run: CliRun, *words: str) -> str:
    """The failure is told in one line on stderr, `coursegen: …`, naming what to do (`words`)."""
    assert_clean_stderr(run)
    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
    assert lines and lines[-1].startswith("coursegen: "), run
    message = lines[-1]
    assert message.endswith((".", "`)")), run  # a sentence, perhaps with "(continue with `coursegen resume ID`)"
    for word in words:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"
    return message


# ---------------------------------------------------------------------------------------------
# What the history holds, read from the outside


def db_path(data_dir: Path) -> Path:
    return data_dir / "history.sqlite3"


def saved_parts(data_dir: Path, job_id: str) -> dict[tuple[str, str], str]:
    """Every saved part of a job, read through a read-only connection (never recovers or migrates)."""
    uri = f"{db_path(data_dir).as_uri()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        rows = conn.execute("SELECT kind, key, body FROM parts WHERE job_id = ?", (job_id,)).fetchall()
    return {(kind, key): body for kind, key, body in rows}


def announced_parts(run: CliRun) -> dict[str, dict[str, Any]]:
    """The lessons the process said were finished (TopicCompleted), as it announced them."""
    return {event["lesson_id"]: event["lesson"] for event in run.of("TopicCompleted")}


def assert_announced_lessons_saved(run: CliRun, data_dir: Path) -> dict[tuple[str, str], str]:
    parts = saved_parts(data_dir, run.job_id)
    for lesson_id, lesson in announced_parts(run).items():
        body = parts.get(("lesson", lesson_id))
        assert body is not None and json.loads(body) == lesson, f"lesson {lesson_id} was announced but is not saved as announced"
    return parts


def show_json(env: dict[str, str], job_id: str) -> dict[str, Any]:
    run = run_cli("show", job_id, "--json", env=env)
    assert run.code == 0, run
    assert_clean_stderr(run)
    return json.loads(run.stdout)


def lesson_requests(api: FakeMessagesAPI) -> dict[str, int]:
    """How many lesson requests the fake answered per lesson title (a regenerated lesson shows as 2)."""
    counts: dict[str, int] = {}
    for request in api.messages("lesson"):
        match = re.search(r'Write lesson (\S+), "([^"]*)"', request.text)
        title = f"{match[1]} {match[2]}" if match else "?"
        counts[title] = counts.get(title, 0) + 1
    return counts


# ---------------------------------------------------------------------------------------------
# Real file-system faults without root: a private mount namespace (`unshare -rm`) where a child
# may mount a tiny tmpfs (a disk that fills up) or a read-only bind mount (a read-only disk).

_USERNS: bool | None = None


def mount_namespace_available() -> bool:
    global _USERNS
    if _USERNS is None:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            try:
                probe = subprocess.run(["unshare", "-rm", "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", folder], capture_output=True, timeout=10)
                _USERNS = probe.returncode == 0
            except (OSError, subprocess.SubprocessError):
                _USERNS = False
    return _USERNS


def in_mount_namespace(command: list[str]) -> list[str]:
    return ["unshare", "-rm", *command]


def run_in_process(capsys: Any, *args: str) -> CliRun:
    """`cli.main(args)` in this process, with stdout and stderr captured by pytest's `capsys`:
    the same contract, without the second of interpreter and SDK start-up a subprocess costs."""
    from coursegen_desktop import cli

    capsys.readouterr()
    try:
        code = cli.main(list(args))
    except SystemExit as exit_:  # argparse usage errors
        code = int(exit_.code or 0) if not isinstance(exit_.code, str) else EXIT_USAGE
    out, err = capsys.readouterr()
    events = parse_events(out) if "--json" in args and args[0] in ("generate", "resume") else []
    return CliRun(list(args), code, out, err, events)
