"""Spaced repetition over every course's flashcards, scheduled by FSRS (the `fsrs` package).

Cards live in SQLite (`study_cards`, one row per flashcard, keyed by course id + normalised
front, see `card_keys`) and every rating is kept in `study_reviews`. Cards are made lazily:
each query first brings the cards of courses saved (or saved again) since the last query up to
date. So a database from before this feature, a course saved by any code path (the pipeline,
the engine process, a future "regenerate flashcards") and a regenerated deck all work the same
way, with no hook in the pipeline: a card whose front is unchanged keeps its row and history, a
card that is gone is retired (kept, never shown) and comes back with its history if it returns.

All times are timezone-aware UTC (fsrs requires it). A study day starts at 04:00 local time, as
in Anki, so a late-night session counts for the day it belongs to. Fuzzing is off: the interval
shown on a rating button is exactly the one the card gets.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from fsrs import Card, Rating, Scheduler, State

from coursegen_desktop.core.card_keys import study_card_id
from coursegen_desktop.core.errors import BadInput, NotFound, StorageError
from coursegen_desktop.core.models import Flashcard, utc_now
from coursegen_desktop.core.store import Store
from coursegen_desktop.core.study_config import StudyConfig


NEW, LEARNING, REVIEW, RELEARNING = 0, State.Learning.value, State.Review.value, State.Relearning.value
STATE_NAMES = {NEW: "new", LEARNING: "learning", REVIEW: "review", RELEARNING: "relearning"}
RATINGS: dict[str, Rating] = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}
DAY_STARTS_AT_HOUR = 4
LEARN_AHEAD = timedelta(minutes=20)  # when nothing else is left, a learning card due this soon is shown now

@dataclass(frozen=True)
class StudyCard:
    """One card as the study view and the CLI show it."""

    id: str
    course_id: str
    course_title: str
    front: str
    back: str
    state: str  # new | learning | review | relearning
    due: datetime  # a new card is due from the moment it was made
    intervals: dict[str, timedelta] = field(default_factory=dict)  # rating name -> next interval


@dataclass(frozen=True)
class DueCounts:
    """What is left to study today, in Anki's three colours."""

    new: int = 0
    learning: int = 0
    review: int = 0

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


@dataclass(frozen=True)
class Grade:
    """The outcome of one rating: when the card comes back."""

    card_id: str
    rating: str
    state: str
    due: datetime
    interval: timedelta


@dataclass(frozen=True)
class Snapshot:
    """Everything the study view needs after a step: the next card (or None) and the counts."""

    card: StudyCard | None
    counts: DueCounts
    grade: Grade | None = None


def day_start(now: datetime) -> datetime:
    """The start (UTC) of the study day that `now` falls in: 04:00 local time."""
    local = now.astimezone()
    start = local.replace(hour=DAY_STARTS_AT_HOUR, minute=0, second=0, microsecond=0)
    if local < start:
        start -= timedelta(days=1)
    return start.astimezone(timezone.utc)


def from_timestamp(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, timezone.utc)


def as_utc(now: datetime | None) -> datetime:
    now = now or utc_now()
    if now.tzinfo is None:
        raise ValueError("study times must be timezone-aware")
    return now.astimezone(timezone.utc)


_CARD_COLUMNS = "s.id, s.course_id, coalesce(c.title, ''), s.front, s.back, s.state, s.due, s.fsrs, s.created_at"
_FROM = "FROM study_cards s LEFT JOIN courses c ON c.job_id = s.course_id"


