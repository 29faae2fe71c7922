"""The network drops during lessons (the fake API stops listening: connection refused).

If it comes back within the retry budget, the job retries with growing delays and completes on
its own. If it does not, the job fails as resumable with "Network unavailable — Resume when you
are back online", and `coursegen resume` finishes it later without writing any saved lesson again
(the fake counts lesson requests per lesson).
"""

from __future__ import annotations

import subprocess
import threading

import pytest

from coursegen_desktop.core.generators.claude_errors import NETWORK_MESSAGE
from tests.fakes import FakeMessagesAPI
from tests.reliability.clikit import (
    EXIT_FAILED,
    EXIT_OK,
    assert_announced_lessons_saved,
    assert_one_sentence,
    cli_env,
    lesson_requests,
    run_cli,
    run_cli_until,
    saved_parts,
    show_json,
)

pytestmark = pytest.mark.timeout(90)
COURSE = ["Photosynthesis", "--modules", "2", "--lessons-per-module", "2", "--concurrency", "1"]
NETWORK_REASONS = {"Could not reach the API", "Connection lost"}


def test_the_job_reconnects_on_its_own_when_the_network_comes_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    with FakeMessagesAPI(delta_delay=0.002) as api:
        env = cli_env(data, api, COURSEGEN_RETRY_BASE_S="0.2")  # budget ≥ 0.1+0.2+0.4+0.8+1.6 s

        def drop_network(_proc: subprocess.Popen[str]) -> None:
            api.stop()
            threading.Timer(0.5, api.start).start()  # back on the same port half a second later

        run = run_cli_until("generate", *COURSE, "--json", env=env, when=lambda e: e["type"] == "TopicCompleted", then=drop_network)
        counts = lesson_requests(api)

    assert run.code == EXIT_OK and run.last["type"] == "JobCompleted", run
    assert run.stderr == ""
    retrying = run.of("Retrying")
    assert retrying and {event["reason"] for event in retrying} <= NETWORK_REASONS
    attempts = [event["attempt"] for event in retrying]
    assert all(now in (1, before + 1) for before, now in zip([0, *attempts], attempts))  # each request counts its own tries
    for event in retrying:  # exponential backoff with jitter: base × 2^(attempt-1) × [0.5, 1]
        nominal = 0.2 * 2 ** (event["attempt"] - 1)
        assert 0.5 * nominal - 0.01 <= event["delay_s"] <= nominal + 0.01
    assert len(saved_parts(data, run.job_id)) == 1 + 4 + 2 + 2  # outline, 4 lessons, 2 quizzes, exam, flashcards
    first_lesson = run.of("TopicCompleted")[0]["lesson_id"]
    assert counts[f"{first_lesson} Lesson 1.1"] == 1  # saved before the drop: never asked for again


def test_resume_after_the_retry_budget_is_spent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    with FakeMessagesAPI(delta_delay=0.002) as api:
        env = cli_env(data, api, COURSEGEN_RETRY_BASE_S="0.02")  # the budget is spent in well under a second
        run = run_cli_until("generate", *COURSE, "--json", env=env, when=lambda e: e["type"] == "TopicCompleted", then=lambda _: api.stop())

        assert run.code == EXIT_FAILED, run
        failed = run.last
        assert (failed["type"], failed["kind"], failed["message"], failed["resumable"]) == ("JobFailed", "network", NETWORK_MESSAGE, True)
        assert_one_sentence(run, "Network unavailable", "Resume when you are back online", f"coursegen resume {run.job_id}")
        assert {event["reason"] for event in run.of("Retrying")} <= NETWORK_REASONS
        kept = assert_announced_lessons_saved(run, data)
        saved_lessons = {key for kind, key in kept if kind == "lesson"}
        assert saved_lessons and ("outline", "outline") in kept
        job = show_json(cli_env(data), run.job_id)["job"]
        assert (job["status"], job["error_kind"], job["resumable"]) == ("failed", "network", True)

        still_offline = run_cli("resume", run.job_id, "--json", env=env)  # trying again too early changes nothing
        assert still_offline.code == EXIT_FAILED and still_offline.last["kind"] == "network", still_offline
        assert {k: v for k, v in saved_parts(data, run.job_id).items() if k in kept} == kept

        api.start()  # back online, same address
        resumed = run_cli("resume", run.job_id, "--json", env=env)
        counts = lesson_requests(api)

    assert resumed.code == EXIT_OK and resumed.last["type"] == "JobCompleted", resumed
    started = resumed.of("JobStarted")[0]
    assert started["resumed"] is True and started["parts_saved"] == len(kept)
    assert not {event["lesson_id"] for event in resumed.of("TopicStarted")} & saved_lessons
    after = saved_parts(data, run.job_id)
    assert all(after[key] == body for key, body in kept.items()) and len(after) == 9
    for title, count in counts.items():  # a lesson saved before the drop was asked for exactly once
        if title.split()[0] in saved_lessons:
            assert count == 1, (title, counts)
