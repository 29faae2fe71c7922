"""The seven-step pipeline: event order, progress, cancel and resume, with a counting generator."""

from __future__ import annotations

import threading

import pytest

from coursegen_desktop.core import pipeline
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.events import (
    JobCancelled,
    JobCompleted,
    JobFailed,
    Progress,
    StepCompleted,
    StepStarted,
    TopicCompleted,
    TopicStarted,
)
from coursegen_desktop.core.models import JobStatus, make_request
from coursegen_desktop.core.steps import STEP_NAMES
from coursegen_desktop.core.store import Store
from tests.helpers.scripted_generator import ScriptedGenerator


@pytest.fixture
def store() -> Store:
    opened = Store.open()
    yield opened
    opened.close()


def test_full_run_emits_steps_in_order_and_ends_at_100(store: Store) -> None:
    events: list = []
    record = pipeline.run(make_request(topic="Cells", modules=2, lessons_per_module=3), ScriptedGenerator(), store, events.append, CancelToken())
    assert record.status == JobStatus.COMPLETED
    started = [event.step for event in events if isinstance(event, StepStarted)]
    completed = [event.step for event in events if isinstance(event, StepCompleted)]
    assert started == list(STEP_NAMES) == completed
    percents = [event.percent for event in events if isinstance(event, Progress)]
    assert percents == sorted(percents) and percents[-1] == 100
    assert len([event for event in events if isinstance(event, TopicCompleted)]) == 6
    assert isinstance(events[-1], JobCompleted)
    assert [event.seq for event in events] == list(range(1, len(events) + 1))
    assert [event.seq for event in store.events(record.id)] == [event.seq for event in events]
    course = store.get_course(record.id)
    assert course is not None and len(course.lessons) == 6 and len(course.quizzes) == 2


def test_steps_never_interleave(store: Store) -> None:
    """StepStarted(n+1) only after StepCompleted(n), even though quizzes start early."""
    events: list = []
    pipeline.run(make_request(topic="Order", modules=3, concurrency=3), ScriptedGenerator(delay=0.001), store, events.append, CancelToken())
    open_steps: list[str] = []
    for event in events:
        if isinstance(event, StepStarted):
            assert not open_steps
            open_steps.append(event.step)
        elif isinstance(event, StepCompleted):
            assert open_steps == [event.step]
            open_steps.clear()
        elif isinstance(event, (TopicStarted, TopicCompleted)):
            assert open_steps == ["lessons"]


def test_cancel_mid_lessons_writes_nothing_after_cancel(store: Store) -> None:
    generator = ScriptedGenerator(block_on_lesson="m2l1", delay=0.01)
    cancel = CancelToken()
    events: list = []
    request = make_request(topic="Cancel me", modules=3, lessons_per_module=2, concurrency=2)
    worker = threading.Thread(target=lambda: pipeline.run(request, generator, store, events.append, cancel))
    worker.start()
    assert generator.blocked.wait(10)
    job_id = events[0].job_id
    saved_before = store.saved_parts(job_id).count
    cancel.cancel()
    worker.join(10)
    assert not worker.is_alive()  # how fast it stops is measured by benchmarks/bench_cancel.py
    assert isinstance(events[-1], JobCancelled)
    assert store.get_job(job_id).status == JobStatus.CANCELLED
    # Lessons that were in flight when the cancel came (m1l2 may still be streaming) are not saved.
    assert store.saved_parts(job_id).count == saved_before
    assert "m2l1" not in store.saved_parts(job_id).lessons


