"""Strict tool definitions and the prompt-cache minimum check, against the local Messages API fake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from coursegen_desktop.core import pipeline
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.events import JobFailed, Progress
from coursegen_desktop.core.generators.anthropic import ClaudeGenerator
from coursegen_desktop.core.generators.claude_cache import cache_minimum
from coursegen_desktop.core.generators.strict_schema import strict_problems
from coursegen_desktop.core.models import CourseRequest, JobStatus, make_request
from coursegen_desktop.core.ratelimit import RateLimiter
from coursegen_desktop.core.store import Store
from tests.fakes import DEFAULT_KEY, Fault, FakeMessagesAPI

SMALL = {"topic": "Photosynthesis", "generator": "claude", "modules": 1, "lessons_per_module": 2}


def run_job(request: CourseRequest, api: FakeMessagesAPI) -> tuple[Any, list[Any]]:
    gen = ClaudeGenerator(request, api_key=DEFAULT_KEY, base_url=api.base_url, limiter=RateLimiter(rpm=0, max_requests=0), retry_base_s=0.05)
    events: list[Any] = []
    record = pipeline.run(request, gen, Store.open(), events.append, CancelToken())
    assert record.status == JobStatus.COMPLETED, [e for e in events if isinstance(e, JobFailed)]
    return record, events


def cache_notes(events: list[Any]) -> list[str]:
    return [e.message for e in events if isinstance(e, Progress) and "needs to cache it" in e.message]


def test_every_tool_sent_is_strict_and_inside_what_strict_mode_accepts(fake_api: FakeMessagesAPI) -> None:
    run_job(make_request(**SMALL), fake_api)

    structured = [r for r in fake_api.messages() if r.kind != "lesson"]
    assert {r.kind for r in structured} == {"outline", "quiz", "exam", "flashcards"}
    for request in structured:
        for tool in request.body["tools"]:
            assert tool["strict"] is True
            assert strict_problems(tool["input_schema"]) == [], tool["name"]


def test_the_strict_check_catches_what_strict_mode_refuses() -> None:
    schema = {
        "type": "object",
        "properties": {"options": {"type": "array", "items": {"type": "string", "maxLength": 9}, "minItems": 2}, "n": {"type": "integer", "minimum": 0}},
        "required": ["options"],
    }
    problems = strict_problems(schema)
    assert "$: additionalProperties must be false" in problems and "$: every property must be required" in problems
    assert "$.options: minItems 2 (only 0 or 1)" in problems and "$.options.items: keyword 'maxLength' is not allowed" in problems
    assert "$.n: keyword 'minimum' is not allowed" in problems


def test_a_prefix_too_short_to_cache_is_noted_once(fake_api: FakeMessagesAPI) -> None:
    _, events = run_job(make_request(**SMALL), fake_api)  # no material: rules and outline only

    counts = fake_api.messages("count_tokens")
    assert len(counts) == 1 and counts[0].body["system"] == fake_api.messages("lesson")[0].body["system"]
    notes = cache_notes(events)
    assert len(notes) == 1 and "below the 2,048 that claude-sonnet-4-6 needs to cache it" in notes[0]


def test_a_long_enough_prefix_says_nothing(fake_api: FakeMessagesAPI, notes_file: Path) -> None:
    notes_file.write_text(notes_file.read_text() * 2, encoding="utf-8")
    _, events = run_job(make_request(**SMALL, material=(notes_file,)), fake_api)

    assert len(fake_api.messages("count_tokens")) == 1 and cache_notes(events) == []
    assert fake_api.messages("lesson")[1].usage["cache_read_input_tokens"] > 0


def test_a_server_without_count_tokens_still_completes_the_job(fake_api: FakeMessagesAPI) -> None:
    fake_api.fail(Fault(404, "not_found_error", "Not found"), kind="count_tokens")

    _, events = run_job(make_request(**SMALL), fake_api)

    assert cache_notes(events) == []


@pytest.mark.parametrize(
    ("model", "minimum"),
    [("claude-sonnet-4-6", 2048), ("claude-opus-4-6-20260101", 4096), ("claude-haiku-4-5", 4096), ("claude-sonnet-4-5", 1024), ("claude-opus-5-5", 4096), ("gateway-x", 2048)],
)
def test_cache_minimums_per_model(model: str, minimum: int) -> None:
    assert cache_minimum(model) == minimum
