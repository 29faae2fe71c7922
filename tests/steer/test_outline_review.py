"""The outline review gate: stop after the outline, edit it, approve it, or ask for another one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coursegen_desktop.core import outline_review, pipeline
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.errors import BadInput
from coursegen_desktop.core.events import JobCompleted, OutlineReady, TopicStarted
from coursegen_desktop.core.generators.anthropic import ClaudeGenerator
from coursegen_desktop.core.generators.offline import OfflineGenerator
from coursegen_desktop.core.models import JobStatus, LessonPlan, Objective, make_request
from coursegen_desktop.core.ratelimit import RateLimiter
from coursegen_desktop.core.store import Store
from tests.fakes import DEFAULT_KEY, FakeMessagesAPI
from tests.helpers.scripted_generator import ScriptedGenerator


def test_job_stops_after_the_outline_and_writes_lessons_from_the_edited_one(store: Store) -> None:
    events: list = []
    generator = ScriptedGenerator()
    request = make_request(topic="Cells", modules=2, lessons_per_module=2, review_outline=True)
    record = pipeline.run(request, generator, store, events.append, CancelToken())
    assert record.status == JobStatus.AWAITING_REVIEW
    assert isinstance(events[-1], OutlineReady) and events[-1].outline.modules[0].lessons[0].title == "Lesson 1.1"
    assert dict(generator.calls) == {"outline": 1}  # nothing written or paid for beyond the outline

    outline = outline_review.outline_of(store, record.id)
    first, second = outline.modules
    first.title = "Cells up close"
    first.lessons[0].title = "The membrane"
    first.lessons[0].summary = "What gets in and out."
    first.lessons.reverse()  # reorder
    second.lessons.pop()  # remove
    second.lessons.append(LessonPlan(id="m2-new", title="Osmosis in practice", objective_ids=["o2"]))  # add
    outline.objectives[0] = Objective(id="o1", text="Describe the cell membrane")
    outline_review.approve(store, record.id, outline)

    events.clear()
    generator = ScriptedGenerator()
    record = pipeline.run(None, generator, store, events.append, CancelToken(), job_id=record.id)
    assert record.status == JobStatus.COMPLETED and isinstance(events[-1], JobCompleted)
    assert generator.calls["outline"] == 0
    course = store.get_course(record.id)
    assert [lesson.title for lesson in course.lessons] == ["Lesson 1.2", "The membrane", "Lesson 2.1", "Osmosis in practice"]
    assert course.outline.modules[0].title == "Cells up close"
    assert course.outline.modules[0].lessons[1].summary == "What gets in and out."
    assert course.outline.objectives[0].text == "Describe the cell membrane"
    assert [event.title for event in events if isinstance(event, TopicStarted)] == ["Lesson 1.2", "The membrane", "Lesson 2.1", "Osmosis in practice"]


def test_a_bad_outline_is_refused_sentence_by_sentence_and_nothing_changes(store: Store) -> None:
    record = pipeline.run(make_request(topic="Cells", review_outline=True), ScriptedGenerator(), store, lambda e: None, CancelToken())
    before = store.part_rows(record.id)
    data = json.loads(outline_review.outline_of(store, record.id).model_dump_json())
    data["title"] = " "
    data["modules"][0]["lessons"][1]["id"] = data["modules"][0]["lessons"][0]["id"]
    data["modules"][1]["lessons"] = []
    data["modules"][2]["lessons"][0]["objective_ids"] = ["o99"]
    outline, problems = outline_review.parse_outline(json.dumps(data))
    assert outline is None
    assert problems == [
        "The course title is empty; give the course a title.",
        "Lesson id “m1l1” is used twice; give each lesson its own id.",
        "Module 2 (“Module 2 of Cells”) has no lessons; add a lesson or remove the module.",
        "Lesson “m3l1” names objective “o99”, which is not in the objectives; add it or remove it from the lesson.",
    ]
    assert outline_review.parse_outline("{not json")[1][0].startswith("The file is not valid JSON (line 1")
    assert outline_review.parse_outline('{"modules": [{"id": "m1"}]}')[1] == ["Title is missing.", "Module 1: title is missing.", "Module 1: lessons is missing."]
    assert store.part_rows(record.id) == before


def test_only_a_job_waiting_for_review_takes_a_new_outline(store: Store) -> None:
    record = pipeline.run(make_request(topic="Cells"), ScriptedGenerator(), store, lambda e: None, CancelToken())
    outline = store.saved_parts(record.id).outline
    with pytest.raises(BadInput, match="completed, not waiting for an outline review"):
        outline_review.set_outline(store, record.id, outline)
    with pytest.raises(BadInput):
        outline_review.approve(store, record.id)


def test_offline_rejection_with_an_instruction_gives_a_different_outline(store: Store, samples: tuple[Path, ...]) -> None:
    request = make_request(topic="Water and light", material=samples, modules=2, lessons_per_module=2, review_outline=True)
    record = pipeline.run(request, OfflineGenerator(), store, lambda e: None, CancelToken())
    first = outline_review.outline_of(store, record.id)
    outline_review.request_new_outline(store, record.id, "more on groundwater and rain")
    record = pipeline.run(None, OfflineGenerator(), store, lambda e: None, CancelToken(), job_id=record.id)
    second = outline_review.outline_of(store, record.id)
    assert record.status == JobStatus.AWAITING_REVIEW
    titles = lambda o: [[lesson.title for lesson in m.lessons] for m in o.modules]  # noqa: E731
    assert titles(second) != titles(first)
    assert "groundwater" in second.modules[0].lessons[0].summary  # the sections about it come first
    assert "more on groundwater and rain" in second.description


def test_claude_gets_the_instruction_when_it_plans_again(store: Store) -> None:
    request = make_request(topic="Photosynthesis", generator="claude", modules=2, lessons_per_module=2, review_outline=True)
    with FakeMessagesAPI() as api:
        make = lambda: ClaudeGenerator(request, api_key=DEFAULT_KEY, base_url=api.base_url, limiter=RateLimiter(rpm=0, max_requests=0))  # noqa: E731
        record = pipeline.run(request, make(), store, lambda e: None, CancelToken())
        outline_review.request_new_outline(store, record.id, "Focus on the Calvin cycle")
        record = pipeline.run(None, make(), store, lambda e: None, CancelToken(), job_id=record.id)
        outlines = api.messages("outline")
    assert record.status == JobStatus.AWAITING_REVIEW
    assert len(outlines) == 2 and "Focus on the Calvin cycle" not in outlines[0].text
    assert "<learner_instruction>Focus on the Calvin cycle</learner_instruction>" in outlines[1].text
    assert api.messages("lesson") == []
