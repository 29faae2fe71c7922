"""What the review log says: today's summary (shown when a session is done) and the numbers
behind `coursegen study-stats` (cards by state, reviews per day, retention)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from coursegen_desktop.core.store import Store
from coursegen_desktop.core.study import NEW, REVIEW, STATE_NAMES, Study, as_utc, from_timestamp, day_start


@dataclass(frozen=True)
class DaySummary:
    """Today's work, and when the next cards come back."""

    reviewed: int = 0  # answers given (a card can be answered more than once a day)
    cards: int = 0  # distinct cards answered
    again: int = 0
    new_learned: int = 0
    seconds: float = 0.0
    later_today: int = 0  # learning cards that come back later today
    due_tomorrow: int = 0
    next_due: datetime | None = None
    active_cards: int = 0  # every card there is to study (0: no course has flashcards yet)

    @property
    def correct_percent(self) -> int | None:
        return None if not self.reviewed else round(100 * (self.reviewed - self.again) / self.reviewed)


def _course_join(course_id: str | None) -> tuple[str, tuple[str, ...]]:
    return (" AND s.course_id = ?", (course_id,)) if course_id else ("", ())


def day_summary(store: Store, now: datetime | None = None, course_id: str | None = None) -> DaySummary:
    now = as_utc(now)
    start = day_start(now)
    end = start + timedelta(days=1)
    where, args = _course_join(course_id)
    conn = store._conn  # noqa: SLF001 - core modules share the store's per-thread connection
    reviewed, cards, again, milliseconds = conn.execute(
        f"""SELECT count(*), count(DISTINCT r.card_id), coalesce(sum(r.rating = 1), 0), coalesce(sum(r.duration_ms), 0)
            FROM study_reviews r JOIN study_cards s ON s.id = r.card_id WHERE r.reviewed_at >= ?{where}""",
        (start.timestamp(), *args),
    ).fetchone()
    new_learned = conn.execute(
        f"SELECT count(*) FROM study_cards s WHERE s.first_reviewed_at >= ?{where}", (start.timestamp(), *args)
    ).fetchone()[0]
    later_today, due_tomorrow, next_due = conn.execute(
        f"""SELECT coalesce(sum(due < ?), 0), coalesce(sum(due >= ? AND due < ?), 0), min(due)
            FROM study_cards s WHERE s.active = 1 AND s.state != {NEW} AND s.due > ?{where}""",
        (end.timestamp(), end.timestamp(), (end + timedelta(days=1)).timestamp(), now.timestamp(), *args),
    ).fetchone()
    active = conn.execute(f"SELECT count(*) FROM study_cards s WHERE s.active = 1{where}", args).fetchone()[0]
    return DaySummary(
        reviewed, cards, again, new_learned, milliseconds / 1000, later_today, due_tomorrow,
        from_timestamp(next_due) if next_due else None, active,
    )


def study_stats(store: Store, study: Study, now: datetime | None = None, days: int = 30) -> dict[str, object]:
    """Cards by state, reviews per study day over the last `days` days, and true retention
    (the share of reviews of cards in the Review state that were not rated Again)."""
    now = as_utc(now)
    conn = store._conn  # noqa: SLF001
    study.sync()
    by_state = {name: 0 for name in STATE_NAMES.values()}
    for state, count in conn.execute("SELECT state, count(*) FROM study_cards WHERE active = 1 GROUP BY state"):
        by_state[STATE_NAMES.get(state, "new")] += count
    since = day_start(now) - timedelta(days=days - 1)
    per_day: dict[str, int] = {}
    for (reviewed_at,) in conn.execute("SELECT reviewed_at FROM study_reviews WHERE reviewed_at >= ? ORDER BY reviewed_at", (since.timestamp(),)):
        day = day_start(from_timestamp(reviewed_at)).astimezone().date().isoformat()
        per_day[day] = per_day.get(day, 0) + 1
    mature, passed = conn.execute(
        f"SELECT count(*), coalesce(sum(rating > 1), 0) FROM study_reviews WHERE state_before = {REVIEW} AND reviewed_at >= ?",
        (since.timestamp(),),
    ).fetchone()
    total_reviews = conn.execute("SELECT count(*) FROM study_reviews").fetchone()[0]
    return {
        "cards": {**by_state, "total": sum(by_state.values())},
        "due_today": study.counts(now).total,
        "reviews_total": total_reviews,
        "reviews_per_day": [{"date": day, "reviews": count} for day, count in per_day.items()],
        "retention": round(passed / mature, 4) if mature else None,
        "retention_reviews": mature,
        "desired_retention": study.config.desired_retention,
        "days": days,
    }
