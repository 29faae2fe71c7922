"""Whole Claude jobs against a Messages API server whose model follows the schema but not every
instruction: the course still completes, and each fix is a line in the job log."""

from __future__ import annotations

from typing import Any

from coursegen_desktop.core import pipeline
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.events import JobCompleted, JobFailed, Progress
from coursegen_desktop.core.generators.anthropic import ClaudeGenerator
from coursegen_desktop.core.models import CourseRequest, JobStatus, make_request
from coursegen_desktop.core.ratelimit import RateLimiter
from coursegen_desktop.core.store import Store
from tests.fakes import DEFAULT_KEY, Fault, FakeMessagesAPI, Sloppy

SMALL = {"topic": "Photosynthesis", "generator": "claude", "modules": 2, "lessons_per_module": 2, "questions_per_quiz": 5, "exam_questions": 5}


def run_job(request: CourseRequest, api: FakeMessagesAPI) -> tuple[Store, Any, list[Any]]:
    gen = ClaudeGenerator(request, api_key=DEFAULT_KEY, base_url=api.base_url, limiter=RateLimiter(rpm=0, max_requests=0), retry_base_s=0.05)
    store = Store.open()
    events: list[Any] = []
    record = pipeline.run(request, gen, store, events.append, CancelToken())
    return store, record, events


def job_log(events: list[Any]) -> list[str]:
    return [e.message for e in events if isinstance(e, Progress)]


def test_a_sloppy_model_still_yields_a_complete_course_with_every_fix_logged(fake_api: FakeMessagesAPI) -> None:
    fake_api.sloppy = Sloppy(extra_modules=1, invented_objective_ids=True, extra_questions=-1)
    request = make_request(**SMALL)

    store, record, events = run_job(request, fake_api)

    assert record.status == JobStatus.COMPLETED, [e for e in events if isinstance(e, JobFailed)]
    assert isinstance(events[-1], JobCompleted)
    course = store.get_course(record.id)
    assert course is not None and len(course.outline.modules) == 3 and len(course.quizzes) == 3
    saved = store.saved_parts(record.id)  # as written, before the review step prunes look-alike questions
    assert all(len(quiz.questions) == 4 for quiz in saved.quizzes.values()) and saved.exam is not None and len(saved.exam.questions) == 4
    known = {o.id for o in course.outline.objectives}
    assert all(set(plan.objective_ids) <= known for _, plan in course.outline.lesson_plans())
    assert all(q.objective_id in known | {None} for quiz in course.quizzes for q in quiz.questions)
    log = job_log(events)
    assert "Outline: the model planned 3 modules where 2 were asked; kept its plan." in log
    assert any(line.startswith("Outline: dropped objective ids that no objective has (obj-99)") for line in log)
    for module in ("m1", "m2", "m3"):
        assert f"Quiz for {module}: the model wrote 4 usable questions where 5 were asked; kept them." in log
        assert f"Quiz for {module}: dropped objective ids that the outline does not have (obj-99)." in log
    assert "Practice exam: the model wrote 4 usable questions where 5 were asked; kept them." in log
    assert len(fake_api.messages("outline")) == 1 and len(fake_api.messages("quiz")) == 3  # tolerated, not repaired


def test_duplicate_ids_and_a_bad_answer_index_are_mended_without_failing(fake_api: FakeMessagesAPI) -> None:
    fake_api.sloppy = Sloppy(duplicate_lesson_ids=True, answer_index_out_of_range=True)
    request = make_request(**SMALL)

    store, record, events = run_job(request, fake_api)

    assert record.status == JobStatus.COMPLETED, [e for e in events if isinstance(e, JobFailed)]
    course = store.get_course(record.id)
    assert course is not None
    assert [plan.id for _, plan in course.outline.lesson_plans()] == ["m1-l1", "m1-l2", "m2-l1", "m2-l2"]
    assert any("gave new ids to 2 lessons" in line for line in job_log(events))
    # The bad answer_index goes back once; the sloppy model repeats it, so that question is left out.
    saved = store.saved_parts(record.id)
    assert len(fake_api.messages("quiz")) == 4 and all(len(quiz.questions) == 4 for quiz in saved.quizzes.values())
    assert any("left out 1 question" in line and "answer_index 4" in line for line in job_log(events))


def test_nonsense_twice_still_fails_with_the_reason(fake_api: FakeMessagesAPI) -> None:
    fake_api.fail(Fault.invalid(), kind="outline", times=2)
    request = make_request(**SMALL)

    _, record, events = run_job(request, fake_api)

    failed = events[-1]
    assert isinstance(failed, JobFailed) and failed.kind == "invalid_output" and failed.resumable
    assert failed.message == (
        "Claude wrote the outline in a form that could not be used, twice "
        "(outline: the answer has no outline object; send the whole outline); Resume the job to try again."
    )
    assert record.status == JobStatus.FAILED and len(fake_api.messages("outline")) == 2
