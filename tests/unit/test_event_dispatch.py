"""Views react to events through one typed table keyed by event class (no names as strings)."""

from __future__ import annotations

import pytest

from coursegen_desktop.core.event_dispatch import dispatch, handlers_of, handles
from coursegen_desktop.core.events import EVENT_TYPES, Event, JobFailed, JobQueued, StepStarted
from coursegen_desktop.core.models import JobStatus
from coursegen_desktop.gui.job_state import JobViewState


def test_the_progress_state_handles_every_event_type_by_class() -> None:
    assert set(handlers_of(JobViewState)) == set(EVENT_TYPES)
    state = JobViewState("j1")
    assert state.apply(JobQueued(job_id="j1", seq=1, topic="Cells"))
    assert state.apply(StepStarted(job_id="j1", seq=2, index=1, step="outline", label="Outline"))
    assert state.apply(JobFailed(job_id="j1", seq=3, kind="network", message="No network.", resumable=True))
    assert (state.topic, state.status, state.error, state.resumable) == ("Cells", JobStatus.FAILED, "No network.", True)
    assert state.steps[1].status == "failed"


def test_a_handler_must_name_a_known_event_class() -> None:
    class NotAnEvent(Event):
        type: str = "not_an_event"

    with pytest.raises(TypeError, match="not one of the event types"):
        handles(NotAnEvent)


def test_a_subclass_handler_replaces_its_base_and_unhandled_events_do_nothing() -> None:
    class Base:
        @handles(JobQueued)
        def on_queued(self, event: JobQueued) -> str:
            return "base"

    class Child(Base):
        @handles(JobQueued)
        def on_queued_again(self, event: JobQueued) -> str:
            return "child"

    queued = JobQueued(job_id="j", seq=1, topic="T")
    assert dispatch(Base(), queued) == "base" and dispatch(Child(), queued) == "child"
    assert dispatch(Child(), StepStarted(job_id="j", seq=2, index=0, step="prepare", label="Prepare")) is None
