"""The OpenAI-compatible generator (local models) over real HTTP against `FakeOpenAIAPI`."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest

from coursegen_desktop.core import pipeline
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.events import JobCancelled, JobCompleted, JobFailed, Progress, Retrying, TopicCompleted
from coursegen_desktop.core.generators.base import Generator
from coursegen_desktop.core.generators.factory import make_generator
from coursegen_desktop.core.generators.openai_compat import Mode, OpenAICompatGenerator, check_server, list_models
from coursegen_desktop.core.generators.strict_schema import strict_problems
from coursegen_desktop.core.models import DEFAULT_LOCAL_BASE_URL, CourseRequest, JobStatus, make_request
from coursegen_desktop.core.ratelimit import RateLimiter
from coursegen_desktop.core.store import Store
from tests.fakes import DEFAULT_LOCAL_MODELS, Fault, FakeOpenAIAPI, Sloppy

MODEL = DEFAULT_LOCAL_MODELS[0]
LOCAL_KEY = "sk-local-test-key-0123456789abcdef"


def local_request(api: FakeOpenAIAPI | None = None, **fields: Any) -> CourseRequest:
    base = {"topic": "Photosynthesis", "generator": "openai-compatible", "model": MODEL, "modules": 2, "lessons_per_module": 2}
    if api is not None:
        base["base_url"] = api.base_url
    return make_request(**{**base, **fields})


def generator(request: CourseRequest, **options: Any) -> OpenAICompatGenerator:
    options.setdefault("limiter", RateLimiter(rpm=0, max_requests=0))
    options.setdefault("retry_base_s", 0.05)
    return OpenAICompatGenerator(request, **options)


def run_job(request: CourseRequest, gen: OpenAICompatGenerator | None = None, cancel: CancelToken | None = None) -> tuple[Store, Any, list[Any]]:
    store = Store.open()
    events: list[Any] = []
    record = pipeline.run(request, gen or generator(request), store, events.append, cancel or CancelToken())
    return store, record, events


def job_log(events: list[Any]) -> list[str]:
    return [e.message for e in events if isinstance(e, Progress)]


@pytest.fixture
def local_api() -> Any:
    with FakeOpenAIAPI(delta_delay=0.002) as api:
        yield api


def test_a_course_completes_with_streamed_lessons_and_no_cost(local_api: FakeOpenAIAPI) -> None:
    local_api.delta_delay = 0.01  # ~0.4 s a lesson: long enough for the 10 Hz progress events to show it growing
    request = local_request(local_api)

    store, record, events = run_job(request)

    assert record.status == JobStatus.COMPLETED, [e for e in events if isinstance(e, JobFailed)]
    assert isinstance(events[-1], JobCompleted)
    course = store.get_course(record.id)
    assert course is not None and len(course.lessons) == 4 and len(course.quizzes) == 2 and course.generator == f"openai-compatible:{MODEL}"
    finished = {lesson.id: lesson.markdown for lesson in course.lessons}
    partial = [e for e in events if isinstance(e, Progress) and e.preview and len(e.preview) < len(finished[e.lesson_id]) - 100]
    assert partial and finished[partial[0].lesson_id].startswith(partial[0].preview.strip())  # shown while still being written
    assert len([e for e in events if isinstance(e, TopicCompleted)]) == 4
    calls = local_api.messages()
    assert all(c.stream and c.body["stream_options"] == {"include_usage": True} for c in calls)
    structured = [c for c in calls if c.kind != "lesson"]
    assert {c.kind for c in structured} == {"outline", "quiz", "exam", "flashcards"}
    for call in structured:
        response_format = call.body["response_format"]
        assert response_format["type"] == "json_schema" and response_format["json_schema"]["strict"] is True
        assert strict_problems(response_format["json_schema"]["schema"]) == []
    assert "authorization" not in calls[0].headers  # no key configured, none sent
    assert record.usage.cost_usd == 0 and record.usage.requests == len(calls) and record.usage.output_tokens > 0
    assert f"Writing with the local model '{MODEL}' at {local_api.base_url} (no cost)." in job_log(events)


def test_it_is_made_by_the_factory_from_the_request(local_api: FakeOpenAIAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    gen = make_generator(local_request(local_api))
    assert isinstance(gen, OpenAICompatGenerator) and isinstance(gen, Generator) and gen.base_url == local_api.base_url
    assert make_generator(local_request()).base_url == DEFAULT_LOCAL_BASE_URL
    monkeypatch.setenv("COURSEGEN_OPENAI_BASE_URL", "http://gpu-box:8080/v1/")
    assert make_generator(local_request()).base_url == "http://gpu-box:8080/v1"


def test_a_server_without_json_schema_gets_function_calls(local_api: FakeOpenAIAPI) -> None:
    local_api.accepts = {"tools"}
    request = local_request(local_api)
    gen = generator(request)

    _, record, events = run_job(request, gen)

    assert record.status == JobStatus.COMPLETED and gen.mode == Mode.TOOLS
    outline_calls = local_api.messages("outline")
    assert [c.status for c in outline_calls] == [400, 200] and "tools" in outline_calls[1].body
    assert all("tools" in c.body and "response_format" not in c.body for c in local_api.messages() if c.kind in ("quiz", "exam", "flashcards"))
    assert "The model server does not accept JSON-schema answers; asking for function calls instead." in job_log(events)


def test_a_server_without_either_gets_json_in_text(local_api: FakeOpenAIAPI) -> None:
    local_api.accepts = set()
    request = local_request(local_api)
    gen = generator(request)

    _, record, events = run_job(request, gen)

    assert record.status == JobStatus.COMPLETED, [e for e in events if isinstance(e, JobFailed)]
    assert gen.mode == Mode.TEXT and len([c for c in local_api.messages() if c.status == 400]) == 2
    text_call = local_api.messages("quiz")[0].body
    assert "tools" not in text_call and "response_format" not in text_call and "follows this JSON schema" in text_call["messages"][-1]["content"]


def test_a_model_that_ignores_counts_and_invents_ids_still_completes(local_api: FakeOpenAIAPI) -> None:
    local_api.sloppy = Sloppy(extra_modules=1, extra_lessons=-1, invented_objective_ids=True, extra_questions=-1)
    request = local_request(local_api, questions_per_quiz=5)

    store, record, events = run_job(request)

    assert record.status == JobStatus.COMPLETED, [e for e in events if isinstance(e, JobFailed)]
    course = store.get_course(record.id)
    assert course is not None and [len(m.lessons) for m in course.outline.modules] == [1, 1, 1]
    log = job_log(events)
    assert "Outline: the model planned 3 modules where 2 were asked; kept its plan." in log
    assert any("dropped objective ids that no objective has (obj-99)" in line for line in log)
    assert "Quiz for m1: the model wrote 4 usable questions where 5 were asked; kept them." in log


def test_nonsense_twice_fails_with_the_reason(local_api: FakeOpenAIAPI) -> None:
    local_api.fail(Fault.invalid(), kind="outline", times=2)

    _, record, events = run_job(local_request(local_api))

    failed = events[-1]
    assert isinstance(failed, JobFailed) and failed.kind == "invalid_output"
    assert failed.message.startswith(f"The model '{MODEL}' wrote the outline in a form that could not be used, twice (outline: the answer has no outline object")
    repair = local_api.messages("outline")[1].body["messages"]
    assert repair[-2]["role"] == "assistant" and "The answer has these problems" in repair[-1]["content"]


@pytest.mark.parametrize(("fault", "reason"), [(Fault.unavailable(), "The model server had an error"), (Fault.cut(after=3), "Connection lost"), (Fault.rate_limited(0.05), "Rate limited by the model server")])
def test_transient_failures_are_retried(local_api: FakeOpenAIAPI, fault: Fault, reason: str) -> None:
    local_api.fail(fault, kind="lesson")

    _, record, events = run_job(local_request(local_api, modules=1, lessons_per_module=1))

    assert record.status == JobStatus.COMPLETED
    assert [e.reason for e in events if isinstance(e, Retrying)] == [reason]


def test_a_stopped_server_is_named_with_what_to_do(local_api: FakeOpenAIAPI) -> None:
    request = local_request(local_api)
    local_api.stop()

    _, record, events = run_job(request, generator(request, max_attempts=2, retry_base_s=0.01))

    failed = events[-1]
    assert isinstance(failed, JobFailed) and failed.kind == "network" and failed.resumable
    assert failed.message == f"Could not reach the model server at {local_api.base_url}; start it (for Ollama: `ollama serve`), then Resume."


def test_a_missing_model_says_how_to_get_it(local_api: FakeOpenAIAPI) -> None:
    _, _, events = run_job(local_request(local_api, model="mistral:7b"))

    failed = events[-1]
    assert isinstance(failed, JobFailed) and failed.kind == "bad_request" and "ollama pull mistral:7b" in failed.message
    assert len(local_api.messages()) == 1


def test_the_key_is_sent_when_set_and_never_stored(monkeypatch: pytest.MonkeyPatch, data_dir: Any) -> None:
    with FakeOpenAIAPI(api_key=LOCAL_KEY) as api:
        _, _, events = run_job(local_request(api, modules=1, lessons_per_module=1))
        assert isinstance(events[-1], JobFailed) and events[-1].kind == "auth" and "OPENAI_API_KEY" in events[-1].message

        monkeypatch.setenv("OPENAI_API_KEY", LOCAL_KEY)
        store, record, events = run_job(local_request(api, modules=1, lessons_per_module=1))
        store.close()

        assert record.status == JobStatus.COMPLETED and api.messages()[-1].headers["authorization"] == f"Bearer {LOCAL_KEY}"
        assert LOCAL_KEY not in repr(generator(local_request(api)))
    assert LOCAL_KEY not in json.dumps([e.to_json() for e in events])
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert LOCAL_KEY.encode() not in path.read_bytes(), f"the key leaked into {path.name}"


def test_cancel_closes_every_stream_promptly() -> None:
    with FakeOpenAIAPI(delta_delay=0.03, lesson_words=200) as api:
        request = local_request(api, modules=1, lessons_per_module=3, concurrency=3)
        cancel = CancelToken()
        result: dict[str, Any] = {}
        worker = threading.Thread(target=lambda: result.update(zip(("store", "record", "events"), run_job(request, cancel=cancel), strict=True)))
        worker.start()
        deadline = time.monotonic() + 10
        while len([r for r in api.messages("lesson") if r.ended is None]) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        open_streams = [r for r in api.messages("lesson") if r.ended is None]
        cancel.cancel()
        worker.join(timeout=10)
        deadline = time.monotonic() + 2
        while any(r.ended is None for r in open_streams) and time.monotonic() < deadline:
            time.sleep(0.01)  # the server notices the closed sockets on its own threads

        assert len(open_streams) == 3 and isinstance(result["events"][-1], JobCancelled)
        for stream in open_streams:
            assert stream.closed_by_client and stream.ended is not None  # how fast: benchmarks/bench_openai_compat.py


def test_models_and_server_check_for_settings(local_api: FakeOpenAIAPI) -> None:
    url = local_api.base_url
    assert asyncio.run(list_models(url)) == list(DEFAULT_LOCAL_MODELS)
    assert asyncio.run(check_server(url, None, MODEL)) == "The server works and lists 2 models."
    assert asyncio.run(check_server(url, None, "phi4")) == "The server works, but it has no model 'phi4'; choose one of its 2 models."
    assert "ends in /v1" in asyncio.run(check_server(url.removesuffix("/v1")))
    assert asyncio.run(check_server("localhost")).startswith("'localhost' is not a server address")
    local_api.stop()
    assert asyncio.run(list_models(url)) == []
    assert asyncio.run(check_server(url)) == "Could not reach the server: the connection was refused."


def test_a_bad_base_url_is_one_sentence() -> None:
    with pytest.raises(CourseGenError) as caught:
        OpenAICompatGenerator(local_request(), base_url="ollama")
    assert caught.value.kind == ErrorKind.BAD_INPUT and "http://localhost:11434/v1" in caught.value.message
