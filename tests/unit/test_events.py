"""Every event type survives the JSON round trip the store and `--json` rely on."""

from __future__ import annotations

import json

import pytest

from coursegen_desktop.core.events import (
    EVENT_TYPES,
    Event,
    JobCancelled,
    JobPaused,
    JobCompleted,
    JobFailed,
    JobQueued,
    JobStarted,
    OutlineReady,
    Progress,
    Retrying,
    StepCompleted,
    StepStarted,
    TopicCompleted,
    TopicStarted,
)
from coursegen_desktop.core.models import Lesson, LessonPlan, ModulePlan, Outline, Usage

LESSON = Lesson(id="m1l1", module_id="m1", title="Light <reactions> & “dark” ones", markdown="# Hi\n\nText ✓", key_points=["a"])
SAMPLES: list[Event] = [
    JobQueued(job_id="j", seq=1, topic="Photosynthesis"),
    JobStarted(job_id="j", seq=2, generator="offline", resumed=True, parts_saved=3),
    StepStarted(job_id="j", seq=3, step="lessons", index=2, label="Write the lessons"),
    StepCompleted(job_id="j", seq=4, step="lessons", index=2, duration_s=1.25),
    TopicStarted(job_id="j", seq=5, lesson_id="m1l1", module_id="m1", title="Intro", index=1, total=9),
    TopicCompleted(job_id="j", seq=6, lesson_id="m1l1", title="Intro", index=1, total=9, done=1, lesson=LESSON),
    Progress(job_id="j", seq=7, percent=42.5, message="Writing", eta_s=12.0, tokens=300, preview="…", lesson_id="m1l1"),
    Retrying(job_id="j", seq=8, attempt=2, delay_s=1.5, reason="Rate limited by the API"),
    JobCompleted(job_id="j", seq=9, title="Course", duration_s=3.5, usage=Usage(input_tokens=5, cost_usd=0.01)),
    JobFailed(job_id="j", seq=10, kind="network", message="Network unavailable.", step="lessons", resumable=True),
    JobCancelled(job_id="j", seq=11, step="quizzes"),
    JobCancelled(job_id="j", seq=11, step="lessons", message="Stopped while the app was closing.", interrupted=True),
    JobPaused(job_id="j", seq=12, step="lessons"),
    OutlineReady(job_id="j", seq=12, outline=Outline(title="T", modules=[ModulePlan(id="m1", title="M", lessons=[LessonPlan(id="m1l1", title="L")])])),
]


def test_samples_cover_all_thirteen_types() -> None:
    assert {type(event) for event in SAMPLES} == set(EVENT_TYPES)
    assert len(EVENT_TYPES) == 13


@pytest.mark.parametrize("event", SAMPLES, ids=lambda event: type(event).__name__)
def test_round_trip(event: Event) -> None:
    text = event.to_json()
    assert json.loads(text)["type"] == type(event).__name__
    back = Event.from_json(text)
    assert type(back) is type(event)
    assert back == event


def test_events_are_frozen() -> None:
    with pytest.raises(Exception):
        SAMPLES[0].seq = 99  # type: ignore[misc]


def test_unknown_type_is_rejected() -> None:
    with pytest.raises(Exception):
        Event.from_json('{"type": "Nope", "job_id": "j", "seq": 1}')
