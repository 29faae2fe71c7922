"""The ETA: learned per generator and model in rounds of concurrent work, blended with the live
pace, "estimating…" until meaningful, and never rising faster than the evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursegen_desktop.core.eta import EtaEstimator, learned_rates, work_units
from coursegen_desktop.core.models import CourseRequest, GeneratorKind
from coursegen_desktop.core.store import Store


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


RATES = {"prepare": 1.0, "outline": 10.0, "lessons": 20.0, "quizzes": 10.0, "exam": 15.0, "review": 1.0, "save": 1.0}


def estimator(clock: Clock, learned: dict[str, float] | None = None, concurrency: int = 1) -> EtaEstimator:
    return EtaEstimator("claude", {"lessons": 4, "quizzes": 2}, RATES if learned is None else learned, concurrency=concurrency, clock=clock)


def test_rounds_of_concurrent_work() -> None:
    assert work_units("lessons", 12, 4, parallel=True) == 1 + 3  # the warm-up lesson goes alone
    assert work_units("lessons", 12, 1, parallel=True) == 12
    assert work_units("lessons", 12, 4, parallel=False) == 12  # offline writes one at a time
    assert work_units("quizzes", 3, 2, parallel=True) == 2
    assert work_units("exam", 1, 4, parallel=True) == 1
    assert work_units("lessons", 0, 4, parallel=True) == 0


def test_with_history_the_estimate_is_the_learned_plan_once_the_material_is_read() -> None:
    clock = Clock()
    eta = estimator(clock)
    eta.step_started("prepare")
    assert eta.remaining(0.5) is None  # "estimating…" while the material is read
    clock.tick(1)
    eta.step_finished("prepare", 1.0, 1)
    eta.step_started("outline")
    # outline 10 + lessons 4 x 20 + quizzes 2 x 10 + exam 15 + review 1 + save 1, at the learned pace.
    assert eta.remaining(0.0) == pytest.approx(127.0)


def test_without_history_it_waits_for_a_lesson() -> None:
    clock = Clock()
    eta = estimator(clock, learned={})
    eta.step_started("outline")
    clock.tick(2)
    assert eta.remaining(0.5) is None
    eta.step_finished("outline", 2.0, 1)
    eta.step_started("lessons")
    clock.tick(1)
    assert eta.remaining(0.1) is None
    eta.lesson_done()
    assert eta.remaining(0.25) is not None


def test_a_job_twice_as_slow_as_history_is_estimated_twice_as_long() -> None:
    clock = Clock()
    eta = estimator(clock)
    for step in ("prepare", "outline"):
        eta.step_started(step)
        clock.tick(2 * RATES[step])
        eta.step_finished(step, 2 * RATES[step], 1)
    eta.step_started("lessons")
    clock.tick(80)  # two of four lessons, each twice the learned 20 s
    for _ in range(2):
        eta.lesson_done()
    left = eta.remaining(0.5)
    truth = 2 * (2 * 20 + 2 * 10 + 15 + 1 + 1)
    # Twice the plan (77 s), less what the prior still holds back on one outline's evidence.
    assert left is not None and 0.85 < left / truth < 1.05


def test_quizzes_written_during_the_lessons_do_not_count_as_instant_progress() -> None:
    clock = Clock()
    eta = estimator(clock)
    eta.step_finished("lessons", 80.0, 4)
    eta.step_started("quizzes")
    eta.remaining(0.5)  # one of two quizzes already written before the step began
    clock.tick(5)
    left = eta.remaining(0.5)
    # One quiz is left (1 round x 10 s learned from quiz-step tails), none of it done after 5 s:
    # the quiz written before the step must not read as "half done in no time".
    speed = (80 + 5 + 6.4) / (80 + 6.4)  # this job's pace, with the history's prior (5 % of the 128 s plan)
    assert left == pytest.approx((10 + 15 + 1 + 1) * speed)


def test_finished_lessons_set_the_pace_whatever_their_length() -> None:
    """The bar's within-lesson share assumes a lesson length; finished lessons do not."""
    clock = Clock()
    eta = estimator(clock)
    eta.step_finished("outline", 10.0, 1)
    eta.step_started("lessons")
    for _ in range(2):  # two lessons of four, 40 s each where history said 20 s
        clock.tick(40)
        eta.lesson_done()
    first = eta.remaining(0.3)  # short lessons: the streamed-text share lags behind
    clock.tick(10)
    second = eta.remaining(0.35)
    assert first is not None and second is not None
    # Two lessons at this job's text pace (live: 80 s; the learned plan at that pace blends in by
    # half); quizzes and exam at its tool pace (the outline took as long as learned); review and
    # save, with no local evidence, at the pace of all its work.
    text = (80 + 6.4) / (40 + 6.4)
    every = (10 + 80 + 6.4) / (10 + 40 + 6.4)
    assert first == pytest.approx(0.5 * 80 + 0.5 * (80 * text - 80) + (20 + 15) * 1.0 + (1 + 1) * every)
    assert second == pytest.approx(first - 10)  # it counts down between lessons


def test_the_estimate_never_leaps_up_without_evidence() -> None:
    clock = Clock()
    eta = estimator(clock)
    eta.step_finished("prepare", 1.0, 1)
    eta.step_started("outline")
    first = eta.remaining(0.0)
    assert first is not None
    clock.tick(60)  # the outline takes six times longer than learned: the raw estimate jumps
    second = eta.remaining(0.1)
    assert second is not None
    elapsed = 60 + 0.0
    assert second <= first + 60 * first / elapsed + 1e-9
    clock.tick(0.1)
    third = eta.remaining(0.1)
    assert third is not None and third <= second + 0.1 * second / 60.1 + 1e-9


def test_an_announced_retry_wait_may_raise_the_estimate_at_once() -> None:
    clock = Clock()
    eta = estimator(clock)
    eta.step_finished("prepare", 1.0, 1)
    eta.step_started("outline")
    clock.tick(5)
    before = eta.remaining(0.5)
    eta.retrying(30.0)
    clock.tick(0.1)
    after = eta.remaining(0.5)
    assert before is not None and after is not None
    assert after <= before + 30.0 + 0.1 * before / 5.1 + 1e-9


def test_learned_rates_prefer_the_same_model(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data", recover=False)
    try:
        for model, seconds, repeat in (("claude-haiku-4-5", 2.0, 2), ("claude-opus-4-6", 9.0, 3)):
            for _ in range(repeat):
                request = CourseRequest(topic="Cells", generator=GeneratorKind.CLAUDE, model=model, concurrency=4)
                job = store.create_job(request)
                store.record_step_timing(job.id, "claude", "lessons", 9, seconds * 3)  # 1 + 2 rounds
                store.record_step_timing(job.id, "claude", "outline", 1, seconds)
        assert learned_rates(store, "claude", "claude-haiku-4-5") == {"lessons": 2.0, "outline": 2.0}
        assert learned_rates(store, "claude", "claude-opus-4-6") == {"lessons": 9.0, "outline": 9.0}
        assert learned_rates(store, "claude", "claude-sonnet-4-6") == {"lessons": 9.0, "outline": 9.0}  # all jobs
        assert learned_rates(store, "offline", None) == {}
    finally:
        store.close()


def test_the_progress_window_says_estimating_until_there_is_an_eta() -> None:
    from coursegen_desktop.gui.job_state import format_eta

    assert format_eta(None) == "estimating…"
    assert format_eta(30) == "less than a minute left"
    assert format_eta(150) == "about 2 min left"