def test_resume_after_failure_never_regenerates_saved_parts(store: Store) -> None:
    events: list = []
    failing = ScriptedGenerator(fail_on_lesson="m2l2")
    record = pipeline.run(make_request(topic="Resume", modules=3, lessons_per_module=3, concurrency=1), failing, store, events.append, CancelToken())
    assert record.status == JobStatus.FAILED and record.error_kind == "network" and record.resumable
    assert isinstance(events[-1], JobFailed) and events[-1].step == "lessons"
    saved = set(store.saved_parts(record.id).lessons)
    assert saved == {"m1l1", "m1l2", "m1l3", "m2l1"}

    resumed = ScriptedGenerator()
    events.clear()
    record = pipeline.run(None, resumed, store, events.append, CancelToken(), job_id=record.id)
    assert record.status == JobStatus.COMPLETED
    assert resumed.calls["outline"] == 0
    assert all(resumed.calls[f"lesson:{lesson_id}"] == 0 for lesson_id in saved)
    assert resumed.calls["lesson"] == 9 - len(saved)
    assert resumed.calls["quiz"] + len(store.saved_parts(record.id).quizzes) >= 3
    assert len(store.get_course(record.id).lessons) == 9  # type: ignore[union-attr]
    first_seq = events[0].seq
    assert first_seq > 1  # numbering continues after the failed run's events


def test_completed_job_cannot_be_resumed(store: Store) -> None:
    record = pipeline.run(make_request(topic="Done"), ScriptedGenerator(), store, lambda event: None, CancelToken())
    with pytest.raises(Exception, match="already complete"):
        pipeline.run(None, ScriptedGenerator(), store, lambda event: None, CancelToken(), job_id=record.id)


def test_storage_failure_while_saving_fails_job_with_disk_full(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    real_save = Store.save_part

    def full_disk(self: Store, job_id: str, kind: str, key: str, body: str) -> None:
        if key == "m1l2":
            with self._write(f"the {kind}"):
                raise sqlite3.OperationalError("database or disk is full")
        real_save(self, job_id, kind, key, body)

    monkeypatch.setattr(Store, "save_part", full_disk)
    events: list = []
    record = pipeline.run(make_request(topic="Full disk", concurrency=1), ScriptedGenerator(), store, events.append, CancelToken())
    assert record.status == JobStatus.FAILED and record.error_kind == "disk_full"
    assert "free some space" in record.error_message
    assert "m1l1" in store.saved_parts(record.id).lessons


def test_a_job_that_cannot_start_ends_failed_with_one_event(store: Store) -> None:
    from coursegen_desktop.core.errors import CourseGenError, ErrorKind

    job = store.create_job(make_request(topic="No key", generator="claude"))
    events: list = []
    error = CourseGenError(ErrorKind.AUTH, "No Anthropic API key is set; add one in Settings, then Resume.", resumable=True)
    pipeline.fail_before_start(store, job.id, error, events.append)
    record = store.get_job(job.id)
    assert record.status == JobStatus.FAILED and record.error_kind == "auth" and record.resumable
    assert [type(event) for event in events] == [JobFailed]
    assert store.events(job.id) == events


def test_the_bar_counts_the_quiz_just_written(store: Store) -> None:
    """When the last quiz is saved the bar is at the end of the quiz share (it used to lag one
    quiz behind, and the ETA with it)."""
    events: list = []
    pipeline.run(make_request(topic="Quizzes", modules=3, lessons_per_module=1, concurrency=1), ScriptedGenerator(delay=0.01), store, events.append, CancelToken())
    quiz_percents = [event.percent for event in events if isinstance(event, Progress) and event.message.startswith("Quiz for")]
    assert quiz_percents and quiz_percents[-1] == 82.0  # 70 + 12 x 3/3


def test_the_eta_rises_only_as_far_as_the_evidence_goes(store: Store) -> None:
    """History says lessons are quick; this job's are twelve times slower. The ETA grows, but
    between two estimates by no more than the share of the run time that passed (core/eta.py)."""
    request = make_request(topic="Pace", modules=2, lessons_per_module=2, concurrency=1)
    pipeline.run(request, ScriptedGenerator(delay=0.02), store, lambda event: None, CancelToken())
    events: list = []
    pipeline.run(request, ScriptedGenerator(delay=0.25), store, events.append, CancelToken())
    shown = [(event.at.timestamp(), event.eta_s) for event in events if isinstance(event, Progress) and event.eta_s is not None]
    start = events[0].at.timestamp()
    assert len(shown) > 5
    for (before, old), (after, new) in zip(shown, shown[1:]):
        passed = after - before
        assert new <= old + passed * old / max(after - start, 1.0) + 0.15, (old, new, passed)  # 0.1 s rounding, clock skew
