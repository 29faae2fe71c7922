"""The fault matrix, through the real `coursegen` command: one test per way a job can be hurt.

Every row checks what a user or a script meets: the exit code of the contract (0 completed,
1 failed, 2 bad input or unusable storage, 130 Ctrl+C), the error kind in the `JobFailed` event
and in `coursegen show --json`, one `coursegen: …` sentence on stderr that says what to do and
no traceback, and that every part saved before the fault is still saved, as announced, after it.
Claude rows run against the local fake Messages API (tests/fakes). The API-error rows call
`cli.main([...])` in this process (same code path and output, without a second of SDK start-up per
row); rows where the process itself matters — timeouts, Ctrl+C, a second process holding the
database, a real full or read-only file system, a corrupt database file — run real `coursegen`
children. Timeouts and retry delays are shortened through the generator's environment knobs
(COURSEGEN_RETRY_BASE_S, COURSEGEN_CONNECT_TIMEOUT, COURSEGEN_READ_TIMEOUT) and the store's
COURSEGEN_DB_BUSY_TIMEOUT_S.
"""

from __future__ import annotations

import hashlib
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from coursegen_desktop import cli
from coursegen_desktop.core.generators.claude_errors import AUTH_MESSAGE, NETWORK_MESSAGE
from coursegen_desktop.core.generators.base import TEXT_RESTART
from coursegen_desktop.core.models import make_request
from coursegen_desktop.core.store import Store
from tests.fakes import DEFAULT_KEY, Fault, FakeMessagesAPI
from tests.reliability.clikit import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    ROOT,
    SAMPLE_NOTES,
    SMALL_CLAUDE,
    CliRun,
    assert_announced_lessons_saved,
    assert_clean_stderr,
    assert_one_sentence,
    cli_env,
    db_path,
    in_mount_namespace,
    interrupt,
    lesson_requests,
    mount_namespace_available,
    parse_events,
    run_cli,
    run_cli_until,
    run_in_process,
    saved_parts,
    show_json,
)

pytestmark = pytest.mark.timeout(60)
ALL_PARTS = {("outline", "outline"), ("lesson", "m1-l1"), ("lesson", "m1-l2"), ("quiz", "m1"), ("exam", "exam"), ("flashcards", "deck")}


def generate_claude(capsys: pytest.CaptureFixture[str]) -> CliRun:
    """`coursegen generate … --json` in this process (the API rows; the process-level rows below
    run real children)."""
    return run_in_process(capsys, "generate", *SMALL_CLAUDE, "--json")


def show(capsys: pytest.CaptureFixture[str], job_id: str) -> dict:
    run = run_in_process(capsys, "show", job_id, "--json")
    assert run.code == EXIT_OK, run
    assert_clean_stderr(run)
    return json.loads(run.stdout)


def assert_failed(run: CliRun, data: Path, kind: str, code: int, *words: str, resumable: bool = True) -> dict:
    """A failed job, told the way the contract says, with everything announced still saved."""
    assert run.code == code, run
    failed = run.last
    assert failed["type"] == "JobFailed" and failed["kind"] == kind and failed["resumable"] is resumable, run
    message = assert_one_sentence(run, *words)
    assert failed["message"] in message
    assert (f"coursegen resume {run.job_id}" in message) is resumable
    assert_announced_lessons_saved(run, data)
    return failed


