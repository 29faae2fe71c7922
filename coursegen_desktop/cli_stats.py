"""`coursegen stats`: the history's figures (core/analytics.py) as an aligned table or JSON."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from coursegen_desktop.core.analytics import ETA_ERROR_TARGET_PCT, SUCCESS_TARGET, Period, Stats, compute
from coursegen_desktop.core.errors import BadInput
from coursegen_desktop.core.store import Store


def add_parsers(commands: Any) -> None:
    stats = commands.add_parser("stats", help="success rate, durations, retries, tokens, cost and ETA accuracy")
    stats.add_argument("--since", metavar="YYYY-MM-DD", help="only jobs that ended on or after this day")
    stats.add_argument("--generator", choices=["offline", "claude"])
    stats.add_argument("--json", action="store_true", help="print the figures as one JSON object")


def cmd_stats(args: argparse.Namespace, store: Store) -> int:
    since = _day(args.since)
    stats = compute(store, Period.from_day(since, args.generator))
    if args.json:
        print(json.dumps(stats.to_json(), ensure_ascii=False))
        return 0
    if stats.is_empty:
        print("No job has ended in this period yet; generate a course, then run `coursegen stats` again.")
        return 0
    print("\n".join(table_lines(stats)))
    return 0


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"--since must be a day written YYYY-MM-DD, such as 2026-11-01, not '{text[:40]}'.") from None


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f} %"


def _secs(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def table_lines(stats: Stats) -> list[str]:
    """Two aligned columns: figure, value (targets in brackets where the seed set one)."""
    eta = stats.eta_error_pct
    rows: list[tuple[str, str]] = [
        ("Jobs ended", f"{stats.jobs} ({stats.completed} completed, {stats.failed} failed, {stats.cancelled} cancelled)"),
        ("Success rate", f"{_pct(stats.success_rate)}  (target ≥ {SUCCESS_TARGET * 100:.0f} %)"),
        ("Cancellation rate", _pct(stats.cancel_rate)),
        ("Retry rate", f"{_pct(stats.retry_rate)} of {stats.api_calls} API calls"),
        ("Reconnect success", f"{_pct(stats.reconnect_success_rate)} of {stats.drop_jobs} jobs that met a network drop"),
        ("Duration P50 / P95 / P99", " / ".join(_secs(stats.duration_s[k]) for k in ("p50", "p95", "p99"))),
        ("First lesson text P50", _secs(stats.first_text_s["p50"])),
        ("Tokens in / out", f"{stats.tokens['input']:,} / {stats.tokens['output']:,}"),
        ("Cache read / write", f"{stats.tokens['cache_read']:,} / {stats.tokens['cache_write']:,}  (read share {_pct(stats.cache_read_share)})"),
        ("Cost", f"${stats.cost_usd:.4f}"),
        ("ETA error at 25/50/75 %", " / ".join("–" if eta[k] is None else f"{eta[k]:.1f} %" for k in ("at_25", "at_50", "at_75"))
         + f"  (target at 50 % ≤ {ETA_ERROR_TARGET_PCT:.0f} %)"),
    ]
    for kind, count in stats.failures_by_kind.items():
        rows.append((f"Failed: {kind}", str(count)))
    for cause, count in stats.retries_by_cause.items():
        if count:
            rows.append((f"Retries: {cause}", str(count)))
    for step, figures in stats.steps.items():
        rows.append((f"Step {step} P50 / P95", f"{_secs(figures['p50'])} / {_secs(figures['p95'])}"))
    for model, cost in stats.cost_by_model.items():
        rows.append((f"Cost {model}", f"${cost:.4f}"))
    width = max(len(name) for name, _ in rows)
    return [f"{name:<{width}}  {value}" for name, value in rows]
