"""What the history says: success, failures, retries, reconnects, durations, tokens, cost and
how accurate the ETA was, for a period and an optional generator/model.

Reading two million events for every question would take seconds, so each job that has ended
is summarised once into `job_stats` (one row: outcome, usage, retries by cause, step times,
ETA errors) the first time analytics sees it, and again if it is resumed and ends anew. The
figures are then plain SQL over one indexed row per job. Pure Python: the GUI calls
`compute()` off its thread, the CLI (`coursegen stats`) on its own.

Definitions (the tests pin them):
- a job *ended in the period* when its `finished_at` falls in it and it is completed, failed or
  cancelled (an interrupted job has not ended: Resume continues it);
- rates are fractions of those jobs; a rate with nothing to divide by is None;
- retry rate = retries / API calls, where API calls = successful requests + retries;
- a job *met a network drop* when a stream was cut or the API could not be reached (a retry
  with that cause), or a run failed for the network; reconnect success = the share of those
  that completed;
- durations are run time (pauses and time between runs excluded) of completed jobs; percentiles
  are nearest-rank, so every figure is a duration that really happened;
- the ETA error at X % is, for a job completed in one run, |ETA shown when the bar first reached
  X % - the true time left| / the true time left; the figure is the median over jobs, in %.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import math
import operator
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime

from pathlib import Path

from coursegen_desktop.core.errors import CourseGenError, storage_error_from_os
from coursegen_desktop.core.export.atomic import write_file_atomically
from coursegen_desktop.core.models import JobStatus
from coursegen_desktop.core.steps import STEP_NAMES
from coursegen_desktop.core.store import Store

log = logging.getLogger(__name__)

ENDED = ("completed", "failed", "cancelled")
RETRY_CAUSES = ("429", "5xx", "529", "cut_stream", "timeout", "other")
TOKEN_TYPES = ("input", "output", "cache_read", "cache_write")
ETA_POINTS = (25, 50, 75)
SUCCESS_TARGET = 0.95  # the seed's target for the generation success rate
ETA_ERROR_TARGET_PCT = 20.0  # issue 12: median ETA error at 50 % progress
_BATCH = 400  # jobs summarised per transaction
HISTOGRAM_BINS = 20
_NOT_NONE = functools.partial(operator.is_not, None)


def retry_cause(reason: str) -> str:
    """The cause of a `Retrying` event, from the reason sentence the Claude generator gives
    (core/generators/claude_errors.py)."""
    text = reason.lower()
    if "rate limit" in text:
        return "429"
    if "overloaded" in text:
        return "529"
    if "in time" in text or "timed out" in text or "timeout" in text:
        return "timeout"
    if "connection" in text or "reach" in text or "stream" in text:
        return "cut_stream"
    if "temporar" in text or "server" in text:
        return "5xx"
    return "other"


# ---------------------------------------------------------------------------------------------
# Summarising ended jobs into job_stats


@dataclass
class _JobSummary:
    """What one job's events say; built by feeding its events in order."""

    starts: int = 0
    last_start: float | None = None
    first_text_s: float | None = None
    crossings: dict[int, tuple[float, float | None]] = field(default_factory=dict)  # point: (at, eta)
    retries: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RETRY_CAUSES, 0))
    network_failure: bool = False
    steps: dict[str, float] = field(default_factory=dict)
    generator: str | None = None
    model: str | None = None

    def feed(self, kind: str, at: float, percent: float | None, eta: float | None, has_text: bool, text: str | None, value: object) -> None:
        """One event, as `_EVENTS_SQL` pulls it apart: `text` and `value` depend on the type."""
        if kind == "JobStarted":
            self.starts += 1
            self.last_start = at
            self.generator, self.model = text, value if isinstance(value, str) else None
        elif kind == "Progress" and percent is not None:
            for point in ETA_POINTS:
                if point not in self.crossings and percent >= point:
                    self.crossings[point] = (at, eta)
            if has_text:
                self._text_seen(at)
        elif kind == "TopicCompleted":
            self._text_seen(at)
        elif kind == "Retrying":
            self.retries[retry_cause(text or "")] += 1
        elif kind == "JobFailed" and text == "network":
            self.network_failure = True
        elif kind == "StepCompleted" and text in STEP_NAMES and isinstance(value, (int, float)):
            self.steps[text] = self.steps.get(text, 0.0) + float(value)

    def _text_seen(self, at: float) -> None:
        if self.first_text_s is None and self.last_start is not None:
            self.first_text_s = max(0.0, at - self.last_start)

    def eta_error(self, point: int, finished_at: float) -> float | None:
        if self.starts != 1 or point not in self.crossings:
            return None
        at, eta = self.crossings[point]
        truth = finished_at - at
        if eta is None or truth <= 0:
            return None
        return abs(eta - truth) / truth