class Study:
    """Scheduling and the review log over one store. Safe to share between threads (each call
    uses the calling thread's connection); the GUI calls it only from background tasks."""

    def __init__(self, store: Store, config: StudyConfig | None = None) -> None:
        self.store = store
        self.config = (config or StudyConfig()).clamped()
        self.scheduler = Scheduler(desired_retention=self.config.desired_retention, enable_fuzzing=False)

    @property
    def _conn(self) -> sqlite3.Connection:
        return self.store._conn  # noqa: SLF001 - core modules share the store's per-thread connection

    # -- cards from courses ---------------------------------------------------------------------

    def sync(self, course_id: str | None = None) -> int:
        """Bring the cards of every course saved since the last sync up to date; returns how many
        courses were read. Cheap when nothing changed (one indexed query)."""
        sql = (
            "SELECT c.job_id, c.created_at FROM courses c LEFT JOIN study_synced s ON s.course_id = c.job_id "
            "WHERE (s.course_saved_at IS NULL OR s.course_saved_at != c.created_at)"
        )
        rows = self._conn.execute(sql + (" AND c.job_id = ?" if course_id else ""), (course_id,) if course_id else ()).fetchall()
        for job_id, saved_at in rows:
            try:
                course = self.store.get_course(job_id)
            except StorageError:
                continue  # a damaged course: logged by the store; its cards simply do not appear
            if course is not None:
                self._sync_course(job_id, saved_at, course.flashcards)
        return len(rows)

    def _sync_course(self, course_id: str, saved_at: float, flashcards: list[Flashcard]) -> None:
        keyed: dict[str, tuple[int, Flashcard]] = {}
        for position, card in enumerate(flashcards):
            keyed.setdefault(study_card_id(course_id, card.front), (position, card))  # the first of two equal fronts wins
        now = time.time()
        with self.store._write("the study cards") as conn:  # noqa: SLF001
            conn.executemany(
                """INSERT INTO study_cards (id, course_id, front, back, module_id, position, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET front = excluded.front, back = excluded.back,
                       module_id = excluded.module_id, position = excluded.position, active = 1""",
                [(key, course_id, card.front, card.back, card.module_id, position, now) for key, (position, card) in keyed.items()],
            )
            active = [key for (key,) in conn.execute("SELECT id FROM study_cards WHERE course_id = ? AND active = 1", (course_id,))]
            conn.executemany("UPDATE study_cards SET active = 0 WHERE id = ?", [(key,) for key in active if key not in keyed])
            conn.execute("INSERT OR REPLACE INTO study_synced (course_id, course_saved_at) VALUES (?, ?)", (course_id, saved_at))

    # -- what is due ------------------------------------------------------------------------------

    def _new_left_today(self, now: datetime) -> int:
        started = self._conn.execute(
            "SELECT count(*) FROM study_cards WHERE first_reviewed_at >= ?", (day_start(now).timestamp(),)
        ).fetchone()[0]
        return max(0, self.config.new_per_day - started)

    @staticmethod
    def _course_filter(course_id: str | None) -> tuple[str, tuple[str, ...]]:
        return (" AND s.course_id = ?", (course_id,)) if course_id else ("", ())

    def counts(self, now: datetime | None = None, course_id: str | None = None) -> DueCounts:
        """Cards left today: learning and review cards due before the day ends, and new cards up
        to what is left of the daily new-card limit."""
        now = as_utc(now)
        self.sync(course_id)
        where, args = self._course_filter(course_id)
        day_end = (day_start(now) + timedelta(days=1)).timestamp()
        row = self._conn.execute(
            f"""SELECT sum(state IN ({LEARNING}, {RELEARNING}) AND due < ?), sum(state = {REVIEW} AND due < ?),
                       sum(state = {NEW}) FROM study_cards s WHERE active = 1{where}""",
            (day_end, day_end, *args),
        ).fetchone()
        learning, review, new = (value or 0 for value in row)
        return DueCounts(new=min(new, self._new_left_today(now)), learning=learning, review=review)

    def next_card(self, now: datetime | None = None, course_id: str | None = None) -> StudyCard | None:
        """The card to show now, Anki's order: learning cards that are due, reviews due today,
        new cards (within the daily limit), then learning cards due within 20 minutes."""
        now = as_utc(now)
        self.sync(course_id)
        where, args = self._course_filter(course_id)
        day_end = (day_start(now) + timedelta(days=1)).timestamp()
        learning_due = f"state IN ({LEARNING}, {RELEARNING}) AND due <= ?"
        queries: list[tuple[str, str, tuple[object, ...]]] = [
            (learning_due, "due", (now.timestamp(),)),
            (f"state = {REVIEW} AND due < ?", "due", (day_end,)),
        ]
        if self._new_left_today(now) > 0:
            queries.append((f"state = {NEW}", "c.created_at, s.course_id, s.position", ()))
        queries.append((learning_due, "due", ((now + LEARN_AHEAD).timestamp(),)))
        for condition, order, values in queries:
            row = self._conn.execute(
                f"SELECT {_CARD_COLUMNS} {_FROM} WHERE s.active = 1 AND {condition}{where} ORDER BY {order} LIMIT 1",
                (*values, *args),
            ).fetchone()
            if row is not None:
                return self._card(row, now, with_intervals=True)
        return None

    def due_cards(self, now: datetime | None = None, course_id: str | None = None) -> list[StudyCard]:
        """The cards due now, in the order `next_card` shows them: learning cards whose step
        has passed, reviews due today, then new cards within what is left of the daily limit."""
        now = as_utc(now)
        self.sync(course_id)
        where, args = self._course_filter(course_id)
        day_end = (day_start(now) + timedelta(days=1)).timestamp()
        rows = self._conn.execute(
            f"""SELECT {_CARD_COLUMNS} {_FROM} WHERE s.active = 1{where} AND (
                    (s.state IN ({LEARNING}, {RELEARNING}) AND s.due <= ?) OR (s.state = {REVIEW} AND s.due < ?))
                ORDER BY s.state = {REVIEW}, s.due""",
            (*args, now.timestamp(), day_end),
        ).fetchall()
        new_rows = self._conn.execute(
            f"SELECT {_CARD_COLUMNS} {_FROM} WHERE s.active = 1 AND s.state = {NEW}{where} "
            "ORDER BY c.created_at, s.course_id, s.position LIMIT ?",
            (*args, self._new_left_today(now)),
        ).fetchall()
        return [self._card(row, now, with_intervals=False) for row in [*rows, *new_rows]]

    def _card(self, row: tuple, now: datetime, *, with_intervals: bool) -> StudyCard:
        card_id, course_id, title, front, back, state, due, fsrs_json, created_at = row
        intervals: dict[str, timedelta] = {}
        if with_intervals:
            card = self._fsrs_card(card_id, fsrs_json, now)
            for name, rating in RATINGS.items():
                reviewed, _log = self.scheduler.review_card(card, rating, review_datetime=now)
                intervals[name] = reviewed.due - now
        return StudyCard(
            card_id, course_id, title, front, back, STATE_NAMES.get(state, "new"),
            from_timestamp(due if due is not None else created_at), intervals,
        )

    @staticmethod
    def _fsrs_card(card_id: str, fsrs_json: str | None, now: datetime) -> Card:
        if fsrs_json:
            return Card.from_dict(json.loads(fsrs_json))
        return Card(card_id=int(card_id[:13], 16), state=State.Learning, due=now)  # an explicit id: Card() sleeps 1 ms

    # -- reviewing ------------------------------------------------------------------------------

    def resolve_card_id(self, text: str) -> str:
        """A full card id or an unambiguous prefix of one (as for job ids)."""
        text = text.strip().lower()
        if not text or not all(ch in "0123456789abcdef" for ch in text):
            raise NotFound(f"There is no card with id '{text[:40]}'; run `coursegen due` to list the cards to study.")
        rows = self._conn.execute("SELECT id FROM study_cards WHERE id >= ? AND id < ? LIMIT 2", (text, text + "g")).fetchall()
        if len(rows) == 1:
            return rows[0][0]
        if not rows:
            raise NotFound(f"There is no card with id '{text[:40]}'; run `coursegen due` to list the cards to study.")
        raise NotFound(f"More than one card id starts with '{text[:40]}'; type more of the id.")

    def grade(self, card_id: str, rating: str, now: datetime | None = None, duration_ms: int | None = None) -> Grade:
        """Record one review and reschedule the card; the state and the log row are written together."""
        now = as_utc(now)
        if rating not in RATINGS:
            raise BadInput(f"A rating is one of again, hard, good or easy, not '{rating[:20]}'.")
        duration_ms = None if duration_ms is None else max(0, min(int(duration_ms), 3_600_000))
        self.sync()  # a course saved since the last query has its cards now
        with self.store._write("the review") as conn:  # noqa: SLF001
            row = conn.execute("SELECT state, fsrs, active FROM study_cards WHERE id = ?", (card_id,)).fetchone()
            if row is None or not row[2]:
                raise NotFound(f"There is no card with id '{card_id}' to study; run `coursegen due` to list them.")
            before = self._fsrs_card(card_id, row[1], now)
            after, _log = self.scheduler.review_card(before, RATINGS[rating], review_datetime=now, review_duration=duration_ms)
            conn.execute(
                "UPDATE study_cards SET state = ?, due = ?, fsrs = ?, first_reviewed_at = coalesce(first_reviewed_at, ?) WHERE id = ?",
                (after.state.value, after.due.timestamp(), json.dumps(after.to_dict()), now.timestamp(), card_id),
            )
            conn.execute(
                """INSERT INTO study_reviews (card_id, reviewed_at, rating, state_before, state_after, due_after,
                   stability, difficulty, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (card_id, now.timestamp(), RATINGS[rating].value, row[0], after.state.value, after.due.timestamp(),
                 after.stability, after.difficulty, duration_ms),
            )
        return Grade(card_id, rating, STATE_NAMES[after.state.value], after.due, after.due - now)

    def snapshot(self, course_id: str | None = None, now: datetime | None = None) -> Snapshot:
        """The next card and today's counts (what the study view shows)."""
        now = as_utc(now)
        card = self.next_card(now, course_id)
        return Snapshot(card, self.counts(now, course_id))

    def grade_and_next(
        self, card_id: str, rating: str, course_id: str | None = None, now: datetime | None = None, duration_ms: int | None = None
    ) -> Snapshot:
        """Rate a card, then fetch the next one: one background task per key press in the view."""
        now = as_utc(now)
        grade = self.grade(card_id, rating, now, duration_ms)
        return Snapshot(self.next_card(now, course_id), self.counts(now, course_id), grade)


def format_interval(interval: timedelta) -> str:
    """A next interval as Anki writes it on its buttons: <1m, 10m, 3h, 4d, 1.5mo, 2.1y."""
    seconds = interval.total_seconds()
    if seconds < 60:
        return "<1m"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")