# ---------------------------------------------------------------------------------------------
# Faults the generator gets over with on its own: one visible retry, then the job completes


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        pytest.param(Fault.rate_limited(retry_after=0.4), "Rate limited by the API", id="429-with-retry-after"),
        pytest.param(Fault.rate_limited(), "Rate limited by the API", id="429-without-retry-after"),
        pytest.param(Fault.server_error(500), "The API had a temporary error", id="500"),
        pytest.param(Fault.overloaded(), "Claude is overloaded", id="529-overloaded"),
        pytest.param(Fault.sse_error(after=5), "Claude is overloaded", id="sse-error-mid-stream"),
        pytest.param(Fault.cut(after=5), "Connection lost", id="stream-cut"),
    ],
)
def test_transient_fault_is_retried_once_and_the_job_completes(
    capsys: pytest.CaptureFixture[str], data_dir: Path, api: FakeMessagesAPI, fault: Fault, reason: str
) -> None:
    data = data_dir
    api.fail(fault, kind="lesson")  # the first lesson's first attempt; the outline is saved already

    run = generate_claude(capsys)

    assert run.code == EXIT_OK and run.last["type"] == "JobCompleted", run
    assert run.stderr == ""  # with --json a completed job says nothing on stderr
    retrying = run.of("Retrying")
    assert [(event["attempt"], event["reason"]) for event in retrying] == [(1, reason)]
    if fault.retry_after is not None:
        assert retrying[0]["delay_s"] >= fault.retry_after  # retry-after is honoured
    else:
        assert retrying[0]["delay_s"] < 1.0  # our own (shortened) backoff
    assert set(saved_parts(data, run.job_id)) == ALL_PARTS
    assert lesson_requests(api) == {'m1-l1 Lesson 1.1': 2, 'm1-l2 Lesson 1.2': 1}
    lesson = json.loads(saved_parts(data, run.job_id)[("lesson", "m1-l1")])
    assert TEXT_RESTART.strip() not in lesson["markdown"] and lesson["markdown"].count("## Objectives") == 1
    job = show(capsys, run.job_id)
    assert job["partial"] is False and job["job"]["status"] == "completed" and len(job["lessons"]) == 2


# ---------------------------------------------------------------------------------------------
# Faults that end the job: a clear sentence, the right kind, the parts saved before are kept


@pytest.mark.parametrize(
    ("fault", "kind", "words"),
    [
        pytest.param(Fault.unauthorized(), "auth", ["API key was rejected", "Settings"], id="401"),
        pytest.param(Fault.forbidden(), "auth", ["API key was rejected", "Settings"], id="403"),
        pytest.param(Fault.bad_request("max_tokens: 99999 is too large"), "bad_request", ["refused the request", "max_tokens"], id="400"),
        pytest.param(Fault.billing(), "billing", ["run out of credit", "Console"], id="billing"),
    ],
)
def test_permanent_api_error_fails_at_once_keeping_saved_parts(
    capsys: pytest.CaptureFixture[str], data_dir: Path, api: FakeMessagesAPI, fault: Fault, kind: str, words: list[str]
) -> None:
    data = data_dir
    api.fail_request(3, fault)  # the second lesson: outline and first lesson are saved by then

    run = generate_claude(capsys)

    failed = assert_failed(run, data, kind, EXIT_FAILED, *words, resumable=kind != "bad_request")
    assert not run.of("Retrying") and len(api.messages("lesson")) == 2  # never retried
    if kind == "auth":
        assert failed["message"] == AUTH_MESSAGE
    assert {("outline", "outline"), ("lesson", "m1-l1")} <= set(saved_parts(data, run.job_id))
    job = show(capsys, run.job_id)
    assert (job["partial"], job["job"]["status"], job["job"]["error_kind"]) == (True, "failed", kind)
    assert [lesson["id"] for lesson in job["lessons"]] == ["m1-l1"]


def test_invalid_structured_output_twice(capsys: pytest.CaptureFixture[str], data_dir: Path, api: FakeMessagesAPI) -> None:
    data = data_dir
    api.fail(Fault.invalid(), kind="quiz", times=2)  # the answer and its one repair are both unusable

    run = generate_claude(capsys)

    failed = assert_failed(run, data, "invalid_output", EXIT_FAILED, "could not be used, twice", "Resume")
    assert failed["step"] in ("lessons", "quizzes") and len(api.messages("quiz")) == 2
    assert {("outline", "outline"), ("lesson", "m1-l1"), ("lesson", "m1-l2")} <= set(saved_parts(data, run.job_id))
    assert show(capsys, run.job_id)["job"]["error_kind"] == "invalid_output"