# Ended jobs whose summary is missing or older than their end. `since` limits the search to the
# jobs that ended lately (an index range): an hour before the newest summary covers any job whose
# end was stamped before a slow commit; -inf searches the whole history.
_STALE_SQL = f"""
    SELECT j.id FROM jobs j LEFT JOIN job_stats s ON s.job_id = j.id
    WHERE j.finished_at >= ? AND j.status IN {ENDED}
      AND (s.finished_at IS NULL OR s.finished_at <> j.finished_at)
"""
_RECENT_MARGIN_S = 3600.0
# Only the few fields a summary needs are pulled out of each event's JSON, in SQL.
_EVENTS_SQL = """
    SELECT job_id, type, at,
        CASE type WHEN 'Progress' THEN json_extract(body, '$.percent') END,
        CASE type WHEN 'Progress' THEN json_extract(body, '$.eta_s') END,
        CASE type WHEN 'Progress' THEN json_type(body, '$.lesson_id') = 'text' END,
        CASE type WHEN 'Retrying' THEN json_extract(body, '$.reason')
                  WHEN 'JobFailed' THEN json_extract(body, '$.kind')
                  WHEN 'StepCompleted' THEN json_extract(body, '$.step')
                  WHEN 'JobStarted' THEN json_extract(body, '$.generator') END,
        CASE type WHEN 'StepCompleted' THEN json_extract(body, '$.duration_s')
                  WHEN 'JobStarted' THEN json_extract(body, '$.model') END
    FROM job_events
    WHERE job_id IN ({marks}) AND type IN ('JobStarted', 'Progress', 'TopicCompleted', 'Retrying', 'JobFailed', 'StepCompleted') {valid}
    ORDER BY job_id, seq
"""
_JOBS_SQL = """
    SELECT id, finished_at, status, error_kind, run_seconds, usage_json,
           CASE WHEN json_valid(request_json) THEN json_extract(request_json, '$.generator') END,
           CASE WHEN json_valid(request_json) THEN json_extract(request_json, '$.model') END
    FROM jobs WHERE id IN ({marks})
"""
_INSERT_SQL = f"""
    INSERT OR REPLACE INTO job_stats (job_id, finished_at, status, generator, model, error_kind, run_seconds,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, requests,
        retries_429, retries_5xx, retries_529, retries_cut, retries_timeout, retries_other, met_drop,
        first_text_s, eta_error_25, eta_error_50, eta_error_75, {", ".join(f"step_{name}" for name in STEP_NAMES)})
    VALUES ({", ".join("?" * (24 + len(STEP_NAMES)))})
"""


def summarise(store: Store) -> int:
    """Bring `job_stats` up to date with every job that has ended; returns how many rows were
    (re)written. Cheap when nothing changed; the first call on a large old history reads all of
    its events once."""
    not_ended = tuple(status.value for status in JobStatus if status.value not in ENDED)
    reopened = store.read(
        f"SELECT j.id FROM jobs j JOIN job_stats s ON s.job_id = j.id WHERE j.status IN ({', '.join('?' * len(not_ended))})",
        not_ended,
    )
    if reopened:  # resumed since: it counts again once it ends again
        store.write_many("DELETE FROM job_stats WHERE job_id = ?", reopened, "the statistics")
    ((ended,),) = store.read(f"SELECT count(*) FROM jobs WHERE status IN {ENDED}")
    ((summarised, newest),) = store.read("SELECT count(*), max(finished_at) FROM job_stats")
    since = newest - _RECENT_MARGIN_S if newest is not None and ended == summarised else float("-inf")
    stale = [job_id for (job_id,) in store.read(_STALE_SQL, (since,))]
    for start in range(0, len(stale), _BATCH):
        batch = stale[start : start + _BATCH]
        store.write_many(_INSERT_SQL, _summary_rows(store, batch), "the statistics")
    return len(stale)


