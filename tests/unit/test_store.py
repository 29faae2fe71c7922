"""The history database: migrations, permissions, interrupted jobs, locks and corrupt files."""

from __future__ import annotations

import os
import sqlite3
import threading
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from coursegen_desktop.core import store as store_module
from coursegen_desktop.core.errors import AlreadyRunning, NotFound, StorageError
from coursegen_desktop.core.events import Progress
from coursegen_desktop.core.job_locks import JobLocks
from coursegen_desktop.core.models import JobStatus, Lesson, make_request
from coursegen_desktop.core.store import SCHEMA_VERSION, Store


def test_creates_private_folder_and_file(data_dir: Path) -> None:
    store = Store.open()
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_forward_migration_keeps_old_jobs(data_dir: Path) -> None:
    data_dir.mkdir(mode=0o700)
    path = data_dir / "history.sqlite3"
    with sqlite3.connect(path) as conn:  # a database as version 1 of the app left it
        conn.executescript(store_module.MIGRATIONS[0])
        conn.execute("PRAGMA user_version = 1")
        request = make_request(topic="Old job")
        conn.execute(
            "INSERT INTO jobs (id, created_at, updated_at, topic, status, request_json) VALUES ('abc', 1, 1, 'Old job', 'completed', ?)",
            (request.model_dump_json(),),
        )
    store = Store.open()
    assert store.get_job("abc").topic == "Old job"
    store.record_step_timing("abc", "offline", "lessons", 3, 1.5)  # the v2 table exists
    assert store.seconds_per_unit("offline") == {"lessons": 0.5}


def test_newer_schema_is_refused(data_dir: Path) -> None:
    Store.open().close()
    with sqlite3.connect(data_dir / "history.sqlite3") as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(StorageError, match="newer CourseGen"):
        Store.open()


def test_running_job_of_dead_process_becomes_interrupted(data_dir: Path) -> None:
    store = Store.open()
    job = store.create_job(make_request(topic="Left running"))
    store.mark_running(job.id)
    store.close()
    reopened = Store.open()
    record = reopened.get_job(job.id)
    assert record.status == JobStatus.INTERRUPTED
    assert record.resumable


def test_running_job_of_live_process_is_left_alone(data_dir: Path) -> None:
    """A job whose lock another live process holds stays `running` when a second app opens."""
    store = Store.open()
    job = store.create_job(make_request(topic="Still running elsewhere"))
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from coursegen_desktop.core.store import Store
            s = Store.open(recover=False); s.acquire_job({job.id!r}); s.mark_running({job.id!r})
            print("held", flush=True); sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=os.environ.copy(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        other = Store.open()
        assert other.get_job(job.id).status == JobStatus.RUNNING
        with pytest.raises(AlreadyRunning):
            other.acquire_job(job.id)
    finally:
        holder.communicate("\n", timeout=10)
    assert Store.open().get_job(job.id).status == JobStatus.INTERRUPTED


def test_same_job_cannot_be_claimed_twice_in_one_process() -> None:
    store = Store.open()
    job = store.create_job(make_request(topic="Twice"))
    store.acquire_job(job.id)
    with pytest.raises(AlreadyRunning):
        store.acquire_job(job.id)
    store.release_job(job.id)
    store.acquire_job(job.id)


def test_a_part_is_one_row_and_a_damaged_one_is_replaced() -> None:
    store = Store.open()
    job = store.create_job(make_request(topic="Parts"))
    lesson = Lesson(id="m1l1", module_id="m1", title="One", markdown="Body")
    store.save_part(job.id, "lesson", "m1l1", "{damaged")
    assert store.saved_parts(job.id).lessons == {}  # unreadable: Resume writes it again
    store.save_part(job.id, "lesson", "m1l1", lesson.model_dump_json())
    assert store.saved_parts(job.id).lessons == {"m1l1": lesson}
    assert len(store.part_rows(job.id)) == 1


def test_progress_event_moves_percent_forward_only() -> None:
    store = Store.open()
    job = store.create_job(make_request(topic="Percent"))
    store.append_event(Progress(job_id=job.id, seq=1, percent=40))
    store.append_event(Progress(job_id=job.id, seq=2, percent=20))
    assert store.get_job(job.id).percent == 40
    assert [event.seq for event in store.events(job.id)] == [1, 2]
    assert [event.seq for event in store.events(job.id, after_seq=1)] == [2]


def test_not_sqlite_file_is_kept_aside(data_dir: Path) -> None:
    data_dir.mkdir(mode=0o700)
    bogus = data_dir / "history.sqlite3"
    bogus.write_bytes(b"this is not a database\n" * 100)
    store = Store.open()
    kept = list(data_dir.glob("history.sqlite3.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"this is not a database")
    assert store.notices and "kept aside" in store.notices[0]
    assert store.list_jobs() == []


def test_unwritable_data_dir_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("COURSEGEN_DATA_DIR", str(blocker / "data"))
    with pytest.raises(StorageError, match="COURSEGEN_DATA_DIR"):
        Store.open()


def test_job_ids_resolve_by_unique_prefix() -> None:
    store = Store.open()
    job = store.create_job(make_request(topic="Prefix"))
    assert store.resolve_id(job.id[:6]) == job.id
    with pytest.raises(NotFound):
        store.resolve_id("zzzz")
    with pytest.raises(NotFound):
        store.resolve_id("")


def test_job_locks_say_who_runs_a_job() -> None:
    """`is_held` is true for a job this process runs (the old `is_owned_elsewhere` said
    "elsewhere" for it too); `holds` tells this process's own jobs apart."""
    store = Store.open()
    job = store.create_job(make_request(topic="Held here"))
    assert isinstance(store.locks, JobLocks)
    assert not store.locks.is_held(job.id) and not store.locks.holds(job.id)
    store.acquire_job(job.id)
    store.mark_running(job.id)
    assert store.locks.holds(job.id) and store.locks.is_held(job.id)
    second_window = Store.open()  # same process, its own store: sees the job as run, leaves it alone
    assert second_window.locks.is_held(job.id) and not second_window.locks.holds(job.id)
    assert second_window.get_job(job.id).status == JobStatus.RUNNING
    with pytest.raises(AlreadyRunning):
        second_window.delete_job(job.id)
    store.release_job(job.id)
    assert not store.locks.is_held(job.id) and not second_window.locks.is_held(job.id)


def test_two_processes_migrating_at_once_do_not_clash(data_dir: Path) -> None:
    """The version is read before the write lock is taken; a process that waited while another
    migrated must not run the same migration again ("table jobs already exists")."""
    Store.open().close()  # the other process: fully migrated

    class StaleFirstRead:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn, self.stale = conn, True

        def execute(self, sql: str, *args: object) -> object:
            if self.stale and sql.strip() == "PRAGMA user_version":
                self.stale = False
                return self.conn.execute("SELECT 0")  # what this process read before waiting
            return self.conn.execute(sql, *args)

    store = Store(data_dir / "history.sqlite3")
    thread = threading.get_ident()
    store._connections[thread] = StaleFirstRead(store._conn)  # type: ignore[assignment]
    store._migrate()
    assert store._connections[thread].conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION  # type: ignore[attr-defined]
    store._connections[thread] = store._connections[thread].conn  # type: ignore[attr-defined]
    store.close()