def test_server_that_stops_answering_mid_job_times_out(tmp_path: Path) -> None:
    """The server accepts requests and never answers (a hung proxy): a read timeout per attempt."""
    data = tmp_path / "data"
    with FakeMessagesAPI() as api:
        env = cli_env(data, api, COURSEGEN_READ_TIMEOUT="0.2", COURSEGEN_RETRY_BASE_S="0.02")

        def hang(_proc: subprocess.Popen[str]) -> None:
            api.first_byte_delay = 30  # every request from now on is accepted and never answered

        run = run_cli_until("generate", *SMALL_CLAUDE, "--json", env=env, when=lambda e: e["type"] == "TopicCompleted", then=hang)

    # Six short timeouts, not 6 × 120 s: with the defaults this run would outlast the test timeout.
    failed = assert_failed(run, data, "network", EXIT_FAILED, "Resume", "online")
    assert failed["message"] == NETWORK_MESSAGE
    assert {event["reason"] for event in run.of("Retrying")} == {"The API did not answer in time"}
    assert {("outline", "outline"), ("lesson", "m1-l1")} <= set(saved_parts(data, run.job_id))
    job = show_json(cli_env(data), run.job_id)["job"]
    assert (job["status"], job["error_kind"], job["resumable"]) == ("failed", "network", True)


