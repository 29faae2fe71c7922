"""Bulk courses with Message Batches against the fake Messages API's batches endpoints."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from filelock import FileLock

from coursegen_desktop.core import pricing
from coursegen_desktop.core.batch import BatchRunner
from coursegen_desktop.core.batch_store import BatchStore
from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.events import Progress
from coursegen_desktop.core.models import JobStatus, make_request
from coursegen_desktop.core.store import Store
from tests.fakes import DEFAULT_KEY, Sloppy
from tests.fakes.batches_api import FakeBatchesAPI

T = TypeVar("T")
TOPICS = ["Photosynthesis", "The water cycle", "Plate tectonics", "Cell division", "Volcanoes"]


def requests(n: int = 5) -> list[Any]:
    return [make_request(topic=topic, generator="claude", modules=2, lessons_per_module=2, questions_per_quiz=3, exam_questions=3) for topic in TOPICS[:n]]


@pytest.fixture
def batch_api() -> Any:
    with FakeBatchesAPI(batch_seconds=0.05) as api:
        yield api


def with_runner(store: Store, api: FakeBatchesAPI, body: Callable[[BatchRunner], Awaitable[T]]) -> T:
    """Run `body` with a fresh runner (a new process, as far as the batches are concerned)."""

    async def main() -> T:
        runner = BatchRunner(store, api_key=DEFAULT_KEY, base_url=api.base_url)
        try:
            return await body(runner)
        finally:
            await runner.aclose()

    return asyncio.run(main())


def poll_until_idle(api: FakeBatchesAPI, store: Store, limit: int = 20) -> list[Any]:
    async def body(runner: BatchRunner) -> list[Any]:
        reports = []
        for _ in range(limit):
            reports.append(await runner.poll())
            if reports[-1].state == "idle" and not BatchStore(store).batched_jobs():
                break
            await asyncio.sleep(0.06)
        return reports

    return with_runner(store, api, body)


def test_five_topics_complete_across_a_restart_at_batch_prices_with_no_part_twice(batch_api: FakeBatchesAPI, data_dir: Any) -> None:
    store = Store.open()
    job_ids = with_runner(store, batch_api, lambda runner: runner.submit(requests()))
    assert len(job_ids) == 5 and all(store.get_job(j).status == JobStatus.BATCHED for j in job_ids)
    assert len(batch_api.batches) == 1 and all(cid.endswith("-o0") for cid in batch_api.custom_ids())
    time.sleep(0.06)
    assert with_runner(store, batch_api, lambda runner: runner.poll()).state == "submitted"  # outlines in; lessons go out
    store.close()  # the app quits with a batch in flight

    store = Store.open()  # … and starts again: polling picks up from SQLite
    reports = poll_until_idle(batch_api, store)

    assert [r.round for r in reports if r.state == "submitted"] == ["quizzes, exam and flashcards"]
    assert len(batch_api.batches) == 3
    custom = Counter((cid.split("-")[0], cid.split("-")[1]) for cid in batch_api.custom_ids())
    assert set(custom.values()) == {1}  # no part requested twice
    assert len(custom) == 5 * (1 + 4 + 2 + 1 + 1)
    assert not batch_api.messages()  # nothing streamed: every part came from a batch
    for job_id in job_ids:
        record = store.get_job(job_id)
        assert record.status == JobStatus.COMPLETED, record.error_message
        assert store.get_course(job_id) is not None
        assert 0 < record.usage.cost_usd and record.usage.requests == 9
        rounds = [e.message for e in store.events(job_id) if isinstance(e, Progress) and e.message.startswith("Batched:")]
        assert rounds[1:] == [f"Batched: {name} round submitted (batch {bid})." for name, bid in zip(
            ["outlines", "lessons", "quizzes, exam and flashcards"], list(batch_api.batches), strict=True)]
    assert {j.id for j in store.list_jobs()} == set(job_ids)


def test_the_cost_is_the_batch_price(batch_api: FakeBatchesAPI) -> None:
    store = Store.open()
    (job_id,) = with_runner(store, batch_api, lambda runner: runner.submit(requests(1)))
    poll_until_idle(batch_api, store)

    usage = store.get_job(job_id).usage
    price = pricing.price_for("claude-sonnet-4-6")[0]
    standard_with_1h_writes = (
        usage.input_tokens * price.input + usage.output_tokens * price.output
        + usage.cache_creation_input_tokens * price.input * 2 + usage.cache_read_input_tokens * price.cache_read
    ) / 1_000_000
    assert usage.cost_usd == pytest.approx(standard_with_1h_writes / 2, rel=1e-3)
    assert usage.cache_read_input_tokens > 0  # the lessons share the cached prefix (1-hour TTL)
    lesson_params = [params for _, cid, params in batch_api.batched if "-l" in cid]
    assert all(params["system"][-1]["cache_control"] == {"type": "ephemeral", "ttl": "1h"} for params in lesson_params)


def test_errored_and_expired_requests_are_retried_then_written_normally(batch_api: FakeBatchesAPI) -> None:
    batch_api.batch_outcome("-l0", "errored", times=2)  # the first lesson fails in two batches in a row
    batch_api.batch_outcome("exam", "expired")
    store = Store.open()
    (job_id,) = with_runner(store, batch_api, lambda runner: runner.submit(requests(1)))

    poll_until_idle(batch_api, store)

    record = store.get_job(job_id)
    assert record.status == JobStatus.COMPLETED, record.error_message
    ids = Counter(batch_api.custom_ids())
    assert ids[f"{job_id}-l0"] == 2 and ids[f"{job_id}-e0"] == 2 and ids[f"{job_id}-l1"] == 1
    assert ids[f"{job_id}-q0"] == ids[f"{job_id}-q1"] == ids[f"{job_id}-f0"] == 1  # the later rounds still went in batches
    assert [r.kind for r in batch_api.messages()] == ["lesson"]  # after two tries: one normal (streamed) call
    log = [e.message for e in store.events(job_id) if isinstance(e, Progress)]
    assert "Batched: the lesson m1-l1 failed in 2 batches; writing it now with a normal call." in log


def test_tolerance_notes_reach_the_job_log(batch_api: FakeBatchesAPI) -> None:
    batch_api.sloppy = Sloppy(extra_modules=1, extra_questions=-1)
    store = Store.open()
    (job_id,) = with_runner(store, batch_api, lambda runner: runner.submit(requests(1)))
    poll_until_idle(batch_api, store)

    assert store.get_job(job_id).status == JobStatus.COMPLETED
    log = [e.message for e in store.events(job_id) if isinstance(e, Progress)]
    assert "Outline: the model planned 3 modules where 2 were asked; kept its plan." in log
    assert "Quiz for m3: the model wrote 2 usable questions where 3 were asked; kept them." in log


def test_polling_needs_a_key_and_one_poller_at_a_time(batch_api: FakeBatchesAPI) -> None:
    store = Store.open()
    with pytest.raises(CourseGenError) as caught:
        asyncio.run(BatchRunner(store, base_url=batch_api.base_url).poll())
    assert caught.value.kind == ErrorKind.BAD_INPUT and "ANTHROPIC_API_KEY" in caught.value.message

    lock = FileLock(store.locks_dir / "batches.lock", is_singleton=False)
    lock.acquire()
    try:
        assert with_runner(store, batch_api, lambda runner: runner.poll()).state == "busy"
    finally:
        lock.release(force=True)


def test_a_job_deleted_while_batched_is_skipped(batch_api: FakeBatchesAPI) -> None:
    store = Store.open()
    first, second = with_runner(store, batch_api, lambda runner: runner.submit(requests(2)))
    store.delete_job(first)

    poll_until_idle(batch_api, store)

    assert store.get_job(second).status == JobStatus.COMPLETED
    assert not any(cid.startswith(first) for _, cid, _ in batch_api.batched[2:])  # nothing more was asked for it