def _summary_rows(store: Store, job_ids: list[str]) -> list[tuple]:
    marks = ", ".join("?" * len(job_ids))
    summaries: dict[str, _JobSummary] = {job_id: _JobSummary() for job_id in job_ids}
    try:
        events = store.read(_EVENTS_SQL.format(marks=marks, valid=""), tuple(job_ids))
    except CourseGenError:  # a damaged event body: read the batch again, leaving such events out
        log.warning("a job's history holds an event that cannot be read; it is left out of the statistics")
        events = store.read(_EVENTS_SQL.format(marks=marks, valid="AND json_valid(body)"), tuple(job_ids))
    for job_id, kind, at, percent, eta, has_text, text, value in events:
        summaries[job_id].feed(kind, at, percent, eta, bool(has_text), text, value)
    rows = []
    for job_id, finished_at, status, error_kind, run_seconds, usage_json, req_generator, req_model in store.read(
        _JOBS_SQL.format(marks=marks), tuple(job_ids)
    ):
        summary = summaries[job_id]
        usage = _usage(usage_json)
        generator = summary.generator or req_generator or "offline"
        model = summary.model or (req_model if generator == "claude" else None) or generator
        retries = summary.retries
        rows.append(
            (
                job_id, finished_at, status, generator, model, error_kind, run_seconds,
                usage.get("input_tokens", 0), usage.get("output_tokens", 0),
                usage.get("cache_read_input_tokens", 0), usage.get("cache_creation_input_tokens", 0),
                usage.get("cost_usd", 0.0), usage.get("requests", 0),
                *(retries[cause] for cause in RETRY_CAUSES),
                int(retries["cut_stream"] > 0 or summary.network_failure or error_kind == "network"),
                summary.first_text_s,
                *(summary.eta_error(point, finished_at) if status == "completed" else None for point in ETA_POINTS),
                *(summary.steps.get(name) for name in STEP_NAMES),
            )
        )
    return rows


def _usage(text: str | None) -> dict[str, float]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# ---------------------------------------------------------------------------------------------
# The figures


@dataclass(frozen=True)
class Period:
    """Which ended jobs count: finished in [since, until) and optionally one generator/model."""

    since: float | None = None  # epoch seconds
    until: float | None = None
    generator: str | None = None
    model: str | None = None

    @classmethod
    def from_day(cls, since: date | None, generator: str | None = None, model: str | None = None) -> Period:
        """From local midnight of `since` (the CLI's --since YYYY-MM-DD)."""
        start = None if since is None else datetime.combine(since, dtime.min).astimezone().timestamp()
        return cls(start, None, generator, model)

    def where(self) -> tuple[str, tuple]:
        clauses, params = [], []
        for column, op, value in (("finished_at", ">=", self.since), ("finished_at", "<", self.until),
                                  ("generator", "=", self.generator), ("model", "=", self.model)):
            if value is not None:
                clauses.append(f"{column} {op} ?")
                params.append(value)
        return (" AND ".join(clauses) or "1"), tuple(params)


@dataclass
class DayFigures:
    day: str  # YYYY-MM-DD, local time
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    cost_by_model: dict[str, float] = field(default_factory=dict)
    tokens: int = 0