@contextmanager
def unreachable_server() -> Iterator[str]:
    """A listening socket whose accept queue is full: a new connection's SYN is never answered."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(server.getsockname())
        except BlockingIOError:
            pass
        fillers.append(filler)
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        for sock in [*fillers, server]:
            sock.close()


def test_connect_timeout(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with unreachable_server() as url:
        env = cli_env(data, None, ANTHROPIC_API_KEY=DEFAULT_KEY, ANTHROPIC_BASE_URL=url,
                      COURSEGEN_CONNECT_TIMEOUT="0.2", COURSEGEN_READ_TIMEOUT="0.2", COURSEGEN_RETRY_BASE_S="0.02")
        run = run_cli("generate", *SMALL_CLAUDE, "--json", env=env)  # short timeouts, or the test timeout fails it

    failed = assert_failed(run, data, "network", EXIT_FAILED, "Resume", "online")
    assert failed["step"] == "outline" and len(run.of("Retrying")) == 5
    assert {event["reason"] for event in run.of("Retrying")} <= {"The API did not answer in time", "Could not reach the API"}
    assert show_json(cli_env(data), run.job_id)["job"]["error_kind"] == "network"


def test_ctrl_c_cancels_and_keeps_finished_lessons(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with FakeMessagesAPI(delta_delay=0.02) as slow:
        run = run_cli_until(
            "generate", *SMALL_CLAUDE, "--json", env=cli_env(data, slow), when=lambda e: e["type"] == "TopicCompleted", then=interrupt
        )

    assert run.code == EXIT_CANCELLED, run
    assert run.last["type"] == "JobCancelled"
    assert_one_sentence(run, "Cancelled", "finished parts kept", f"coursegen resume {run.job_id}")
    assert ("lesson", "m1-l1") in assert_announced_lessons_saved(run, data)
    assert show_json(cli_env(data), run.job_id)["job"]["status"] == "cancelled"


# ---------------------------------------------------------------------------------------------
# Storage faults


def test_disk_full_while_saving_in_process(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    """From the third saved part on, every write fails as SQLite does on a full disk
    (`database or disk is full`); the log cannot be written either."""
    state = {"saved": 0, "full": False, "space_freed": False}
    real_write, real_save = Store._write, Store.save_part

    def save_part(self: Store, job_id: str, kind: str, key: str, body: str) -> None:
        state["full"] = state["saved"] >= 3 and not state["space_freed"]
        real_save(self, job_id, kind, key, body)
        state["saved"] += 1

    @contextmanager
    def write(self: Store, what: str = "the job") -> Iterator[sqlite3.Connection]:
        with real_write(self, what) as conn:
            if state["full"]:
                raise sqlite3.OperationalError("database or disk is full")
            yield conn

    monkeypatch.setattr(Store, "save_part", save_part)
    monkeypatch.setattr(Store, "_write", write)
    code = cli.main(["generate", "Photosynthesis", "--offline", "--material", str(SAMPLE_NOTES), "--json"])
    out, err = capsys.readouterr()
    run = CliRun(["generate"], code, out, err, parse_events(out))

    failed = assert_failed(run, data_dir, "disk_full", EXIT_FAILED, "disk is full", "free some space", "Resume")
    assert failed["step"] == "lessons"
    kept = saved_parts(data_dir, run.job_id)
    assert len(kept) == 3 and ("outline", "outline") in kept

    state["space_freed"], state["full"] = True, False
    code = cli.main(["resume", run.job_id, "--json"])
    out, err = capsys.readouterr()
    resumed = parse_events(out)
    assert code == EXIT_OK and resumed[-1]["type"] == "JobCompleted", err
    after = saved_parts(data_dir, run.job_id)
    assert all(after[key] == body for key, body in kept.items())  # byte for byte
    again = {event["lesson_id"] for event in resumed if event["type"] == "TopicStarted"}
    assert not again & {key for kind, key in kept if kind == "lesson"}  # nothing saved is written twice


@pytest.mark.skipif(not mount_namespace_available(), reason="needs user namespaces (unshare -rm) to mount a small tmpfs")
def test_disk_really_full_on_a_tiny_tmpfs(tmp_path: Path) -> None:
    """A real full disk: a 4 MB tmpfs filled up to the last 150 kB, in a private mount namespace."""
    mount = tmp_path / "disk"
    mount.mkdir()
    env = cli_env(mount / "data")
    proc = subprocess.run(
        in_mount_namespace([sys.executable, "-m", "tests.reliability.fs_fault_child", "disk-full", str(mount), "150", str(SAMPLE_NOTES)]),
        env=env, capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    first = result["first"]
    run = CliRun(first["args"], first["code"], first["stdout"], first["stderr"], parse_events(first["stdout"]))
    assert run.code == EXIT_FAILED, run
    assert run.last["type"] == "JobFailed" and run.last["kind"] == "disk_full"
    assert_one_sentence(run, "disk is full", "free some space", f"coursegen resume {run.job_id}")
    assert "Logging error" not in run.stderr
    kept = result["after_failure"]
    for event in run.of("TopicCompleted"):  # every lesson announced before the disk filled is saved
        assert json.loads(kept[f"lesson/{event['lesson_id']}"]) == event["lesson"]
    second = result["second"]
    assert second["code"] == EXIT_OK and second["stderr"] == "", second
    assert all(result["after_resume"][key] == body for key, body in kept.items())


@pytest.mark.skipif(not mount_namespace_available(), reason="needs user namespaces (unshare -rm) for a read-only bind mount")
def test_read_only_data_folder(tmp_path: Path) -> None:
    """The data folder sits on a read-only mount (root cannot write there either: EROFS)."""
    data = tmp_path / "data"
    store = Store.open(data)
    job = store.create_job(make_request(topic="Kept history", material=(SAMPLE_NOTES,)))
    store.save_part(job.id, "outline", "outline", '{"kept": true}')
    store.close()
    before = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in data.iterdir() if path.is_file()}

    outcomes = []
    for args in (["generate", "Photosynthesis", "--offline", "--material", str(SAMPLE_NOTES), "--json"], ["jobs"]):
        proc = subprocess.run(
            in_mount_namespace([sys.executable, "-m", "tests.reliability.fs_fault_child", "read-only", str(data), *args]),
            env=cli_env(data), capture_output=True, text=True, timeout=60, cwd=ROOT,
        )
        assert proc.returncode == 0, proc.stderr
        outcomes.append(json.loads(proc.stdout))

    for outcome in outcomes:
        assert outcome["really_read_only"]
        run = CliRun(outcome["args"], outcome["code"], outcome["stdout"], outcome["stderr"], parse_events(outcome["stdout"]))
        assert run.code == EXIT_USAGE and run.stdout == "", run
        assert_one_sentence(run, str(data), "COURSEGEN_DATA_DIR", "write")
    after = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in data.iterdir() if path.is_file()}
    assert after == before
    assert saved_parts(data, job.id) == {("outline", "outline"): '{"kept": true}'}


def _hold_exclusive_lock(db: Path, seconds: float, paused: subprocess.Popen[str] | None = None) -> subprocess.Popen[str]:
    """Another process that takes the database's write lock and keeps it for `seconds`.

    With `paused`, that process (a running job) is stopped while the lock is taken, so the job
    cannot finish first; if it was stopped inside one of its own short write transactions, it is
    let go for a moment and stopped again until the lock is free.
    """
    code = (
        "import sqlite3, sys, time\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0.05)\n"
        "for line in sys.stdin:\n"
        "    try:\n"
        "        conn.execute('BEGIN EXCLUSIVE')\n"
        "    except sqlite3.OperationalError:\n"
        "        print('busy', flush=True)\n"
        "        continue\n"
        "    print('locked', flush=True)\n"
        "    time.sleep(float(sys.argv[2]))\n"
        "    conn.execute('ROLLBACK')\n"
        "    break\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdin is not None and holder.stdout is not None
    for _ in range(200):
        if paused is not None:
            paused.send_signal(signal.SIGSTOP)
        holder.stdin.write("try\n")
        holder.stdin.flush()
        answer = holder.stdout.readline().strip()
        if paused is not None:
            paused.send_signal(signal.SIGCONT)
        if answer == "locked":
            return holder
        assert answer == "busy", answer
        time.sleep(0.01)
    raise AssertionError("the database lock could not be taken")


def test_database_locked_by_another_process_mid_job(tmp_path: Path) -> None:
    data = tmp_path / "data"
    holders: list[subprocess.Popen[str]] = []

    def lock_now(proc: subprocess.Popen[str]) -> None:
        holders.append(_hold_exclusive_lock(db_path(data), 1.0, paused=proc))

    with FakeMessagesAPI() as fake:
        env = cli_env(data, fake, COURSEGEN_DB_BUSY_TIMEOUT_S="0.2")
        run = run_cli_until("generate", *SMALL_CLAUDE, "--json", env=env, when=lambda e: e["type"] == "TopicCompleted", then=lock_now)
        holders[0].wait(timeout=10)

        # Storage the user must fix is exit 2 in the CLI contract; the job is resumable.
        assert_failed(run, data, "storage", EXIT_USAGE, "busy in another program", "close the other")
        assert ("lesson", "m1-l1") in saved_parts(data, run.job_id)
        resumed = run_cli("resume", run.job_id, "--json", env=env)
        assert resumed.code == EXIT_OK and resumed.last["type"] == "JobCompleted", resumed
        assert lesson_requests(fake)["m1-l1 Lesson 1.1"] == 1  # the saved lesson was not written again
    assert set(saved_parts(data, run.job_id)) == ALL_PARTS


def test_database_locked_before_the_job_starts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    Store.open(data).close()
    holder = _hold_exclusive_lock(db_path(data), 1.0)
    try:
        run = run_cli("generate", "Photosynthesis", "--offline", "--material", str(SAMPLE_NOTES), "--json",
                      env=cli_env(data, COURSEGEN_DB_BUSY_TIMEOUT_S="0.2"))
    finally:
        holder.wait(timeout=10)
    assert run.code == EXIT_USAGE and run.stdout == "", run
    assert_one_sentence(run, "busy in another program", "try again")


def test_corrupt_database_is_kept_aside_and_a_new_one_started(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store.open(data)
    job = store.create_job(make_request(topic="Old history", material=(SAMPLE_NOTES,)))
    store.save_part(job.id, "outline", "outline", '{"old": true}')
    store.close()
    db = db_path(data)
    damaged = bytearray(db.read_bytes())
    damaged[4096 : 4096 * 3] = b"\xde\xad\xbe\xef" * 2048  # pages 2 and 3 overwritten (a bad sector)
    db.write_bytes(bytes(damaged))
    env = cli_env(data)

    run = run_cli("generate", "Photosynthesis", "--offline", "--material", str(SAMPLE_NOTES), "--json", env=env)

    assert run.code == EXIT_USAGE and run.stdout == "", run
    assert_one_sentence(run, "kept aside as history.sqlite3.corrupt-", "new, empty history", "Run the command again")
    kept = list(data.glob("history.sqlite3.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == bytes(damaged)  # the old file, untouched, for recovery tools
    again = run_cli("generate", "Photosynthesis", "--offline", "--material", str(SAMPLE_NOTES), "--json", env=env)
    assert again.code == EXIT_OK and again.last["type"] == "JobCompleted", again
    assert_clean_stderr(again)


def test_file_that_is_not_sqlite_at_all(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    db_path(data).write_text("this is a shopping list, not a database\n" * 100)
    env = cli_env(data)

    run = run_cli("jobs", "--json", env=env)

    assert run.code == EXIT_USAGE and run.stdout == ""
    assert_one_sentence(run, "kept aside", "Run the command again")
    assert run_cli("jobs", "--json", env=env).stdout.strip() == "[]"
