"""Regenerate one part of a finished course: its own job, nothing else changes, the old version restores."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from coursegen_desktop.core import pipeline, regenerate
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.errors import BadInput
from coursegen_desktop.core.events import JobCancelled, JobCompleted, JobStarted, StepStarted, TopicCompleted
from coursegen_desktop.core.generators.anthropic import ClaudeGenerator
from coursegen_desktop.core.generators.offline import OfflineGenerator
from coursegen_desktop.core.models import JobStatus, make_request
from coursegen_desktop.core.ratelimit import RateLimiter
from coursegen_desktop.core.store import Store
from tests.fakes import DEFAULT_KEY, FakeMessagesAPI
from tests.helpers.scripted_generator import ScriptedGenerator


class RewritingGenerator(ScriptedGenerator):
    """Writes lessons that say which job wrote them and with what instruction."""

    async def lesson(self, ctx, module, plan, on_text):  # noqa: ANN001, ANN201
        lesson = await super().lesson(ctx, module, plan, on_text)
        return lesson.model_copy(update={"markdown": f"{lesson.markdown}\nWritten by job {ctx.job_id} ({ctx.instruction or 'no instruction'}).\n"})


def _finished(store: Store, generator=None) -> str:  # noqa: ANN001
    record = pipeline.run(make_request(topic="Cells", modules=2, lessons_per_module=2), generator or RewritingGenerator(), store, lambda e: None, CancelToken())
    assert record.status == JobStatus.COMPLETED
    return record.id


def _course_parts(store: Store, job_id: str) -> dict[str, str]:
    """Every part of the saved course, as the JSON it is stored with."""
    course = json.loads(store._conn.execute("SELECT body FROM courses WHERE job_id = ?", (job_id,)).fetchone()[0])
    parts = {f"lesson:{lesson['id']}": json.dumps(lesson) for lesson in course["lessons"]}
    parts |= {f"quiz:{quiz['module_id']}": json.dumps(quiz) for quiz in course["quizzes"]}
    parts |= {"exam": json.dumps(course["exam"]), "flashcards": json.dumps(course["flashcards"]), "outline": json.dumps(course["outline"])}
    return parts


def test_regenerating_a_lesson_changes_only_that_lesson_and_the_old_one_restores(store: Store) -> None:
    source = _finished(store)
    saved_before = {(kind, key): body for kind, key, body in store.part_rows(source)}
    course_before = _course_parts(store, source)
    usage_before = store.get_job(source).usage

    events: list = []
    job = regenerate.create_job(store, source, "m1l2", "simpler, with an example")
    record = pipeline.run(None, RewritingGenerator(), store, events.append, CancelToken(), job_id=job.id)

    assert record.status == JobStatus.COMPLETED and record.id != source
    assert isinstance(events[0], JobStarted) and isinstance(events[-1], JobCompleted)
    assert [e.step for e in events if isinstance(e, StepStarted)] == ["prepare", "lessons", "review", "save"]
    assert [e.lesson_id for e in events if isinstance(e, TopicCompleted)] == ["m1l2"]
    saved_after = {(kind, key): body for kind, key, body in store.part_rows(source)}
    course_after = _course_parts(store, source)
    changed = {key for key in course_before if course_before[key] != course_after[key]}
    assert changed == {"lesson:m1l2"}
    assert {key for key in saved_before if saved_before[key] != saved_after[key]} == {("lesson", "m1l2")}
    assert f"Written by job {job.id} (simpler, with an example)" in store.get_course(source).lesson("m1l2").markdown
    assert store.get_job(source).usage == usage_before and store.get_job(source).status == JobStatus.COMPLETED

    [version] = regenerate.versions(store, source)
    assert (version.part, version.version, version.replaced_by) == ("m1l2", 1, job.id)
    regenerate.restore(store, source, "m1l2", 1)
    assert _course_parts(store, source) == course_before
    assert {(kind, key): body for kind, key, body in store.part_rows(source)} == saved_before
    [kept] = regenerate.versions(store, source)  # the rewrite is now the earlier version
    assert kept.version == 2 and f"Written by job {job.id}" in store.part_version(source, "m1l2", 2)


@pytest.mark.parametrize("part", ["quiz:m2", "exam", "flashcards"])
def test_other_parts_regenerate_alone_too(store: Store, samples: tuple[Path, ...], part: str) -> None:
    record = pipeline.run(make_request(topic="Water", material=samples, modules=2, lessons_per_module=2), OfflineGenerator(), store, lambda e: None, CancelToken())
    before = _course_parts(store, record.id)
    job = regenerate.create_job(store, record.id, part)
    assert pipeline.run(None, OfflineGenerator(), store, lambda e: None, CancelToken(), job_id=job.id).status == JobStatus.COMPLETED
    after = _course_parts(store, record.id)
    assert {key for key in before if before[key] != after[key]} <= {part}
    assert [v.part for v in regenerate.versions(store, record.id)] == [part]


def test_cancel_leaves_the_course_as_it_was(store: Store) -> None:
    source = _finished(store)
    before = _course_parts(store, source)
    job = regenerate.create_job(store, source, "m2l1")
    generator = RewritingGenerator(block_on_lesson="m2l1")
    cancel = CancelToken()
    threading.Thread(target=lambda: (generator.blocked.wait(10), cancel.cancel()), daemon=True).start()
    events: list = []
    record = pipeline.run(None, generator, store, events.append, cancel, job_id=job.id)
    assert record.status == JobStatus.CANCELLED and isinstance(events[-1], JobCancelled)
    assert _course_parts(store, source) == before and regenerate.versions(store, source) == []


def test_bad_parts_and_unfinished_courses_are_refused(store: Store) -> None:
    source = _finished(store)
    with pytest.raises(BadInput, match="'m9l9' is not a part of this course"):
        regenerate.create_job(store, source, "m9l9")
    with pytest.raises(BadInput, match="no quiz for module 'm7'"):
        regenerate.create_job(store, source, "quiz:m7")
    waiting = pipeline.run(make_request(topic="Cells", review_outline=True), ScriptedGenerator(), store, lambda e: None, CancelToken())
    with pytest.raises(BadInput, match="has no finished course"):
        regenerate.create_job(store, waiting.id, "exam")


def test_claude_rewrites_the_lesson_with_the_instruction_and_the_job_has_its_own_cost(store: Store) -> None:
    request = make_request(topic="Photosynthesis", generator="claude", modules=2, lessons_per_module=2)
    with FakeMessagesAPI() as api:
        make = lambda r: ClaudeGenerator(r, api_key=DEFAULT_KEY, base_url=api.base_url, limiter=RateLimiter(rpm=0, max_requests=0))  # noqa: E731
        source = pipeline.run(request, make(request), store, lambda e: None, CancelToken())
        job = regenerate.create_job(store, source.id, "m1-l2", "more examples")
        before = len(api.messages())
        record = pipeline.run(None, make(store.get_job(job.id).request), store, lambda e: None, CancelToken(), job_id=job.id)
        calls = api.messages()[before:]
    assert record.status == JobStatus.COMPLETED
    assert [call.kind for call in calls] == ["lesson"]
    assert "<learner_instruction>more examples</learner_instruction>" in calls[0].text
    assert record.usage.requests == 1 and record.usage.cost_usd > 0
    assert store.get_job(source.id).usage == source.usage


def test_a_rewrite_of_a_deleted_course_fails_in_one_sentence(store: Store) -> None:
    source = _finished(store)
    job = regenerate.create_job(store, source, "exam")
    store.delete_job(source)
    events: list = []
    record = pipeline.run(None, RewritingGenerator(), store, events.append, CancelToken(), job_id=job.id)
    assert record.status == JobStatus.FAILED
    assert record.error_message == "The course this part belonged to has been deleted, so there is nothing to rewrite."
    assert not any(isinstance(event, TopicCompleted) for event in events)  # it did not turn into a new generation
