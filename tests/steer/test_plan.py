"""Plans against what jobs really used: the real SDK and pipeline against the local Messages API fake."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursegen_desktop.core import pipeline
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.generators.anthropic import ClaudeGenerator
from coursegen_desktop.core.models import JobStatus, make_request
from coursegen_desktop.core.plan import format_seconds, make_plan, plan_request
from coursegen_desktop.core.ratelimit import RateLimiter
from coursegen_desktop.core.store import Store
from tests.fakes import DEFAULT_KEY, FakeMessagesAPI

NOTES = "\n\n".join(f"Paragraph {i}: chlorophyll absorbs red and blue light, and photosynthesis stores energy in glucose." for i in range(120))


def _run(store: Store, api: FakeMessagesAPI, request) -> object:  # noqa: ANN001
    generator = ClaudeGenerator(request, api_key=DEFAULT_KEY, base_url=api.base_url, limiter=RateLimiter(rpm=0, max_requests=0))
    record = pipeline.run(request, generator, store, lambda event: None, CancelToken())
    assert record.status == JobStatus.COMPLETED, record.error_message
    return record


def test_offline_plan_costs_nothing_and_keeps_the_json_contract(store: Store, samples: tuple[Path, ...]) -> None:
    planned = plan_request(make_request(topic="Water", material=samples), store)
    data = planned.to_json()
    assert set(data) == {"calls", "input_tokens", "output_tokens", "cost_usd", "seconds", "basis"}
    assert data["calls"] == 0 and data["cost_usd"] == {"low": 0.0, "high": 0.0} and data["basis"] == "defaults"
    assert 0 < data["seconds"]["low"] < data["seconds"]["high"]
    assert planned.label().startswith("No API calls · free · ")


def test_claude_plan_counts_every_call_and_stays_within_a_factor_of_two(store: Store) -> None:
    small = make_plan(make_request(topic="Cells", generator="claude", modules=2, lessons_per_module=3), 0, store)
    large = make_plan(make_request(topic="Cells", generator="claude", modules=4, lessons_per_module=3), 20_000, store)
    assert small.calls == 6 + 2 + 3 and large.calls == 12 + 4 + 3
    assert small.basis == "defaults"
    assert large.cost_low > small.cost_high  # more lessons and more material cost more
    for planned in (small, large):
        assert 0 < planned.cost_low < planned.cost_high <= 2 * planned.cost_low
    assert small.label() == f"≈ 11 calls · ${small.cost_low:.2f}–{small.cost_high:.2f} · {format_seconds(small.seconds_low, small.seconds_high)}"
    assert format_seconds(130, 250) == "2–5 min" and format_seconds(20, 40) == "20–40 s"


def test_plan_matches_what_the_job_really_used(store: Store, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\n" + NOTES + "\n", encoding="utf-8")
    with FakeMessagesAPI(lesson_words=600, words_per_delta=40, min_cache_tokens=2048) as api:
        _run(store, api, make_request(topic="Seed course", generator="claude", material=(notes,), modules=2, lessons_per_module=2))
        request = make_request(topic="Photosynthesis", generator="claude", material=(notes,), modules=3, lessons_per_module=3, questions_per_quiz=4, exam_questions=12)
        before = len(api.requests)
        planned = plan_request(request, store, api_key=DEFAULT_KEY, base_url=api.base_url)
        planning = api.requests[before:]
        assert [r.path for r in planning] == ["/v1/messages/count_tokens"]  # counted, and no Messages call
        record = _run(store, api, request)
    assert planned.basis == "history"
    assert planned.calls == record.usage.requests == 9 + 3 + 3
    assert planned.cost_low <= record.usage.cost_usd <= planned.cost_high
    assert planned.cost_high <= 2 * planned.cost_low
    real_input = record.usage.input_tokens + record.usage.cache_read_input_tokens + record.usage.cache_creation_input_tokens
    assert abs(planned.input_tokens - real_input) / real_input < 0.15
    assert abs(planned.output_tokens - record.usage.output_tokens) / record.usage.output_tokens < 0.15


def test_without_a_key_the_material_is_measured_by_characters(store: Store, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES, encoding="utf-8")
    request = make_request(topic="Photosynthesis", generator="claude", material=(notes,))
    with FakeMessagesAPI() as api:
        by_chars = plan_request(request, store)
        assert api.requests == []
        counted = plan_request(request, store, api_key=DEFAULT_KEY, base_url=api.base_url)
    assert counted.input_tokens == pytest.approx(by_chars.input_tokens, rel=0.05)
