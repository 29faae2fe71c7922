"""Spaced repetition: the FSRS schedule on fixed clocks, daily limits, state across restarts and
migrations, regenerated decks, deletion, and the quiz-attempt history."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from coursegen_desktop.core import pipeline
from coursegen_desktop.core import store as store_module
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.card_keys import normalise_front, study_card_id
from coursegen_desktop.core.errors import BadInput, NotFound
from coursegen_desktop.core.models import Flashcard, JobStatus, make_request
from coursegen_desktop.core.quiz_history import EXAM_KEY, QuizAnswer, attempts, record_attempt, weakest_objectives
from coursegen_desktop.core.store import Store
from coursegen_desktop.core.study import Study, day_start, format_interval
from coursegen_desktop.core.study_config import StudyConfig, load_config
from coursegen_desktop.core.study_stats import day_summary, study_stats
from tests.helpers.course_factory import make_course
from tests.helpers.scripted_generator import ScriptedGenerator
from tests.helpers.study_courses import save_course, with_cards

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)  # a fixed clock: midday, well past the 04:00 day start


@pytest.fixture
def store() -> Store:
    opened = Store.open()
    yield opened
    opened.close()


def test_new_card_rated_good_is_due_later_than_one_rated_again(store: Store) -> None:
    course_id = save_course(store, with_cards(make_course(), ["Alpha", "Beta"]))
    study = Study(store)
    alpha, beta = (study_card_id(course_id, front) for front in ("Alpha", "Beta"))
    good = study.grade(alpha, "good", T0)
    again = study.grade(beta, "again", T0)
    assert good.due > again.due > T0
    assert again.interval == timedelta(minutes=1)  # the first learning step


def test_good_three_times_on_due_dates_gives_growing_intervals(store: Store) -> None:
    course_id = save_course(store, with_cards(make_course(), ["Alpha"]))
    study = Study(store)
    card = study_card_id(course_id, "Alpha")
    now = T0
    study.grade(card, "easy", now)  # out of learning, into review
    intervals = []
    for _ in range(3):
        now = study.due_cards(now + timedelta(days=400))[0].due  # review exactly when it falls due
        grade = study.grade(card, "good", now)
        intervals.append(grade.interval)
    assert intervals[0] < intervals[1] < intervals[2]
    assert intervals[0] >= timedelta(days=1)


def test_good_from_new_goes_through_the_learning_steps_then_grows(store: Store) -> None:
    course_id = save_course(store, with_cards(make_course(), ["Alpha"]))
    study = Study(store)
    card = study_card_id(course_id, "Alpha")
    now, intervals = T0, []
    for _ in range(4):
        grade = study.grade(card, "good", now)
        intervals.append(grade.interval)
        now = grade.due
    assert intervals == sorted(intervals) and len(set(intervals)) == 4
    assert grade.state == "review"


def test_state_survives_a_restart(data_dir: Path) -> None:
    store = Store.open()
    course_id = save_course(store, with_cards(make_course(), ["Alpha", "Beta"]))
    alpha = study_card_id(course_id, "Alpha")
    before = Study(store).grade(alpha, "good", T0)
    store.close()

    reopened = Store.open()
    study = Study(reopened)
    card = next(card for card in study.due_cards(before.due) if card.id == alpha)
    assert card.state == "learning" and card.due == before.due
    after = study.grade(alpha, "good", before.due)  # continues from the saved FSRS state
    assert after.state == "review"
    assert reopened._conn.execute("SELECT count(*) FROM study_reviews WHERE card_id = ?", (alpha,)).fetchone()[0] == 2
    reopened.close()


def test_migration_from_the_current_schema_keeps_courses_and_makes_their_cards(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A database as the app of 081eb02 (schema v2) makes it: a finished job with its course, written
    # through the store's v2 methods (today's pipeline needs tables that v2 does not have).
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:2])
        patch.setattr(store_module, "SCHEMA_VERSION", 2)
        old = Store.open()
        job_id = save_course(old, with_cards(make_course(), ["Cell", "Nucleus", "Membrane", "Ribosome"]), topic="Cells")
        record = old.get_job(job_id)
        assert record.status == JobStatus.COMPLETED
        old.close()
    with sqlite3.connect(data_dir / "history.sqlite3") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'study_cards'").fetchone()[0] == 0

    store = Store.open()
    study = Study(store)
    due = study.due_cards(T0)
    course = store.get_course(record.id)
    assert course is not None and len(course.flashcards) == 4
    assert [card.front for card in due] == [card.front for card in course.flashcards]
    assert {card.course_id for card in due} == {record.id}
    grade = study.grade(due[0].id, "good", T0)
    store.close()
    assert Study(Store.open()).due_cards(grade.due)[0].state == "learning"


def test_new_cards_per_day_limit(store: Store) -> None:
    save_course(store, with_cards(make_course(), [f"Card {n}" for n in range(10)]))
    study = Study(store, StudyConfig(new_per_day=3))
    assert study.counts(T0).new == 3
    for _ in range(3):
        card = study.next_card(T0)
        assert card is not None and card.state == "new"
        study.grade(card.id, "easy", T0)
    assert study.counts(T0).new == 0
    assert study.next_card(T0) is None
    tomorrow = day_start(T0) + timedelta(days=1, hours=1)
    assert study.counts(tomorrow).new == 3


def test_next_card_order_and_learn_ahead(store: Store) -> None:
    course_id = save_course(store, with_cards(make_course(), ["Alpha", "Beta"]))
    study = Study(store)
    first = study.next_card(T0)
    assert first is not None and first.front == "Alpha"
    assert set(first.intervals) == {"again", "hard", "good", "easy"}
    assert first.intervals["again"] < first.intervals["good"] < first.intervals["easy"]
    study.grade(first.id, "again", T0)  # back in a minute: the new card comes first
    assert study.next_card(T0 + timedelta(seconds=5)).front == "Beta"  # type: ignore[union-attr]
    study.grade(study_card_id(course_id, "Beta"), "easy", T0)
    later = study.next_card(T0 + timedelta(seconds=10))  # nothing else left: learn ahead
    assert later is not None and later.front == "Alpha"


def test_course_filter(store: Store) -> None:
    one = save_course(store, with_cards(make_course(), ["Alpha"]), "One")
    two = save_course(store, with_cards(make_course(), ["Beta", "Gamma"]), "Two")
    study = Study(store)
    assert [card.front for card in study.due_cards(T0, one)] == ["Alpha"]
    assert study.counts(T0, two).new == 2
    assert study.counts(T0).new == 3


def test_regenerated_flashcards_keep_history_of_unchanged_fronts(store: Store) -> None:
    course = with_cards(make_course(), ["What is ATP?", "What is NADPH?"])
    course_id = save_course(store, course)
    study = Study(store)
    kept = study.grade(study_card_id(course_id, "What is ATP?"), "easy", T0)
    study.grade(study_card_id(course_id, "What is NADPH?"), "easy", T0)

    regenerated = course.model_copy(update={"flashcards": [
        Flashcard(front="  what is  ATP ", back="Adenosine triphosphate, the cell's energy currency."),
        Flashcard(front="What is chlorophyll?", back="The green pigment."),
    ]})
    store.save_course(course_id, regenerated)
    cards = {card.front: card for card in study.due_cards(kept.due + timedelta(days=1), course_id)}
    assert set(cards) == {"  what is  ATP ", "What is chlorophyll?"}  # NADPH is retired
    assert cards["  what is  ATP "].state == "review" and cards["  what is  ATP "].due == kept.due
    assert cards["  what is  ATP "].back.startswith("Adenosine")
    assert cards["What is chlorophyll?"].state == "new"
    assert store._conn.execute("SELECT count(*) FROM study_reviews").fetchone()[0] == 2  # the retired card's log is kept

    store.save_course(course_id, course)  # NADPH comes back with its history
    back = {card.front: card for card in study.due_cards(kept.due + timedelta(days=1), course_id)}
    assert back["What is NADPH?"].state == "review"


def test_deleting_a_course_deletes_its_cards_reviews_and_attempts(store: Store) -> None:
    course_id = save_course(store, with_cards(make_course(), ["Alpha"]))
    other = save_course(store, with_cards(make_course(), ["Beta"]), "Other")
    study = Study(store)
    study.grade(study_card_id(course_id, "Alpha"), "good", T0)
    record_attempt(store, course_id, "m1", "Quiz 1", [QuizAnswer("q1", "Stem", "o1", 0, True)], T0.timestamp())
    store.delete_job(course_id)
    conn = store._conn
    assert conn.execute("SELECT count(*) FROM study_cards WHERE course_id = ?", (course_id,)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM study_reviews").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM quiz_attempts").fetchone()[0] == 0
    assert [card.course_id for card in study.due_cards(T0)] == [other]


def test_grade_refuses_unknown_cards_and_ratings(store: Store) -> None:
    course_id = save_course(store, with_cards(make_course(), ["Alpha"]))
    study = Study(store)
    card = study_card_id(course_id, "Alpha")
    study.sync()
    with pytest.raises(BadInput, match="again, hard, good or easy"):
        study.grade(card, "perfect", T0)
    with pytest.raises(NotFound):
        study.grade("0" * 16, "good", T0)
    assert study.resolve_card_id(card[:6]) == card
    with pytest.raises(NotFound):
        study.resolve_card_id("not-hex")


def test_desired_retention_changes_the_schedule(store: Store) -> None:
    course_id = save_course(store, with_cards(make_course(), ["Alpha"]))
    card = study_card_id(course_id, "Alpha")
    relaxed = Study(store, StudyConfig(desired_retention=0.8)).next_card(T0)
    strict = Study(store, StudyConfig(desired_retention=0.97)).next_card(T0)
    assert relaxed is not None and strict is not None and relaxed.id == strict.id == card
    assert relaxed.intervals["easy"] > strict.intervals["easy"]


def test_day_summary_and_stats(store: Store) -> None:
    course_id = save_course(store, with_cards(make_course(), ["Alpha", "Beta", "Gamma"]))
    study = Study(store)
    for front, rating in (("Alpha", "again"), ("Beta", "good"), ("Gamma", "easy")):
        study.grade(study_card_id(course_id, front), rating, T0, duration_ms=4000)
    summary = day_summary(store, T0 + timedelta(seconds=1))
    assert (summary.reviewed, summary.cards, summary.again, summary.new_learned, summary.seconds, summary.active_cards) == (3, 3, 1, 3, 12.0, 3)
    assert summary.correct_percent == 67
    assert summary.later_today == 2 and summary.next_due is not None
    stats = study_stats(store, study, T0 + timedelta(seconds=1))
    assert stats["cards"] == {"new": 0, "learning": 2, "review": 1, "relearning": 0, "total": 3}
    assert stats["reviews_per_day"] == [{"date": day_start(T0).astimezone().date().isoformat(), "reviews": 3}]
    assert stats["retention"] is None  # no card was in review yet


def test_quiz_attempts_and_weakest_objectives(store: Store) -> None:
    course = make_course()
    course.outline.objectives.append(course.outline.objectives[0].model_copy(update={"id": "o2", "text": "Name the pigments"}))
    course.lessons[1].objectives_covered.append("o2")
    course_id = save_course(store, course)
    answers = [QuizAnswer("q1", "Stem 1", "o1", 0, True), QuizAnswer("q2", "Stem 2", "o2", 1, False), QuizAnswer("q3", "Stem 3", "o2", 2, True)]
    record_attempt(store, course_id, "m1", "Quiz 1", answers, T0.timestamp(), T0.timestamp() + 95)
    record_attempt(store, course_id, EXAM_KEY, "Practice exam", [QuizAnswer("e1", "Exam stem", "o2", 0, False)], T0.timestamp() + 200, T0.timestamp() + 260)
    history = attempts(store, course_id)
    assert [attempt.quiz_key for attempt in history] == [EXAM_KEY, "m1"]
    assert (history[1].score, history[1].total, history[1].percent, history[1].seconds) == (2, 3, 67, 95.0)
    assert [attempt.quiz_key for attempt in attempts(store, course_id, "m1")] == ["m1"]
    weak = weakest_objectives(course, history)
    assert [(objective.objective_id, objective.right, objective.asked) for objective in weak] == [("o2", 1, 3)]
    assert weak[0].text == "Name the pigments" and weak[0].lesson_ids == [course.lessons[1].id]


def test_normalised_front() -> None:
    assert normalise_front("  What IS\tATP? ") == normalise_front("what is atp") == "what is atp"
    assert normalise_front("ＡＴＰ") == "atp"
    assert study_card_id("a", "ATP?") != study_card_id("b", "ATP?")


def test_format_interval() -> None:
    assert [format_interval(timedelta(seconds=s)) for s in (30, 60, 600, 7200, 86400 * 3, 86400 * 45, 86400 * 800)] == [
        "<1m", "1m", "10m", "2h", "3d", "1.5mo", "2.2y",
    ]


def test_load_config_reads_the_settings_file(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    assert load_config(data_dir) == StudyConfig()
    (data_dir / "settings.ini").write_text("[study]\ndesired_retention=0.85\nnew_cards_per_day=7\n", encoding="utf-8")
    assert load_config(data_dir) == StudyConfig(0.85, 7)
    (data_dir / "settings.ini").write_text("[study]\ndesired_retention=lots\n", encoding="utf-8")
    assert load_config(data_dir) == StudyConfig()
