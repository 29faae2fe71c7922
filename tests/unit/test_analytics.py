"""Analytics over a history whose every outcome is known: each figure is asserted exactly."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from coursegen_desktop.core import analytics
from coursegen_desktop.core.analytics import Period, compute, histogram, percentile, retry_cause, summarise
from coursegen_desktop.core.errors import ErrorKind, StorageError
from coursegen_desktop.core.generators.claude_errors import classify
from coursegen_desktop.core.models import Usage
from coursegen_desktop.core.store import Store
from tests.helpers.history import REASONS, FakeJob, write_history

DAY0 = datetime(2026, 11, 10, 12, tzinfo=timezone.utc).timestamp()
DAY1 = datetime(2026, 11, 20, 12, tzinfo=timezone.utc).timestamp()
DAY2 = datetime(2026, 11, 21, 12, tzinfo=timezone.utc).timestamp()
SONNET, OPUS = "claude-sonnet-4-6", "claude-opus-4-6"


def known_history() -> list[FakeJob]:
    return [
        # A: completed, two retries (429, 5xx), ETA off by 10 % / 20 % / 0 %.
        FakeJob(DAY1, 100, etas={25: 82.5, 50: 40, 75: 25}, retries=["429", "5xx"], first_text_after=12,
                steps={"prepare": 1, "outline": 10, "lessons": 60, "quizzes": 20, "exam": 5, "review": 2, "save": 2},
                usage=Usage(input_tokens=1000, output_tokens=2000, cache_read_input_tokens=3000, cache_creation_input_tokens=500, cost_usd=0.05, requests=10)),
        # B: completed after a cut stream (reconnected), 529 and a timeout on the way.
        FakeJob(DAY1 + 3600, 200, etas={25: 150, 50: 130, 75: None}, retries=["529", "cut_stream", "timeout"], first_text_after=30,
                steps={"prepare": 3, "outline": 20, "lessons": 120},
                usage=Usage(input_tokens=2000, output_tokens=1000, cache_read_input_tokens=1000, cache_creation_input_tokens=500, cost_usd=0.10, requests=20)),
        # C: failed for the network, resumed, completed (two runs: no ETA figure).
        FakeJob(DAY2, 300, model=OPUS, failed_for_network_first=True, etas={25: 1, 50: 1, 75: 1}, first_text_after=40,
                steps={"lessons": 200}, usage=Usage(input_tokens=100, output_tokens=200, cost_usd=0.30, requests=10)),
        FakeJob(DAY2 + 100, 50, status="failed", error_kind="rate_limit", reached=50, retries=["429", "429"],
                usage=Usage(input_tokens=50, output_tokens=10, cost_usd=0.02, requests=5)),
        FakeJob(DAY2 + 200, 20, status="failed", error_kind="network", reached=25, retries=["cut_stream"]),
        FakeJob(DAY2 + 300, 1, status="failed", error_kind="auth", reached=0),
        FakeJob(DAY2 + 400, 10, status="cancelled", generator="offline", reached=25),
        FakeJob(DAY2 + 500, 4, generator="offline", etas={25: 3.3, 50: 2, 75: 1}, steps={"prepare": 0.5}),
        # Not ended (interrupted) and ended before the period: never counted below.
        FakeJob(DAY2 + 600, 30, status="interrupted", reached=40),
        FakeJob(DAY0, 50, usage=Usage(cost_usd=9.0, requests=1)),
    ]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "data", recover=False)
    yield store
    store.close()


@pytest.fixture
def history(store: Store) -> Store:
    write_history(store, known_history())
    return store


SINCE = Period.from_day(date(2026, 11, 15))


def test_every_figure_of_a_known_history(history: Store) -> None:
    data = compute(history, SINCE).to_json()
    assert (data["jobs"], data["completed"], data["failed"], data["cancelled"]) == (8, 4, 3, 1)
    assert data["success_rate"] == 0.5
    assert data["cancel_rate"] == 0.125
    assert data["failure_rate"] == 0.375
    assert data["failures_by_kind"] == {"auth": 1, "network": 1, "rate_limit": 1}
    assert data["retries_by_cause"] == {"429": 3, "5xx": 1, "529": 1, "cut_stream": 3, "timeout": 1, "other": 0}
    assert data["api_calls"] == 45 + 9
    assert data["retry_rate"] == round(9 / 54, 4)
    assert data["reconnect_success_rate"] == round(2 / 3, 4)  # B and C reconnected, E did not
    assert data["duration_s"] == {"p50": 100, "p95": 300, "p99": 300}
    assert data["steps"] == {
        "prepare": {"p50": 1, "p95": 3}, "outline": {"p50": 10, "p95": 20}, "lessons": {"p50": 120, "p95": 200},
        "quizzes": {"p50": 20, "p95": 20}, "exam": {"p50": 5, "p95": 5}, "review": {"p50": 2, "p95": 2}, "save": {"p50": 2, "p95": 2},
    }
    assert data["first_lesson_text_s"] == {"p50": 30, "p95": 40}
    assert data["tokens"] == {"input": 3150, "output": 3210, "cache_read": 4000, "cache_write": 1000}
    assert data["cost_usd"] == 0.47
    assert data["cost_by_model"] == {SONNET: 0.17, OPUS: 0.30}
    assert data["tokens_by_model"] == {
        SONNET: {"input": 3050, "output": 3010, "cache_read": 4000, "cache_write": 1000},
        OPUS: {"input": 100, "output": 200, "cache_read": 0, "cache_write": 0},
    }
    assert data["retry_rate_by_cause"]["429"] == round(3 / 54, 4)
    assert data["cache_read_share"] == round(4000 / 8150, 4)
    # A: 10 %, B: 0 %, offline: 10 % | A 20 %, B 30 %, offline 0 % | A 0 %, offline 0 % (B showed none).
    assert data["eta_error_pct"] == {"at_25": 10.0, "at_50": 20.0, "at_75": 0.0}
    assert [(d["day"], d["completed"], d["failed"], d["cancelled"]) for d in data["days"]] == [
        ("2026-11-20", 2, 0, 0), ("2026-11-21", 2, 3, 1),
    ]
    assert data["days"][0]["cost_by_model"] == {SONNET: 0.15}
    assert data["days"][0]["tokens"] == 1000 + 2000 + 3000 + 500 + 2000 + 1000 + 1000 + 500


def test_the_json_contract_keys(history: Store) -> None:
    data = compute(history, SINCE).to_json()
    for key in ("jobs", "completed", "failed", "cancelled", "success_rate", "cancel_rate", "retry_rate",
                "reconnect_success_rate", "duration_s", "steps", "tokens", "cost_usd", "cache_read_share",
                "eta_error_pct", "failures_by_kind"):
        assert key in data
    assert set(data["duration_s"]) == {"p50", "p95", "p99"}
    assert set(data["eta_error_pct"]) == {"at_25", "at_50", "at_75"}
    assert set(data["tokens"]) == {"input", "output", "cache_read", "cache_write"}


def test_every_error_kind_is_counted(store: Store) -> None:
    jobs = [FakeJob(DAY1 + index, 5, status="failed", error_kind=kind.value, reached=20) for index, kind in enumerate(ErrorKind)]
    write_history(store, [*jobs, FakeJob(DAY1 + 100, 50)])
    stats = compute(store)
    assert stats.failures_by_kind == {kind.value: 1 for kind in ErrorKind}
    assert (stats.jobs, stats.failed, stats.completed) == (len(ErrorKind) + 1, len(ErrorKind), 1)
    assert stats.failure_rate == len(ErrorKind) / (len(ErrorKind) + 1)
    assert stats.drop_jobs == 1  # the network failure is a drop that did not reconnect
    assert stats.reconnect_success_rate == 0.0


def test_generator_filter_and_rates_with_nothing_to_divide(history: Store) -> None:
    offline = compute(history, Period(since=SINCE.since, generator="offline"))
    assert (offline.jobs, offline.completed, offline.cancelled) == (2, 1, 1)
    assert offline.success_rate == 0.5
    assert offline.retry_rate is None  # no API calls
    assert offline.reconnect_success_rate is None  # no job met a drop
    assert offline.cost_usd == 0
    opus = compute(history, Period(since=SINCE.since, model=OPUS))
    assert (opus.jobs, opus.completed, opus.drop_jobs) == (1, 1, 1)


def test_all_time_includes_older_jobs_but_never_unended_ones(history: Store) -> None:
    stats = compute(history)
    assert stats.jobs == 9  # the interrupted job has not ended
    assert round(stats.cost_usd, 6) == 9.47


def test_empty_history(store: Store) -> None:
    stats = compute(store)
    assert stats.is_empty
    data = stats.to_json()
    assert data["jobs"] == 0 and data["success_rate"] is None and data["duration_s"]["p50"] is None
    assert data["eta_error_pct"] == {"at_25": None, "at_50": None, "at_75": None}


def test_summaries_are_made_once_and_redone_when_a_job_runs_again(history: Store) -> None:
    assert summarise(history) == 9  # every ended job, once
    assert summarise(history) == 0
    conn = sqlite3.connect(history.path)
    with conn:  # job C is resumed again: it no longer counts until it ends again
        conn.execute("UPDATE jobs SET status = 'running', finished_at = NULL WHERE run_seconds = 300")
    assert compute(history, SINCE).jobs == 7
    with conn:
        conn.execute("UPDATE jobs SET status = 'failed', error_kind = 'server', finished_at = ? WHERE run_seconds = 300", (DAY2 + 900,))
    conn.close()
    stats = compute(history, SINCE)
    assert stats.jobs == 8 and stats.completed == 3 and stats.failures_by_kind["server"] == 1


def test_a_job_that_appears_with_an_old_end_is_still_summarised(history: Store) -> None:
    assert compute(history).jobs == 9
    write_history(history, [FakeJob(DAY0 - 86400, 10, status="cancelled")])  # e.g. another process's old job
    assert compute(history).jobs == 10


def test_a_damaged_event_is_left_out_not_fatal(store: Store) -> None:
    jobs = known_history()[:2]
    write_history(store, jobs)
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute("UPDATE job_events SET body = '{not json' WHERE job_id = ? AND type = 'Retrying'", (jobs[0].job_id,))
    conn.close()
    stats = compute(store)
    assert stats.jobs == 2 and stats.completed == 2
    assert stats.retries_by_cause["cut_stream"] == 1  # job B's retries still count; A's damaged ones do not


def test_deleting_a_job_removes_it_from_the_figures(history: Store) -> None:
    compute(history, SINCE)
    job_id = history.read("SELECT id FROM jobs WHERE status = 'cancelled'")[0][0]
    history.delete_job(job_id)
    assert compute(history, SINCE).cancelled == 0


def test_csv_has_every_headline_figure(history: Store) -> None:
    text = compute(history, SINCE).to_csv()
    lines = text.splitlines()
    assert lines[0] == "figure,key,value"
    assert "success_rate,,0.5" in lines
    assert "eta_error_pct,at_50,20.0" in lines
    assert "step_p95,lessons,200.0" in lines
    assert "day_completed,2026-11-21,2" in lines
    assert "reconnect_success_rate,,0.6667" in lines


def test_histogram_bins() -> None:
    assert histogram([], 4) == [0, 0, 0, 0]
    assert histogram([1.0, 2.0, 3.9, 4.0], 4) == [0, 1, 1, 2]  # bins of 1 s up to the longest, 4 s
    assert histogram([0.0, 0.0], 2) == [2, 0]


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([4.0], 99) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile(list(map(float, range(1, 101))), 95) == 95.0


@pytest.mark.parametrize("cause", list(REASONS))
def test_retry_causes_from_the_generators_own_reasons(cause: str) -> None:
    assert retry_cause(REASONS[cause]) == cause


def test_retry_reasons_of_the_classifier_map_to_their_cause() -> None:
    """The reasons the Claude error classifier really gives (not copies) land in the right cause."""
    import httpx2

    anthropic = pytest.importorskip("anthropic")
    request = httpx2.Request("POST", "https://api.anthropic.com/v1/messages")

    def status_error(status: int, kind: str) -> Exception:
        response = httpx2.Response(status, request=request, json={"type": "error", "error": {"type": kind, "message": "x"}})
        return anthropic.APIStatusError("x", response=response, body={"type": "error", "error": {"type": kind, "message": "x"}})

    cases = {
        "429": status_error(429, "rate_limit_error"),
        "529": status_error(529, "overloaded_error"),
        "5xx": status_error(500, "api_error"),
        "timeout": httpx2.ReadTimeout("timed out"),
        "cut_stream": httpx2.RemoteProtocolError("peer closed connection"),
    }
    for cause, exc in cases.items():
        failure = classify(exc, SONNET)
        assert failure is not None and failure.retryable
        assert retry_cause(failure.reason) == cause, failure.reason
    assert analytics.RETRY_CAUSES[-1] == "other"


def test_a_history_that_cannot_be_written_still_shows_what_is_summarised(history: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    assert compute(history, SINCE).jobs == 8
    write_history(history, [FakeJob(DAY2 + 800, 10, status="cancelled")])

    def refuse(*args: object, **kwargs: object) -> None:
        raise StorageError("The statistics could not be written because the data folder is read-only; choose a writable folder (COURSEGEN_DATA_DIR).")

    monkeypatch.setattr(history, "write_many", refuse)
    assert compute(history, SINCE).jobs == 8  # the figures as last summarised, no error