@dataclass
class Stats:
    jobs: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    success_rate: float | None = None
    cancel_rate: float | None = None
    failure_rate: float | None = None
    failures_by_kind: dict[str, int] = field(default_factory=dict)
    api_calls: int = 0
    retries_by_cause: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RETRY_CAUSES, 0))
    retry_rate: float | None = None
    drop_jobs: int = 0
    reconnect_success_rate: float | None = None
    durations: list[float] = field(default_factory=list)  # completed jobs' run time, sorted
    duration_histogram: list[int] = field(default_factory=list)  # HISTOGRAM_BINS equal bins from 0 to the longest
    duration_s: dict[str, float | None] = field(default_factory=lambda: {"p50": None, "p95": None, "p99": None})
    steps: dict[str, dict[str, float | None]] = field(default_factory=dict)
    first_text_s: dict[str, float | None] = field(default_factory=lambda: {"p50": None, "p95": None})
    tokens: dict[str, int] = field(default_factory=lambda: {"input": 0, "output": 0, "cache_read": 0, "cache_write": 0})
    cost_usd: float = 0.0
    cost_by_model: dict[str, float] = field(default_factory=dict)
    tokens_by_model: dict[str, dict[str, int]] = field(default_factory=dict)
    cache_read_share: float | None = None
    eta_error_pct: dict[str, float | None] = field(default_factory=lambda: {f"at_{p}": None for p in ETA_POINTS})
    eta_jobs: int = 0  # completed one-run jobs with an ETA shown at 50 %
    days: list[DayFigures] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.jobs == 0

    def to_json(self) -> dict[str, object]:
        """The `coursegen stats --json` contract (issue 12), plus a few extra keys."""
        return {
            "jobs": self.jobs,
            "completed": self.completed,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "success_rate": _round(self.success_rate),
            "cancel_rate": _round(self.cancel_rate),
            "retry_rate": _round(self.retry_rate),
            "reconnect_success_rate": _round(self.reconnect_success_rate),
            "duration_s": {key: _round(value, 3) for key, value in self.duration_s.items()},
            "steps": {name: {key: _round(value, 3) for key, value in figures.items()} for name, figures in self.steps.items()},
            "tokens": dict(self.tokens),
            "cost_usd": round(self.cost_usd, 6),
            "cache_read_share": _round(self.cache_read_share),
            "eta_error_pct": {key: _round(value, 1) for key, value in self.eta_error_pct.items()},
            "failures_by_kind": dict(self.failures_by_kind),
            "failure_rate": _round(self.failure_rate),
            "retries_by_cause": dict(self.retries_by_cause),
            "retry_rate_by_cause": {cause: _round(_ratio(count, self.api_calls)) for cause, count in self.retries_by_cause.items()},
            "api_calls": self.api_calls,
            "first_lesson_text_s": {key: _round(value, 3) for key, value in self.first_text_s.items()},
            "cost_by_model": {model: round(cost, 6) for model, cost in self.cost_by_model.items()},
            "tokens_by_model": {model: dict(tokens) for model, tokens in self.tokens_by_model.items()},
            "days": [
                {"day": d.day, "completed": d.completed, "failed": d.failed, "cancelled": d.cancelled,
                 "tokens": d.tokens, "cost_by_model": {m: round(c, 6) for m, c in d.cost_by_model.items()}}
                for d in self.days
            ],
        }

    def csv_rows(self) -> Iterable[tuple[str, str, object]]:
        """(figure, key, value) rows: the headline figures, then per step, kind, cause, day."""
        data = self.to_json()
        for name in ("jobs", "completed", "failed", "cancelled", "success_rate", "cancel_rate", "failure_rate",
                     "retry_rate", "api_calls", "reconnect_success_rate", "cost_usd", "cache_read_share"):
            yield name, "", data[name]
        for group in ("duration_s", "first_lesson_text_s", "tokens", "eta_error_pct", "failures_by_kind", "retries_by_cause",
                      "retry_rate_by_cause", "cost_by_model"):
            for key, value in data[group].items():  # type: ignore[union-attr]
                yield group, key, value
        for step, figures in data["steps"].items():  # type: ignore[union-attr]
            for key, value in figures.items():
                yield f"step_{key}", step, value
        for model, tokens in self.tokens_by_model.items():
            for kind, count in tokens.items():
                yield f"tokens_{kind}", model, count
        for day in self.days:
            for key in ("completed", "failed", "cancelled", "tokens"):
                yield f"day_{key}", day.day, getattr(day, key)
            for model, cost in day.cost_by_model.items():
                yield "day_cost_usd", f"{day.day} {model}", round(cost, 6)

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("figure", "key", "value"))
        for name, key, value in self.csv_rows():
            writer.writerow((name, key, "" if value is None else value))
        return out.getvalue()


