"""A record of every quiz attempt (answers, score, time) and the weakest objectives across them.

Each answer keeps the question's objective, so "what do I keep getting wrong?" is answered by
objective, and each weak objective leads to the lessons that teach it ("Review these lessons").
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from coursegen_desktop.core.models import Course
from coursegen_desktop.core.store import Store

EXAM_KEY = "exam"  # quiz_key of the practice exam; a module quiz uses its module id


def from_timestamp(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, timezone.utc)


@dataclass(frozen=True)
class QuizAnswer:
    question_id: str
    stem: str
    objective_id: str | None
    chosen: int
    correct: bool


@dataclass(frozen=True)
class QuizAttempt:
    id: int
    course_id: str
    quiz_key: str
    quiz_title: str
    started_at: datetime
    finished_at: datetime
    score: int
    total: int
    answers: list[QuizAnswer] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(100 * self.score / self.total) if self.total else 0

    @property
    def seconds(self) -> float:
        return max(0.0, (self.finished_at - self.started_at).total_seconds())


@dataclass(frozen=True)
class WeakObjective:
    objective_id: str
    text: str
    right: int
    asked: int
    lesson_ids: list[str]

    @property
    def percent(self) -> int:
        return round(100 * self.right / self.asked) if self.asked else 0


def record_attempt(
    store: Store, course_id: str, quiz_key: str, quiz_title: str, answers: list[QuizAnswer], started_at: float, finished_at: float | None = None
) -> QuizAttempt:
    """Save one finished attempt; returns it as stored."""
    finished_at = finished_at or time.time()
    score = sum(answer.correct for answer in answers)
    body = json.dumps([answer.__dict__ for answer in answers], ensure_ascii=False)
    with store._write("the quiz attempt") as conn:  # noqa: SLF001 - core modules share the store's connection
        cursor = conn.execute(
            """INSERT INTO quiz_attempts (course_id, quiz_key, quiz_title, started_at, finished_at, score, total, answers)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (course_id, quiz_key, quiz_title, started_at, finished_at, score, len(answers), body),
        )
    return QuizAttempt(cursor.lastrowid or 0, course_id, quiz_key, quiz_title, from_timestamp(started_at), from_timestamp(finished_at), score, len(answers), list(answers))


def attempts(store: Store, course_id: str, quiz_key: str | None = None) -> list[QuizAttempt]:
    """A course's attempts, newest first (of one quiz when `quiz_key` is given)."""
    sql = "SELECT id, course_id, quiz_key, quiz_title, started_at, finished_at, score, total, answers FROM quiz_attempts WHERE course_id = ?"
    args: tuple[str, ...] = (course_id,)
    if quiz_key is not None:
        sql, args = sql + " AND quiz_key = ?", (course_id, quiz_key)
    rows = store._conn.execute(sql + " ORDER BY finished_at DESC, id DESC", args).fetchall()  # noqa: SLF001
    result = []
    for attempt_id, course, key, title, started, finished, score, total, body in rows:
        try:
            answers = [QuizAnswer(**item) for item in json.loads(body)]
        except (ValueError, TypeError):
            answers = []  # a damaged row still shows its score
        result.append(QuizAttempt(attempt_id, course, key, title, from_timestamp(started), from_timestamp(finished), score, total, answers))
    return result


def weakest_objectives(course: Course, history: list[QuizAttempt], limit: int = 3) -> list[WeakObjective]:
    """The objectives answered worst across every attempt (only those with a wrong answer),
    each with the lessons that teach it, worst first."""
    tally: dict[str, list[int]] = {}
    for attempt in history:
        for answer in attempt.answers:
            if answer.objective_id:
                counts = tally.setdefault(answer.objective_id, [0, 0])
                counts[0] += answer.correct
                counts[1] += 1
    texts = {objective.id: objective.text for objective in course.outline.objectives}
    weak = [(right / asked, -asked, objective_id) for objective_id, (right, asked) in tally.items() if right < asked]
    result = []
    for _ratio, _asked, objective_id in sorted(weak)[:limit]:
        right, asked = tally[objective_id]
        result.append(WeakObjective(objective_id, texts.get(objective_id, objective_id), right, asked, lessons_for(course, objective_id)))
    return result


def lessons_for(course: Course, objective_id: str) -> list[str]:
    """The ids of the lessons that teach an objective, in course order."""
    covered = {lesson.id for lesson in course.lessons if objective_id in lesson.objectives_covered}
    planned = {plan.id for _module, plan in course.outline.lesson_plans() if objective_id in plan.objective_ids}
    return [plan.id for _module, plan in course.outline.lesson_plans() if plan.id in covered | planned]
