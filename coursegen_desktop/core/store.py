"""The local SQLite history: jobs, their events, every finished part (for resume), and courses.

One connection per thread (SQLite connections must not be shared across threads), WAL so the
GUI can read while workers write, a busy timeout so two processes share the file safely, and
`PRAGMA user_version` forward migrations. A job is run by the process holding its lock file
(`JobLocks`); a `running` job whose lock nobody holds was left by a dead process and becomes
`interrupted`.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from coursegen_desktop.core import paths
from coursegen_desktop.core.errors import AlreadyRunning, NotFound, StorageError, storage_error_from_os
from coursegen_desktop.core.events import AnyEvent, Event, Progress
from coursegen_desktop.core.history import PAGE_SIZE, HistoryPage, HistoryQuery, PageCursor, fold
from coursegen_desktop.core.job_locks import JobLocks
from coursegen_desktop.core.models import (
    Course,
    CourseRequest,
    Exam,
    FlashcardDeck,
    JobRecord,
    JobStatus,
    Lesson,
    Outline,
    Quiz,
    Usage,
)

log = logging.getLogger(__name__)

# Each entry moves the schema one version forward; never edit a shipped entry, append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        started_at REAL,
        run_started_at REAL,
        finished_at REAL,
        run_seconds REAL NOT NULL DEFAULT 0,
        topic TEXT NOT NULL,
        status TEXT NOT NULL,
        percent REAL NOT NULL DEFAULT 0,
        request_json TEXT NOT NULL,
        error_kind TEXT,
        error_message TEXT,
        error_step TEXT,
        resumable INTEGER NOT NULL DEFAULT 0,
        usage_json TEXT NOT NULL DEFAULT '{}',
        course_title TEXT
    );
    CREATE INDEX jobs_created_at ON jobs(created_at);
    CREATE TABLE job_events (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        at REAL NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (job_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE parts (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (job_id, kind, key)
    ) WITHOUT ROWID;
    CREATE TABLE courses (
        job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    """,
    # v2: step timings, so the ETA can learn from past jobs.
    """
    CREATE TABLE step_timings (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        generator TEXT NOT NULL,
        step TEXT NOT NULL,
        units INTEGER NOT NULL,
        seconds REAL NOT NULL,
        recorded_at REAL NOT NULL,
        PRIMARY KEY (job_id, step)
    ) WITHOUT ROWID;
    """,
    # History paging: one covering index serves the newest-first pages and the filter scans
    # (status, topic, title) without reading the wide rows; it replaces jobs_created_at.
    """
    CREATE INDEX jobs_history ON jobs(created_at, id, status, topic, course_title);
    DROP INDEX IF EXISTS jobs_created_at;
    """,
    # study: FSRS cards (keyed by course id + normalised front), their review log, and quiz attempts.
    """
    CREATE TABLE study_cards (
        id TEXT PRIMARY KEY,
        course_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        front TEXT NOT NULL,
        back TEXT NOT NULL,
        module_id TEXT,
        position INTEGER NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        state INTEGER NOT NULL DEFAULT 0,
        due REAL,
        fsrs TEXT,
        created_at REAL NOT NULL,
        first_reviewed_at REAL
    );
    CREATE INDEX study_cards_course ON study_cards(course_id, position);
    CREATE INDEX study_cards_due ON study_cards(active, state, due);
    CREATE INDEX study_cards_first_review ON study_cards(first_reviewed_at);
    CREATE TABLE study_reviews (
        id INTEGER PRIMARY KEY,
        card_id TEXT NOT NULL REFERENCES study_cards(id) ON DELETE CASCADE,
        reviewed_at REAL NOT NULL,
        rating INTEGER NOT NULL,
        state_before INTEGER NOT NULL,
        state_after INTEGER NOT NULL,
        due_after REAL NOT NULL,
        stability REAL,
        difficulty REAL,
        duration_ms INTEGER
    );
    CREATE INDEX study_reviews_card ON study_reviews(card_id, reviewed_at);
    CREATE INDEX study_reviews_at ON study_reviews(reviewed_at);
    CREATE TABLE study_synced (
        course_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
        course_saved_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE quiz_attempts (
        id INTEGER PRIMARY KEY,
        course_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        quiz_key TEXT NOT NULL,
        quiz_title TEXT NOT NULL,
        started_at REAL NOT NULL,
        finished_at REAL NOT NULL,
        score INTEGER NOT NULL,
        total INTEGER NOT NULL,
        answers TEXT NOT NULL
    );
    CREATE INDEX quiz_attempts_course ON quiz_attempts(course_id, quiz_key, finished_at);
    """,
    # Steering (issue 11): what each API call really used (for `core.plan`), regenerate jobs and
    # the earlier versions of the course parts they replaced.
    """
    CREATE TABLE call_usage (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        model TEXT NOT NULL,
        material_tokens INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_creation_input_tokens INTEGER NOT NULL,
        cache_read_input_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        recorded_at REAL NOT NULL,
        PRIMARY KEY (job_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE regenerations (
        job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
        source_job_id TEXT NOT NULL, -- no cascade: a rewrite whose course was deleted must fail, not become a generation
        part TEXT NOT NULL,
        instruction TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE part_versions (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        part TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        saved_at REAL NOT NULL,
        replaced_by TEXT,
        PRIMARY KEY (job_id, part, version)
    ) WITHOUT ROWID;
    """,
    # bulk courses (core.batch): Message Batches in flight, and the job part each request writes.
    """
    CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        round TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        ended_at REAL,
        request_count INTEGER NOT NULL
    );
    CREATE TABLE batch_requests (
        batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
        custom_id TEXT NOT NULL,
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        PRIMARY KEY (batch_id, custom_id)
    ) WITHOUT ROWID;
    CREATE INDEX batch_requests_job ON batch_requests(job_id);
    """,
    # analytics: one summary row per ended job (filled from its events by core/analytics.py, so a
    # 50,000-job history answers in milliseconds), and indexes for the period and ETA look-ups.
    """
    CREATE TABLE job_stats (
        job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
        finished_at REAL NOT NULL,
        status TEXT NOT NULL,
        generator TEXT NOT NULL,
        model TEXT NOT NULL,
        error_kind TEXT,
        run_seconds REAL NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        requests INTEGER NOT NULL,
        retries_429 INTEGER NOT NULL,
        retries_5xx INTEGER NOT NULL,
        retries_529 INTEGER NOT NULL,
        retries_cut INTEGER NOT NULL,
        retries_timeout INTEGER NOT NULL,
        retries_other INTEGER NOT NULL,
        met_drop INTEGER NOT NULL,
        first_text_s REAL,
        eta_error_25 REAL,
        eta_error_50 REAL,
        eta_error_75 REAL,
        step_prepare REAL,
        step_outline REAL,
        step_lessons REAL,
        step_quizzes REAL,
        step_exam REAL,
        step_review REAL,
        step_save REAL
    );
    CREATE INDEX IF NOT EXISTS job_stats_finished_at ON job_stats(finished_at);
    CREATE INDEX IF NOT EXISTS jobs_finished_at ON jobs(finished_at);
    CREATE INDEX IF NOT EXISTS step_timings_generator ON step_timings(generator, recorded_at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
BUSY_TIMEOUT_S = 10.0  # how long a write waits for another process's transaction (COURSEGEN_DB_BUSY_TIMEOUT_S)


def _busy_timeout_s() -> float:
    try:
        value = float(os.environ.get("COURSEGEN_DB_BUSY_TIMEOUT_S", "").strip() or BUSY_TIMEOUT_S)
    except ValueError:
        return BUSY_TIMEOUT_S
    return value if 0 <= value <= 3600 else BUSY_TIMEOUT_S


@dataclass
class SavedParts:
    """What a job has already finished; resume skips all of it."""

    outline: Outline | None = None
    lessons: dict[str, Lesson] = field(default_factory=dict)
    quizzes: dict[str, Quiz] = field(default_factory=dict)
    exam: Exam | None = None
    flashcards: FlashcardDeck | None = None

    @property
    def count(self) -> int:
        return (
            (self.outline is not None)
            + len(self.lessons)
            + len(self.quizzes)
            + (self.exam is not None)
            + (self.flashcards is not None)
        )


def _ts(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, timezone.utc)


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]


class Store:
    """The history database. Safe to share between threads; each thread gets its own connection."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.locks_dir = self.path.parent / "locks"
        self.locks = JobLocks(self.locks_dir)
        self.notices: list[str] = []  # one-sentence messages for the user (e.g. a corrupt DB was kept aside)
        # One connection per OS thread, keyed by its id rather than held in a threading.local:
        # Qt's pool threads get a fresh Python thread state for every task they run, so a
        # thread-local connection was opened again (and never closed) for each background task:
        # 300 tasks left 301 connections and 600 file descriptors open in the window.
        self._connections: dict[int, sqlite3.Connection] = {}
        self._connections_lock = threading.Lock()
        # One writer at a time in this process: a thread waiting here wakes the moment the lock is
        # free, where SQLite's busy handler sleeps 1, 2, 5, 10… ms between tries. With five job
        # threads writing events that sleeping was most of an event's delay (p95 18 ms).
        self._write_lock = threading.RLock()

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path | None = None, *, recover: bool = True) -> Store:
        """Open (creating, migrating or setting aside a corrupt file as needed) the history DB."""
        folder = paths.ensure_private_dir(data_dir or paths.data_dir())
        store = cls(folder / paths.DB_FILENAME)
        store._prepare_file()
        store._migrate()
        if recover:
            store.recover_interrupted()
        return store

    def _prepare_file(self) -> None:
        try:
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            os.chmod(self.path, 0o600)
            self.locks_dir.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise storage_error_from_os(exc, "the history database") from None
        try:
            self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if self._conn.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise storage_error_from_os(exc, "the history database") from None
            self._set_aside_corrupt()
        except sqlite3.DatabaseError:
            self._set_aside_corrupt()

    def _set_aside_corrupt(self) -> None:
        self.close()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kept = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            os.replace(self.path, kept)
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    os.replace(side, kept.with_name(kept.name + suffix))
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as exc:
            raise storage_error_from_os(exc, "the history database") from None
        message = (
            f"The history database could not be read, so it was kept aside as {kept.name} "
            "and a new, empty history was started."
        )
        log.warning(message)
        self.notices.append(message)

    def _migrate(self) -> None:
        conn = self._conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"The history database was made by a newer CourseGen (schema {version}); update the app to open it."
            )
        for number in range(version, SCHEMA_VERSION):
            with self._write():
                # Read again inside the write lock: another process that opened the same new
                # database a moment earlier may have applied this step while we waited.
                if conn.execute("PRAGMA user_version").fetchone()[0] > number:
                    continue
                for statement in _split_sql(MIGRATIONS[number]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")

    @property
    def _conn(self) -> sqlite3.Connection:
        conn = self._connections.get(threading.get_ident())
        if conn is None:
            busy = _busy_timeout_s()
            try:
                conn = sqlite3.connect(self.path, timeout=busy, isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {int(busy * 1000)}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.create_function("fold", 1, fold, deterministic=True)
            except sqlite3.OperationalError as exc:
                raise storage_error_from_os(exc, "the history database") from None
            except sqlite3.DatabaseError:
                conn = sqlite3.connect(self.path, timeout=busy, isolation_level=None, check_same_thread=False)
            with self._connections_lock:
                self._connections[threading.get_ident()] = conn
        return conn

    def close(self) -> None:
        """Close every thread's connection (call once all workers have stopped)."""
        with self._connections_lock:
            for conn in self._connections.values():
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self.locks.release_all()

    def close_thread_connection(self) -> None:
        """Close the calling thread's connection; a job thread calls this before it ends."""
        with self._connections_lock:
            conn = self._connections.pop(threading.get_ident(), None)
        if conn is not None:
            conn.close()

    @contextmanager
    def _write(self, what: str = "the job") -> Iterator[sqlite3.Connection]:
        """One write transaction; OS and SQLite failures become one-sentence `StorageError`s."""
        conn = self._conn
        with self._write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except (sqlite3.OperationalError, OSError) as exc:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise storage_error_from_os(exc, what) from None

    # -- job ownership ------------------------------------------------------------------------

    def acquire_job(self, job_id: str) -> None:
        """Claim a job for this process; refuse when this or another process already runs it."""
        self.locks.acquire(job_id)

    def release_job(self, job_id: str) -> None:
        self.locks.release(job_id)

    def recover_interrupted(self) -> list[str]:
        """Mark jobs left queued/running by a process that no longer exists as interrupted."""
        rows = self._conn.execute("SELECT id FROM jobs WHERE status IN ('running', 'queued')").fetchall()
        recovered = [job_id for (job_id,) in rows if not self.locks.is_held(job_id)]
        now = time.time()
        if recovered:
            with self._write("the job history"):
                for job_id in recovered:
                    self._conn.execute(
                        """UPDATE jobs SET status = 'interrupted', resumable = 1, updated_at = ?,
                           run_seconds = run_seconds + CASE WHEN run_started_at IS NULL THEN 0
                                                            ELSE max(0, updated_at - run_started_at) END,
                           run_started_at = NULL,
                           error_message = 'The app stopped while this job was running; Resume continues it.'
                           WHERE id = ? AND status IN ('running', 'queued')""",
                        (now, job_id),
                    )
        return recovered

    # -- jobs ---------------------------------------------------------------------------------

    def create_job(self, request: CourseRequest, job_id: str | None = None) -> JobRecord:
        job_id = job_id or new_job_id()
        now = time.time()
        with self._write("the new job"):
            self._conn.execute(
                "INSERT INTO jobs (id, created_at, updated_at, topic, status, request_json) VALUES (?, ?, ?, ?, 'queued', ?)",
                (job_id, now, now, request.topic, request.model_dump_json()),
            )
        return self.get_job(job_id)

    def resolve_id(self, text: str) -> str:
        """Accept a full job id or an unambiguous prefix of one (as git does for commits)."""
        text = text.strip().lower()
        if not text or not all(ch in "0123456789abcdef" for ch in text):
            raise NotFound(f"There is no job with id '{text[:40]}'; run `coursegen jobs` to list them.")
        rows = self._conn.execute(
            "SELECT id FROM jobs WHERE id >= ? AND id < ? LIMIT 2", (text, text + "g")
        ).fetchall()
        if len(rows) == 1:
            return rows[0][0]
        if not rows:
            raise NotFound(f"There is no job with id '{text[:40]}'; run `coursegen jobs` to list them.")
        raise NotFound(f"More than one job id starts with '{text[:40]}'; type more of the id.")

    def get_job(self, job_id: str) -> JobRecord:
        row = self._conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(f"There is no job with id '{job_id}'; run `coursegen jobs` to list them.")
        try:
            return _job_from_row(row)
        except ValueError:  # a damaged row (pydantic's ValidationError is a ValueError)
            log.warning("job %s: its history row cannot be read", job_id, exc_info=True)
            raise StorageError(
                f"The history entry of job {job_id} is damaged and cannot be read; delete it (`coursegen delete {job_id}`) and generate the course again."
            ) from None

    def list_jobs(self, limit: int = 500) -> list[JobRecord]:
        """The newest jobs; a damaged row is left out (and logged) so it cannot hide the others."""
        rows = self._conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)
        ).fetchall()
        jobs = []
        for row in rows:
            try:
                jobs.append(_job_from_row(row))
            except ValueError:
                log.warning("job %s: its history row cannot be read; not listed", row[0], exc_info=True)
        return jobs

    def history_page(self, query: HistoryQuery | None = None, after: PageCursor | None = None, limit: int = PAGE_SIZE) -> HistoryPage:
        """One newest-first page of the jobs `query` selects, starting after `after`.

        The rows are picked on the covering `jobs_history` index, then only the page's rows are
        read; a damaged row is left out (and logged) so it cannot hide the others.
        """
        where, params = (query or HistoryQuery()).where()
        if after is not None:
            where += " AND (created_at, id) < (?, ?)"
            params += [after.created_at, after.job_id]
        keys = self._conn.execute(
            f"SELECT id, created_at FROM jobs WHERE {where} ORDER BY created_at DESC, id DESC LIMIT ?", (*params, limit + 1)
        ).fetchall()
        more, keys = len(keys) > limit, keys[:limit]
        rows = {
            row[0]: row
            for row in self._conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id IN ({', '.join('?' * len(keys))})", [job_id for job_id, _ in keys]
            )
        }
        records = []
        for job_id, _ in keys:
            try:
                records.append(_job_from_row(rows[job_id]))
            except (KeyError, ValueError):  # deleted meanwhile, or damaged
                log.warning("job %s: its history row cannot be read; not listed", job_id, exc_info=True)
        return HistoryPage(records, PageCursor(keys[-1][1], keys[-1][0]) if more else None)

    def mark_running(self, job_id: str) -> None:
        now = time.time()
        with self._write("the job's state"):
            self._conn.execute(
                """UPDATE jobs SET status = 'running', updated_at = ?, started_at = coalesce(started_at, ?),
                   run_started_at = ?, finished_at = NULL, error_kind = NULL, error_message = NULL,
                   error_step = NULL, resumable = 0 WHERE id = ?""",
                (now, now, now, job_id),
            )

    def finish_job(
        self,
        job_id: str,
        status: JobStatus,
        *,
        usage: Usage,
        error_kind: str | None = None,
        error_message: str | None = None,
        error_step: str | None = None,
        resumable: bool = False,
        course_title: str | None = None,
    ) -> None:
        now = time.time()
        with self._write("the job's state"):
            self._conn.execute(
                """UPDATE jobs SET status = ?, updated_at = ?, finished_at = ?,
                   run_seconds = run_seconds + CASE WHEN run_started_at IS NULL THEN 0 ELSE max(0, ? - run_started_at) END,
                   run_started_at = NULL, error_kind = ?, error_message = ?, error_step = ?, resumable = ?,
                   usage_json = ?, course_title = coalesce(?, course_title),
                   percent = CASE WHEN ? = 'completed' THEN 100 ELSE percent END
                   WHERE id = ?""",
                (
                    status.value, now, now, now, error_kind, error_message, error_step, int(resumable),
                    usage.model_dump_json(), course_title, status.value, job_id,
                ),
            )

    def delete_job(self, job_id: str) -> None:
        if self.locks.is_held(job_id):
            raise AlreadyRunning("This job is still running; cancel it before deleting it.")
        with self._write("the deletion"):
            if self._conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,)).rowcount == 0:
                raise NotFound(f"There is no job with id '{job_id}'; run `coursegen jobs` to list them.")

    # -- events -------------------------------------------------------------------------------

    def append_event(self, event: Event) -> None:
        """Record one event; a `Progress` also moves the job's percent (never backwards)."""
        with self._write("the job's progress") as conn:
            conn.execute(
                "INSERT INTO job_events (job_id, seq, type, at, body) VALUES (?, ?, ?, ?, ?)",
                (event.job_id, event.seq, event.type, event.at.timestamp(), event.to_json()),  # type: ignore[attr-defined]
            )
            if isinstance(event, Progress):
                conn.execute(
                    "UPDATE jobs SET percent = max(percent, ?), updated_at = ? WHERE id = ?",
                    (event.percent, event.at.timestamp(), event.job_id),
                )

    def events(self, job_id: str, after_seq: int = 0) -> list[AnyEvent]:
        rows = self._conn.execute(
            "SELECT body FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq", (job_id, after_seq)
        ).fetchall()
        return [Event.from_json(body) for (body,) in rows]

    def last_seq(self, job_id: str) -> int:
        row = self._conn.execute("SELECT max(seq) FROM job_events WHERE job_id = ?", (job_id,)).fetchone()
        return row[0] or 0

    # -- parts and courses --------------------------------------------------------------------

    def save_part(self, job_id: str, kind: str, key: str, body: str) -> None:
        """Save a finished part at once. One row per part: a part is only made again when its
        saved copy could not be read, and then the new one replaces it."""
        with self._write(f"the {kind}") as conn:
            conn.execute(
                """INSERT INTO parts (job_id, kind, key, body, created_at) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (job_id, kind, key) DO UPDATE SET body = excluded.body, created_at = excluded.created_at""",
                (job_id, kind, key, body, time.time()),
            )

    def part_rows(self, job_id: str) -> list[tuple[str, str, str]]:
        return self._conn.execute(
            "SELECT kind, key, body FROM parts WHERE job_id = ? ORDER BY created_at", (job_id,)
        ).fetchall()

    def saved_parts(self, job_id: str) -> SavedParts:
        """What the job has finished; a damaged part is left out (and logged), so Resume writes it again."""
        saved = SavedParts()
        for kind, key, body in self.part_rows(job_id):
            try:
                if kind == "outline":
                    saved.outline = Outline.model_validate_json(body)
                elif kind == "lesson":
                    saved.lessons[key] = Lesson.model_validate_json(body)
                elif kind == "quiz":
                    saved.quizzes[key] = Quiz.model_validate_json(body)
                elif kind == "exam":
                    saved.exam = Exam.model_validate_json(body)
                elif kind == "flashcards":
                    saved.flashcards = FlashcardDeck.model_validate_json(body)
            except ValueError:
                log.warning("job %s: saved %s %s is damaged; it will be written again", job_id, kind, key, exc_info=True)
        return saved

    def save_course(self, job_id: str, course: Course) -> None:
        with self._write("the finished course") as conn:
            conn.execute(
                "INSERT OR REPLACE INTO courses (job_id, title, body, created_at) VALUES (?, ?, ?, ?)",
                (job_id, course.title, course.model_dump_json(), time.time()),
            )

    def get_course(self, job_id: str) -> Course | None:
        row = self._conn.execute("SELECT body FROM courses WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        try:
            return Course.model_validate_json(row[0])
        except ValueError:
            log.warning("job %s: the saved course cannot be read", job_id, exc_info=True)
            raise StorageError(
                f"The course saved for job {job_id} is damaged and cannot be opened; delete it (`coursegen delete {job_id}`) and generate it again."
            ) from None

    # -- timings for the ETA ------------------------------------------------------------------

    def record_step_timing(self, job_id: str, generator: str, step: str, units: int, seconds: float) -> None:
        with self._write("the step timing") as conn:
            conn.execute(
                "INSERT OR REPLACE INTO step_timings (job_id, generator, step, units, seconds, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
                (job_id, generator, step, units, seconds, time.time()),
            )

    def seconds_per_unit(self, generator: str, limit: int = 20) -> dict[str, float]:
        """Median-ish seconds per unit of each step over the last jobs of this generator."""
        rows = self._conn.execute(
            """SELECT step, seconds, units FROM step_timings WHERE generator = ? AND units > 0
               ORDER BY recorded_at DESC LIMIT ?""",
            (generator, limit * 7),
        ).fetchall()
        per_step: dict[str, list[float]] = {}
        for step, seconds, units in rows:
            per_step.setdefault(step, []).append(seconds / units)
        return {step: sorted(values)[len(values) // 2] for step, values in per_step.items()}


    # -- steering: what calls cost, regenerate jobs, earlier versions of parts ----------------

    def record_call_usage(self, job_id: str, kind: str, model: str, material_tokens: int, usage: Usage) -> None:
        """One API call's usage, tagged with the kind of part it wrote (learned by `core.plan`)."""
        with self._write("the usage record") as conn:
            conn.execute(
                """INSERT INTO call_usage (job_id, seq, kind, model, material_tokens, input_tokens, output_tokens,
                   cache_creation_input_tokens, cache_read_input_tokens, cost_usd, recorded_at)
                   VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM call_usage WHERE job_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (job_id, job_id, kind, model, material_tokens, usage.input_tokens, usage.output_tokens,
                 usage.cache_creation_input_tokens, usage.cache_read_input_tokens, usage.cost_usd, time.time()),
            )

    def call_usage(self, job_ids: list[str] | None = None, limit: int = 5000) -> list[tuple]:
        """(job_id, kind, model, material_tokens, input, output, cache write, cache read, cost), newest first."""
        where = f"WHERE job_id IN ({','.join('?' * len(job_ids))})" if job_ids else ""
        return self._conn.execute(
            f"""SELECT job_id, kind, model, material_tokens, input_tokens, output_tokens, cache_creation_input_tokens,
                cache_read_input_tokens, cost_usd FROM call_usage {where} ORDER BY recorded_at DESC LIMIT ?""",
            (*(job_ids or []), limit),
        ).fetchall()

    def create_regeneration(self, request: CourseRequest, topic: str, source_job_id: str, part: str, instruction: str) -> JobRecord:
        """A queued job that rewrites one part of `source_job_id`'s course (its own row, events and cost)."""
        job_id = new_job_id()
        now = time.time()
        with self._write("the new job") as conn:
            conn.execute(
                "INSERT INTO jobs (id, created_at, updated_at, topic, status, request_json) VALUES (?, ?, ?, ?, 'queued', ?)",
                (job_id, now, now, topic, request.model_dump_json()),
            )
            conn.execute(
                "INSERT INTO regenerations (job_id, source_job_id, part, instruction) VALUES (?, ?, ?, ?)",
                (job_id, source_job_id, part, instruction),
            )
        return self.get_job(job_id)

    def regeneration(self, job_id: str) -> tuple[str, str, str] | None:
        """(source job id, part, instruction) when `job_id` is a regenerate job, else None."""
        row = self._conn.execute("SELECT source_job_id, part, instruction FROM regenerations WHERE job_id = ?", (job_id,)).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def delete_part(self, job_id: str, kind: str, key: str) -> None:
        with self._write(f"the {kind}") as conn:
            conn.execute("DELETE FROM parts WHERE job_id = ? AND kind = ? AND key = ?", (job_id, kind, key))

    def replace_course_part(
        self, job_id: str, part: str, old_body: str, course: Course, saved_part: tuple[str, str, str] | None,
        *, made_by: str | None = None, consume_version: int | None = None,
    ) -> int:
        """Swap one part of a finished course in one transaction, keeping `old_body` as an earlier
        version (returned). `saved_part` (kind, key, body) also updates the job's saved part;
        `consume_version` removes the version being restored, so it is not listed twice."""
        with self._write("the course") as conn:
            version = conn.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM part_versions WHERE job_id = ? AND part = ?", (job_id, part)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO part_versions (job_id, part, version, body, saved_at, replaced_by) VALUES (?, ?, ?, ?, ?, ?)",
                (job_id, part, version, old_body, time.time(), made_by),
            )
            if consume_version is not None:
                conn.execute("DELETE FROM part_versions WHERE job_id = ? AND part = ? AND version = ?", (job_id, part, consume_version))
            conn.execute("UPDATE courses SET title = ?, body = ? WHERE job_id = ?", (course.title, course.model_dump_json(), job_id))
            if saved_part is not None:
                kind, key, body = saved_part
                conn.execute(
                    """INSERT INTO parts (job_id, kind, key, body, created_at) VALUES (?, ?, ?, ?, ?)
                       ON CONFLICT (job_id, kind, key) DO UPDATE SET body = excluded.body""",
                    (job_id, kind, key, body, time.time()),
                )
        return version

    def part_versions(self, job_id: str) -> list[tuple[str, int, float, str | None]]:
        """Earlier versions of a course's parts: (part, version, saved at, made by job), newest first."""
        return self._conn.execute(
            "SELECT part, version, saved_at, replaced_by FROM part_versions WHERE job_id = ? ORDER BY saved_at DESC, version DESC",
            (job_id,),
        ).fetchall()

    def part_version(self, job_id: str, part: str, version: int) -> str:
        row = self._conn.execute(
            "SELECT body FROM part_versions WHERE job_id = ? AND part = ? AND version = ?", (job_id, part, version)
        ).fetchone()
        if row is None:
            raise NotFound(f"There is no version {version} of {part} in job {job_id}; list them with `coursegen versions {job_id}`.")
        return row[0]

    # -- read-only queries and batch writes for reports (core/analytics.py) ---------------------

    def read(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        """Rows of one query on this thread's connection; reports build on it."""
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise storage_error_from_os(exc, "the history") from None

    def write_many(self, sql: str, rows: list[tuple], what: str = "the history") -> None:
        """One statement over many rows in one transaction (report caches)."""
        with self._write(what) as conn:
            conn.executemany(sql, rows)


_JOB_COLUMNS = (
    "id, topic, status, percent, created_at, started_at, finished_at, request_json, error_kind, "
    "error_message, error_step, resumable, usage_json, course_title, run_seconds, run_started_at"
)


def _job_from_row(row: tuple) -> JobRecord:
    (job_id, topic, status, percent, created, started, finished, request_json, error_kind,
     error_message, error_step, resumable, usage_json, course_title, run_seconds, run_started) = row
    if run_started is not None:
        run_seconds += max(0.0, time.time() - run_started)
    return JobRecord(
        id=job_id,
        topic=topic,
        status=JobStatus(status),
        percent=percent,
        created_at=_ts(created),
        started_at=_ts(started),
        finished_at=_ts(finished),
        request=CourseRequest.model_validate_json(request_json),
        error_kind=error_kind,
        error_message=error_message,
        error_step=error_step,
        resumable=bool(resumable),
        usage=Usage.model_validate(json.loads(usage_json or "{}")),
        course_title=course_title,
        run_seconds=run_seconds,
    )


def _split_sql(script: str) -> list[str]:
    return [statement.strip() for statement in script.split(";") if statement.strip()]