def export_csv(stats: Stats, path: Path) -> Path:
    """Write the figures as CSV (whole file or nothing); a failure is one sentence."""
    text = stats.to_csv()
    try:
        return write_file_atomically(path, lambda temp: temp.write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise storage_error_from_os(exc, f"the CSV file {path.name}") from None


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def histogram(sorted_values: list[float], bins: int) -> list[int]:
    """Counts in `bins` equal bins from 0 to the largest value (which falls in the last bin)."""
    counts = [0] * bins
    top = sorted_values[-1] if sorted_values else 0.0
    if top <= 0:
        counts[0] = len(sorted_values)
        return counts
    for value in sorted_values:
        counts[min(int(value / top * bins), bins - 1)] += 1
    return counts


def compute(store: Store, period: Period = Period(), *, refresh: bool = True) -> Stats:
    """Every figure for the jobs that ended in `period`. Summarises newly ended jobs first."""
    if refresh:
        try:
            summarise(store)
        except CourseGenError as exc:  # e.g. a read-only or busy history: show what is summarised
            log.warning("could not bring the statistics up to date: %s", exc.message)
    where, params = period.where()
    stats = Stats()
    _totals(store, stats, where, params)
    if stats.jobs == 0:
        return stats
    stats.failures_by_kind = dict(store.read(
        f"SELECT coalesce(error_kind, 'unknown'), count(*) FROM job_stats WHERE {where} AND status = 'failed' GROUP BY 1 ORDER BY 2 DESC, 1",
        params,
    ))
    _distributions(store, stats, where, params)
    _per_day(store, stats, where, params)
    return stats


def _totals(store: Store, stats: Stats, where: str, params: tuple) -> None:
    retry_columns = ", ".join(f"total(retries_{'cut' if cause == 'cut_stream' else cause})" for cause in RETRY_CAUSES)
    (row,) = store.read(
        f"""SELECT count(*), total(status = 'completed'), total(status = 'failed'), total(status = 'cancelled'),
                   total(input_tokens), total(output_tokens), total(cache_read_tokens), total(cache_write_tokens),
                   total(cost_usd), total(requests), total(met_drop), total(met_drop AND status = 'completed'),
                   {retry_columns}
            FROM job_stats WHERE {where}""",
        params,
    )
    jobs, completed, failed, cancelled, inp, out, read, write, cost, requests, drops, drops_ok, *retries = row
    stats.jobs, stats.completed, stats.failed, stats.cancelled = int(jobs), int(completed), int(failed), int(cancelled)
    stats.success_rate = _ratio(completed, jobs)
    stats.cancel_rate = _ratio(cancelled, jobs)
    stats.failure_rate = _ratio(failed, jobs)
    stats.retries_by_cause = {cause: int(count) for cause, count in zip(RETRY_CAUSES, retries, strict=True)}
    total_retries = sum(stats.retries_by_cause.values())
    stats.api_calls = int(requests) + total_retries
    stats.retry_rate = _ratio(total_retries, stats.api_calls)
    stats.drop_jobs = int(drops)
    stats.reconnect_success_rate = _ratio(drops_ok, drops)
    stats.tokens = {"input": int(inp), "output": int(out), "cache_read": int(read), "cache_write": int(write)}
    stats.cost_usd = cost
    stats.cache_read_share = _ratio(read, inp + read + write)


def _distributions(store: Store, stats: Stats, where: str, params: tuple) -> None:
    """Run time, per-step, first-text and ETA-error figures: one fetch of the few columns they
    need (one scan beats a query per column), each column sorted here (Python sorts floats
    faster than SQLite's sorter)."""
    names = ["CASE WHEN status = 'completed' THEN run_seconds END"] + [f"step_{name}" for name in STEP_NAMES]
    names += ["first_text_s"] + [f"eta_error_{point}" for point in ETA_POINTS]
    rows = store.read(f"SELECT {', '.join(names)} FROM job_stats WHERE {where}", params)
    columns: dict[str, list[float]] = {}
    for name, column in zip(names, zip(*rows, strict=True) if rows else [()] * len(names), strict=True):
        values = list(filter(_NOT_NONE, column))  # C loops: 50,000 jobs in milliseconds
        values.sort()
        columns[name] = values
    stats.durations = columns[names[0]]
    stats.duration_s = {f"p{p}": percentile(stats.durations, p) for p in (50, 95, 99)}
    stats.duration_histogram = histogram(stats.durations, HISTOGRAM_BINS)
    for name in STEP_NAMES:
        values = columns[f"step_{name}"]
        if values:
            stats.steps[name] = {"p50": percentile(values, 50), "p95": percentile(values, 95)}
    first_text = columns["first_text_s"]
    stats.first_text_s = {"p50": percentile(first_text, 50), "p95": percentile(first_text, 95)}
    for point in ETA_POINTS:
        values = columns[f"eta_error_{point}"]
        stats.eta_error_pct[f"at_{point}"] = round(statistics.median(values) * 100, 3) if values else None
    stats.eta_jobs = len(columns["eta_error_50"])


def _per_day(store: Store, stats: Stats, where: str, params: tuple) -> None:
    """Jobs by outcome, tokens and cost per local day, and per model, in one grouped scan."""
    days: dict[str, DayFigures] = {}
    for day, status, model, count, cost, *tokens in store.read(
        f"""SELECT date(finished_at, 'unixepoch', 'localtime'), status, model, count(*), total(cost_usd),
                   total(input_tokens), total(output_tokens), total(cache_read_tokens), total(cache_write_tokens)
            FROM job_stats WHERE {where} GROUP BY 1, 2, 3""",
        params,
    ):
        figures = days.setdefault(day, DayFigures(day))
        setattr(figures, status, getattr(figures, status) + count)
        figures.tokens += int(sum(tokens))
        if cost:
            figures.cost_by_model[model] = figures.cost_by_model.get(model, 0.0) + cost
            stats.cost_by_model[model] = stats.cost_by_model.get(model, 0.0) + cost
        if any(tokens):
            by_type = stats.tokens_by_model.setdefault(model, dict.fromkeys(TOKEN_TYPES, 0))
            for name, value in zip(TOKEN_TYPES, tokens, strict=True):
                by_type[name] += int(value)
    stats.days = [days[day] for day in sorted(days)]
