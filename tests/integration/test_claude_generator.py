"""The Claude generator with the real anthropic SDK against the local Messages API fake.

No internet and no real key: `tests.fakes.FakeMessagesAPI` speaks the wire protocol on 127.0.0.1.
The first half drives the generator's methods directly; the second half runs whole jobs through
`pipeline.run` with a real store, as the CLI and the GUI do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from coursegen_desktop.core import pipeline, pricing, secrets
from coursegen_desktop.core.applog import setup_logging
from coursegen_desktop.core.cancel import CancelToken
from coursegen_desktop.core.errors import CourseGenError, ErrorKind
from coursegen_desktop.core.events import JobCancelled, JobCompleted, JobFailed, Retrying, TopicCompleted
from coursegen_desktop.core.generators.anthropic import (
    FALLBACK_MODELS,
    LARGE_MATERIAL_NOTE,
    SELECTED_CHARS,
    ClaudeGenerator,
    check_key,
    list_models,
)
from coursegen_desktop.core.generators.base import TEXT_RESTART
from coursegen_desktop.core.generators.claude_errors import AUTH_MESSAGE, NETWORK_MESSAGE, NO_KEY_MESSAGE
from coursegen_desktop.core.generators.base import GenerationContext, Generator
from coursegen_desktop.core.material import Chunk, Material
from coursegen_desktop.core.models import DEFAULT_MODEL, CourseRequest, JobStatus, Lesson, LessonPlan, ModulePlan, Objective, Outline, make_request
from coursegen_desktop.core.ratelimit import RateLimiter
from coursegen_desktop.core.store import Store
from tests.fakes import DEFAULT_KEY, DEFAULT_MODELS, Fault, FakeMessagesAPI

T = TypeVar("T")
# Some tests name models on the SDK's deprecation list; the generator reports that as a job note.
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")
SMALL = {"topic": "Photosynthesis", "generator": "claude", "modules": 2, "lessons_per_module": 2}


def generator(request: CourseRequest, api: FakeMessagesAPI | None = None, **options: Any) -> ClaudeGenerator:
    """No process-wide limiter (tests run in parallel with nothing) and fast retries."""
    options.setdefault("limiter", RateLimiter(rpm=0, max_requests=0))
    options.setdefault("retry_base_s", 0.05)
    if api is not None:
        options.setdefault("api_key", DEFAULT_KEY)
        options.setdefault("base_url", api.base_url)
    return ClaudeGenerator(request, **options)


def context(request: CourseRequest, material: Material | None = None) -> tuple[GenerationContext, list[tuple[int, float, str]], list[str]]:
    retries: list[tuple[int, float, str]] = []
    notes: list[str] = []
    ctx = GenerationContext(
        job_id="test-job",
        request=request,
        material=material or Material(),
        cancel=CancelToken(),
        on_retry=lambda attempt, delay, reason: retries.append((attempt, delay, reason)),
        on_note=notes.append,
    )
    return ctx, retries, notes


def drive(gen: ClaudeGenerator, body: Callable[[], Awaitable[T]]) -> T:
    """Run `body` in one event loop (the SDK client belongs to it) and close the client after."""

    async def main() -> T:
        try:
            return await body()
        finally:
            await gen.aclose()

    return asyncio.run(main())


async def first_lesson(gen: ClaudeGenerator, ctx: GenerationContext, deltas: list[str]) -> tuple[Outline, Lesson]:
    outline = await gen.outline(ctx)
    ctx.outline = outline
    module, plan = outline.lesson_plans()[0]
    return outline, await gen.lesson(ctx, module, plan, deltas.append)


# ---------------------------------------------------------------------------------------------
# The generator on its own


def test_it_is_a_generator() -> None:
    gen = generator(make_request(**SMALL), api_key=DEFAULT_KEY)
    assert isinstance(gen, Generator)
    assert (gen.name, gen.model, gen.warm_cache_first) == ("claude", DEFAULT_MODEL, True)
    assert DEFAULT_KEY not in repr(gen) and DEFAULT_KEY not in str(vars(gen))


def test_every_part_comes_back_valid_with_cacheable_prompts(fake_api: FakeMessagesAPI, notes_material: Material) -> None:
    request = make_request(**SMALL)
    gen = generator(request, fake_api)
    ctx, retries, _ = context(request, notes_material)
    deltas: list[str] = []

    async def body() -> tuple[Any, ...]:
        outline, lesson = await first_lesson(gen, ctx, deltas)
        module, plan = outline.lesson_plans()[1]
        second = await gen.lesson(ctx, module, plan, lambda _: None)
        quiz = await gen.quiz(ctx, outline.modules[0], [lesson, second])
        exam = await gen.exam(ctx, [lesson, second])
        deck = await gen.flashcards(ctx, [lesson, second])
        return outline, lesson, quiz, exam, deck

    outline, lesson, quiz, exam, deck = drive(gen, body)

    assert [len(m.lessons) for m in outline.modules] == [2, 2]
    assert lesson.markdown == "".join(deltas).strip()  # the preview saw exactly the lesson…
    assert "<quotes>" not in lesson.markdown  # …without the evidence block written before it
    assert lesson.sources == ["notes.md"] and lesson.key_points
    assert quiz.module_id == outline.modules[0].id and len(quiz.questions) == request.questions_per_quiz
    assert [q.id for q in quiz.questions][:2] == [f"{quiz.module_id}-q1", f"{quiz.module_id}-q2"]
    assert len(exam.questions) == request.exam_questions and deck.cards
    assert not retries

    calls = fake_api.messages()
    assert [c.kind for c in calls] == ["outline", "lesson", "lesson", "quiz", "exam", "flashcards"]
    assert all(c.stream for c in calls)
    assert calls[0].headers["authorization"] == f"Bearer {DEFAULT_KEY}" and calls[0].headers["anthropic-version"]
    structured = [c for c in calls if c.kind != "lesson"]
    assert all(c.body["tool_choice"] == {"type": "tool", "name": f"write_{c.kind}"} for c in structured)
    assert len({json.dumps(c.body["tools"]) for c in structured}) == 1  # identical tools → shared cache prefix
    lessons = fake_api.messages("lesson")
    assert all("tools" not in c.body and c.body["system"][-1]["cache_control"] == {"type": "ephemeral"} for c in lessons)
    assert lessons[0].body["system"] == lessons[1].body["system"]  # byte-stable prefix
    assert lessons[1].usage["cache_read_input_tokens"] > 0
    usage = gen.usage()
    assert usage.requests == len(calls) and usage.cost_usd > 0 and usage.cache_read_input_tokens > 0


def test_invalid_output_is_sent_back_once_and_repaired(fake_api: FakeMessagesAPI) -> None:
    request = make_request(**SMALL)
    gen = generator(request, fake_api)
    ctx, _, _ = context(request)
    fake_api.fail(Fault.invalid(), kind="outline")

    outline = drive(gen, lambda: gen.outline(ctx))

    assert len(outline.modules) == 2
    first, repair = fake_api.messages("outline")
    assert repair.body["messages"][1]["content"][0]["type"] == "tool_use"
    result = repair.body["messages"][2]["content"][0]
    assert result["type"] == "tool_result" and result["is_error"] is True and "outline" in result["content"]


def test_invalid_output_twice_is_a_clear_failure(fake_api: FakeMessagesAPI) -> None:
    request = make_request(**SMALL)
    gen = generator(request, fake_api)
    ctx, _, _ = context(request)
    fake_api.fail(Fault.invalid(), kind="outline", times=2)

    with pytest.raises(CourseGenError) as caught:
        drive(gen, lambda: gen.outline(ctx))

    assert caught.value.kind == ErrorKind.INVALID_OUTPUT and caught.value.resumable
    assert len(fake_api.messages("outline")) == 2


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault.rate_limited(retry_after=0.05), "Rate limited by the API"),
        (Fault.overloaded(), "Claude is overloaded"),
        (Fault.server_error(500), "The API had a temporary error"),
        (Fault.server_error(502), "The API had a temporary error"),
        (Fault.unavailable(), "The API is temporarily unavailable"),
        (Fault.sse_error(after=5), "Claude is overloaded"),
        (Fault.sse_error(after=5, error_type="api_error"), "The API had a temporary error"),
        (Fault.cut(after=5), "Connection lost"),
    ],
    ids=["429", "529", "500", "502", "503", "sse-overloaded", "sse-api-error", "cut"],
)
def test_transient_failures_are_retried(fake_api: FakeMessagesAPI, fault: Fault, reason: str) -> None:
    request = make_request(**SMALL)
    gen = generator(request, fake_api)
    ctx, retries, _ = context(request)
    fake_api.fail(fault, kind="lesson")
    deltas: list[str] = []

    _, lesson = drive(gen, lambda: first_lesson(gen, ctx, deltas))

    assert [(attempt, why) for attempt, _, why in retries] == [(1, reason)]
    assert len(fake_api.messages("lesson")) == 2
    preview = "".join(deltas)
    if fault.cut_after or fault.sse_error_after:
        assert preview.count(TEXT_RESTART) == 1  # the preview is told the lesson starts again
        preview = preview.split(TEXT_RESTART)[1]
    assert preview.strip() == lesson.markdown


def test_retry_after_is_honoured(fake_api: FakeMessagesAPI) -> None:
    request = make_request(**SMALL)
    gen = generator(request, fake_api)
    ctx, retries, _ = context(request)
    fake_api.fail(Fault.rate_limited(retry_after=1), kind="outline")

    drive(gen, lambda: gen.outline(ctx))

    first, second = fake_api.messages("outline")
    assert retries[0][1] >= 1.0 and second.started - first.started >= 1.0


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (Fault.unauthorized(), ErrorKind.AUTH),
        (Fault.forbidden(), ErrorKind.AUTH),
        (Fault.billing(), ErrorKind.BILLING),
        (Fault.bad_request("max_tokens: 99999 is too large"), ErrorKind.BAD_REQUEST),
    ],
    ids=["401", "403", "billing", "400"],
)
def test_permanent_errors_fail_at_once(fake_api: FakeMessagesAPI, fault: Fault, kind: ErrorKind) -> None:
    request = make_request(**SMALL)
    gen = generator(request, fake_api)
    ctx, retries, _ = context(request)
    fake_api.fail(fault, kind="outline")

    with pytest.raises(CourseGenError) as caught:
        drive(gen, lambda: gen.outline(ctx))

    assert caught.value.kind == kind and not retries and len(fake_api.messages()) == 1
    assert caught.value.message.endswith(".") and "Traceback" not in caught.value.message


def test_a_wrong_key_is_rejected_without_retry_or_echo(fake_api: FakeMessagesAPI) -> None:
    request = make_request(**SMALL)
    wrong = "sk-ant-wrong-key-0123456789abcdef"
    gen = generator(request, fake_api, api_key=wrong)
    ctx, retries, _ = context(request)

    with pytest.raises(CourseGenError) as caught:
        drive(gen, lambda: gen.outline(ctx))

    error = caught.value
    assert (error.kind, error.message) == (ErrorKind.AUTH, AUTH_MESSAGE) and not retries
    assert wrong not in repr(error) and error.__cause__ is None and error.__suppress_context__


def test_a_missing_key_fails_before_any_request(fake_api: FakeMessagesAPI) -> None:
    request = make_request(**SMALL)
    gen = generator(request, base_url=fake_api.base_url)  # no key anywhere (tests isolate env and keyring)
    ctx, _, _ = context(request)

    with pytest.raises(CourseGenError) as caught:
        drive(gen, lambda: gen.outline(ctx))

    assert (caught.value.kind, caught.value.message) == (ErrorKind.AUTH, NO_KEY_MESSAGE)
    assert fake_api.messages() == []


def test_an_unknown_model_is_named_and_priced_as_sonnet(fake_api: FakeMessagesAPI) -> None:
    request = make_request(**{**SMALL, "model": "claude-nonexistent-9"})
    gen = generator(request, fake_api)
    ctx, retries, notes = context(request)

    with pytest.raises(CourseGenError) as caught:
        drive(gen, lambda: gen.outline(ctx))

    assert caught.value.kind == ErrorKind.BAD_REQUEST and not retries
    assert caught.value.message == "The model 'claude-nonexistent-9' is not available; choose another model."
    assert any("Sonnet prices" in note for note in notes)


@pytest.mark.parametrize(
    ("fault", "kind"), [(Fault.rate_limited(), ErrorKind.RATE_LIMIT), (Fault.overloaded(), ErrorKind.OVERLOADED), (Fault.unavailable(), ErrorKind.SERVER)]
)
def test_an_exhausted_retry_budget_is_resumable(fake_api: FakeMessagesAPI, fault: Fault, kind: ErrorKind) -> None:
    request = make_request(**SMALL)
    gen = generator(request, fake_api, max_attempts=3, retry_base_s=0.01)
    ctx, retries, _ = context(request)
    fake_api.fail(fault, times=3)

    with pytest.raises(CourseGenError) as caught:
        drive(gen, lambda: gen.outline(ctx))

    assert caught.value.kind == kind and caught.value.resumable
    assert [attempt for attempt, _, _ in retries] == [1, 2] and len(fake_api.messages()) == 3


def test_no_network_ends_as_resumable_network_error(fake_api: FakeMessagesAPI) -> None:
    request = make_request(**SMALL)
    gen = generator(request, fake_api, max_attempts=3, retry_base_s=0.01)
    ctx, retries, _ = context(request)
    fake_api.stop()

    with pytest.raises(CourseGenError) as caught:
        drive(gen, lambda: gen.outline(ctx))

    assert (caught.value.kind, caught.value.message, caught.value.resumable) == (ErrorKind.NETWORK, NETWORK_MESSAGE, True)
    assert [reason for _, _, reason in retries] == ["Could not reach the API"] * 2


def test_work_continues_when_the_network_comes_back(fake_api: FakeMessagesAPI) -> None:
    request = make_request(**SMALL)
    gen = generator(request, fake_api, retry_base_s=0.2)
    ctx, retries, _ = context(request)
    fake_api.stop()
    threading.Timer(0.3, fake_api.start).start()

    outline = drive(gen, lambda: gen.outline(ctx))

    assert outline.modules and retries and len(fake_api.messages()) == 1


def test_large_material_sends_the_most_relevant_passages(fake_api: FakeMessagesAPI) -> None:
    chunks = tuple(Chunk("book.txt", f"Chapter {i}", f"Chapter {i} text about leaves and light. " * 130) for i in range(40))
    material = Material(chunks)
    request = make_request(**SMALL)
    gen = generator(request, fake_api)
    ctx, _, notes = context(request, material)

    drive(gen, lambda: first_lesson(gen, ctx, []))

    assert notes.count(LARGE_MATERIAL_NOTE) == 1
    lesson = fake_api.messages("lesson")[0].body
    assert all("<document_content>" not in block["text"] for block in lesson["system"])
    documents = lesson["messages"][0]["content"][0]["text"]
    assert documents.startswith("<documents>") and len(documents) < SELECTED_CHARS + 2_000


def test_cancel_closes_the_stream_at_once() -> None:
    request = make_request(**SMALL)
    outline = Outline(
        title="Photosynthesis",
        objectives=[Objective(id="obj-1", text="Explain how light drives photosynthesis")],
        modules=[ModulePlan(id="m1", title="Light", lessons=[LessonPlan(id="m1-l1", title="Light and leaves", objective_ids=["obj-1"])])],
    )
    with FakeMessagesAPI(delta_delay=0.05) as api:
        gen = generator(request, api)
        ctx, _, _ = context(request)
        ctx.outline = outline

        async def body() -> None:
            task = asyncio.create_task(gen.lesson(ctx, outline.modules[0], outline.modules[0].lessons[0], lambda _: None))
            while not api.messages("lesson") or not api.messages("lesson")[0].deltas_sent:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        drive(gen, body)
        deadline = time.monotonic() + 10  # the fake server's thread notices the close (at once when idle)
        while api.open_streams() and time.monotonic() < deadline:
            time.sleep(0.01)
        stream = api.messages("lesson")[0]
        assert stream.closed_by_client and stream.ended is not None  # closed by us mid-lesson; how soon: benchmarks/bench_cancel.py


def test_models_and_key_check_for_settings(fake_api: FakeMessagesAPI) -> None:
    url = fake_api.base_url
    assert asyncio.run(list_models(DEFAULT_KEY, url)) == list(DEFAULT_MODELS)
    assert asyncio.run(check_key(DEFAULT_KEY, url)) == "The key works."
    assert asyncio.run(check_key("sk-ant-wrong-0123456789", url)) == "The key was rejected."
    fake_api.stop()
    assert asyncio.run(list_models(DEFAULT_KEY, url)) == list(FALLBACK_MODELS)
    message = asyncio.run(check_key(DEFAULT_KEY, url))
    assert message == "Could not reach the API: the connection was refused."


def test_the_fake_also_answers_plain_json_and_x_api_key(fake_api: FakeMessagesAPI) -> None:
    """Other clients (curl, older SDKs) send x-api-key and may not stream; the fake serves them too."""
    import urllib.request

    body = {"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": [{"role": "user", "content": "Hello"}]}
    request = urllib.request.Request(
        f"{fake_api.base_url}/v1/messages", json.dumps(body).encode(), {"x-api-key": DEFAULT_KEY, "content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        message = json.load(response)
    assert message["type"] == "message" and message["content"][0]["text"] and message["usage"]["output_tokens"] > 0


# ---------------------------------------------------------------------------------------------
# Whole jobs through the pipeline


def run_job(request: CourseRequest, gen: ClaudeGenerator, cancel: CancelToken | None = None) -> tuple[Store, Any, list[Any]]:
    store = Store.open()
    events: list[Any] = []
    record = pipeline.run(request, gen, store, events.append, cancel or CancelToken())
    return store, record, events


def test_a_full_course_uses_concurrency_and_the_cache(claude_env: FakeMessagesAPI, notes_file: Path) -> None:
    request = make_request(topic="Photosynthesis", generator="claude", material=(notes_file,), modules=4, lessons_per_module=3, concurrency=4)
    gen = ClaudeGenerator(request, limiter=RateLimiter(rpm=0, max_requests=0))  # key and base URL from the environment

    store, record, events = run_job(request, gen)

    assert record.status == JobStatus.COMPLETED, [e for e in events if isinstance(e, JobFailed)]
    assert isinstance(events[-1], JobCompleted)
    course = store.get_course(record.id)
    assert course is not None and len(course.lessons) == 12 and len(course.quizzes) == 4
    assert claude_env.max_concurrent("lesson") >= 3
    lessons = sorted(claude_env.messages("lesson"), key=lambda r: r.started)
    assert lessons[0].usage["cache_creation_input_tokens"] > 0
    assert all(r.usage["cache_read_input_tokens"] > 0 for r in lessons[1:])
    assert record.usage.requests == len(claude_env.messages()) and record.usage.cost_usd > 0


def test_a_rate_limited_lesson_waits_once_and_every_lesson_is_saved_once(claude_env: FakeMessagesAPI) -> None:
    request = make_request(**SMALL, concurrency=4)
    claude_env.fail(Fault.rate_limited(retry_after=1), kind="lesson")

    store, record, events = run_job(request, generator(request))

    retrying = [e for e in events if isinstance(e, Retrying)]
    assert record.status == JobStatus.COMPLETED
    assert [(e.attempt, e.reason) for e in retrying] == [(1, "Rate limited by the API")] and retrying[0].delay_s >= 1
    lesson_keys = [key for kind, key, _ in store.part_rows(record.id) if kind == "lesson"]
    assert sorted(lesson_keys) == sorted(set(lesson_keys)) and len(lesson_keys) == 4
    assert len([e for e in events if isinstance(e, TopicCompleted)]) == 4


def test_a_cut_stream_is_retried_within_the_job(claude_env: FakeMessagesAPI) -> None:
    request = make_request(**SMALL)
    claude_env.fail(Fault.cut(after=4), kind="lesson")

    _, record, events = run_job(request, generator(request))

    assert record.status == JobStatus.COMPLETED
    assert [e.reason for e in events if isinstance(e, Retrying)] == ["Connection lost"]


def test_a_wrong_key_fails_the_job_at_once(claude_env: FakeMessagesAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "sk-ant-wrong-key-abcdef0123456789"
    monkeypatch.setenv("ANTHROPIC_API_KEY", wrong)
    request = make_request(**SMALL)

    _, record, events = run_job(request, generator(request))

    failed = events[-1]
    assert isinstance(failed, JobFailed) and failed.kind == "auth" and failed.message == AUTH_MESSAGE
    assert not [e for e in events if isinstance(e, Retrying)] and len(claude_env.messages()) == 1
    assert record.status == JobStatus.FAILED and wrong not in json.dumps([e.to_json() for e in events])


def test_cancel_during_lessons_closes_every_stream_promptly(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeMessagesAPI(delta_delay=0.03, lesson_words=120) as api:
        monkeypatch.setenv("ANTHROPIC_API_KEY", DEFAULT_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        request = make_request(**{**SMALL, "lessons_per_module": 3}, concurrency=4)
        cancel = CancelToken()
        result: dict[str, Any] = {}
        worker = threading.Thread(target=lambda: result.update(zip(("store", "record", "events"), run_job(request, generator(request), cancel), strict=True)))
        worker.start()
        deadline = time.monotonic() + 10
        while len(api.open_streams()) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        open_streams = api.open_streams()
        cancel.cancel()
        worker.join(timeout=10)

        assert len(open_streams) >= 3
        events = result["events"]
        assert isinstance(events[-1], JobCancelled) and result["record"].status == JobStatus.CANCELLED
        for stream in open_streams:
            assert stream.closed_by_client and stream.ended is not None  # closed by us mid-lesson; how soon: benchmarks/bench_cancel.py


def test_the_key_is_never_stored_logged_or_emitted(claude_env: FakeMessagesAPI, notes_file: Path, data_dir: Path) -> None:
    last_resort = logging.lastResort
    log_file = setup_logging(logging.DEBUG)
    for name in ("anthropic", "httpx2", "httpcore2"):
        logging.getLogger(name).setLevel(logging.DEBUG)  # even the libraries' debug output must not carry it
    try:
        request = make_request(topic="Photosynthesis", generator="claude", material=(notes_file,), modules=1, lessons_per_module=2)
        claude_env.fail(Fault.rate_limited(retry_after=0.1), kind="lesson")
        store, record, events = run_job(request, generator(request))
        store.close()
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_coursegen", False)]:
            root.removeHandler(handler)
            handler.close()
        logging.lastResort = last_resort

    assert record.status == JobStatus.COMPLETED
    assert log_file is not None and log_file.read_text()
    haystacks = {path.name: path.read_bytes() for path in data_dir.rglob("*") if path.is_file()}
    haystacks["events"] = "".join(e.to_json() for e in events).encode()
    assert any(name.endswith((".sqlite3", ".log")) for name in haystacks)
    for name, content in haystacks.items():
        assert DEFAULT_KEY.encode() not in content, f"the API key leaked into {name}"


# ---------------------------------------------------------------------------------------------
# The generator's collaborators: key storage, prices, the process-wide limiter


def test_the_key_is_stored_in_a_private_file_when_there_is_no_keychain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSEGEN_CONFIG_DIR", str(tmp_path / "config"))
    assert secrets.get_api_key() is None and secrets.key_location() is None and not secrets.keychain_available()

    assert secrets.set_api_key(f"  {DEFAULT_KEY}\n") == secrets.CONFIG_FILE
    path = tmp_path / "config" / secrets.CREDENTIALS_FILE
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert (secrets.get_api_key(), secrets.key_location()) == (DEFAULT_KEY, secrets.CONFIG_FILE)

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-the-environment")
    assert (secrets.get_api_key(), secrets.key_location()) == ("sk-ant-from-the-environment", secrets.ENVIRONMENT)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    secrets.delete_api_key()
    assert secrets.get_api_key() is None and not path.exists()


def test_a_real_keychain_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 5  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.items: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.items.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.items[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.items.pop((service, username), None)

    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        monkeypatch.delenv("COURSEGEN_NO_KEYRING")
        monkeypatch.setenv("COURSEGEN_CONFIG_DIR", str(tmp_path))
        assert secrets.keychain_available() and secrets.set_api_key(DEFAULT_KEY) == secrets.KEYCHAIN
        assert memory.items == {(secrets.SERVICE, secrets.USERNAME): DEFAULT_KEY} and not list(tmp_path.iterdir())
        assert (secrets.get_api_key(), secrets.key_location()) == (DEFAULT_KEY, secrets.KEYCHAIN)
        secrets.delete_api_key()
        assert secrets.get_api_key() is None
    finally:
        keyring.set_keyring(previous)


def test_saving_a_key_is_refused_when_storage_is_disabled() -> None:
    with pytest.raises(CourseGenError) as caught:
        secrets.set_api_key(DEFAULT_KEY)
    assert caught.value.kind == ErrorKind.STORAGE and DEFAULT_KEY not in caught.value.message
    with pytest.raises(CourseGenError):
        secrets.set_api_key("not a key")


def test_secrets_never_show_themselves() -> None:
    secret = secrets.Secret(DEFAULT_KEY)
    assert DEFAULT_KEY not in f"{secret} {secret!r} {[secret]}" and secret.reveal() == DEFAULT_KEY
    assert DEFAULT_KEY not in secrets.redact(f"key={DEFAULT_KEY} other=sk-ant-api03-abcdefgh")


def test_prices_cover_dated_ids_and_fall_back_to_sonnet() -> None:
    million = {"input_tokens": 1_000_000, "output_tokens": 1_000_000, "cache_creation_input_tokens": 1_000_000, "cache_read_input_tokens": 1_000_000}
    assert pricing.cost_usd("claude-sonnet-4-5-20250929", million) == pytest.approx(3 + 15 + 3.75 + 0.3)
    assert pricing.price_for("claude-opus-4-20250514") == (pricing.PRICES["claude-opus-4"], True)
    assert pricing.price_for("claude-opus-4-6")[0].input == 5.0
    assert pricing.price_for("some-gateway-model") == (pricing.PRICES[pricing.FALLBACK_MODEL], False)


def test_the_limiter_caps_requests_across_threads_and_stays_cancellable() -> None:
    limiter = RateLimiter(rpm=0, max_requests=2)
    peak = 0

    async def job() -> None:
        nonlocal peak
        for _ in range(5):
            async with limiter.slot():
                peak = max(peak, limiter.in_use)
                await asyncio.sleep(0.005)

    threads = [threading.Thread(target=asyncio.run, args=(job(),)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 2 and limiter.in_use == 0

    async def waits_then_cancels() -> float:
        limiter.hold_off(30)
        task = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0.05)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    asyncio.run(asyncio.wait_for(waits_then_cancels(), 10))  # not the 30 s hold-off
    assert limiter.in_use == 0


def test_the_limiter_spaces_requests_per_minute() -> None:
    limiter = RateLimiter(rpm=1200, max_requests=0)  # 20 a second after a burst of 200

    async def take(n: int) -> float:
        started = time.monotonic()
        for _ in range(n):
            await limiter.acquire()
            limiter.release()
        return time.monotonic() - started

    assert asyncio.run(take(205)) >= 0.15  # the burst is free, the five after it wait ~0.25 s
