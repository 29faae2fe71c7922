"""One table of every benchmark's headline figure against its target, read from the JSON in
benchmarks/results/ (`make bench` prints it last).

A result file may carry its own `headline` ({"name", "value", "unit", "target"}, the target
written "<= 200" or ">= 50"); for the files that do not, HEADLINES below says where the figure is
and what the target is (from the issues and DESIGN.md). A file nobody knows is listed as such,
so a new benchmark cannot silently drop out of the table.

    .venv/bin/python benchmarks/summary.py [--results benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# file stem: (what, path of keys into the JSON, unit, target), for results without a "headline" of their own.
HEADLINES: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "store": ("Event appends per second (one commit each)", ("event_appends_per_s",), "/s", ">= 50"),
    "claude": ("Cancel to JobCancelled, P95", ("cancel", "to_job_cancelled_ms", "p95"), "ms", "<= 500"),
    "crash_recovery": ("Parts lost over kill -9 runs", ("parts_lost",), "", "<= 0"),
    "offline": ("Offline 3x3 course from 100 pages", ("with_headings", "generate_total_s"), "s", ""),
    "cancel": ("Claude streams closed after Cancel, worst run", ("claude_streams_closed_s", "worst_s"), "s", "<= 0.5"),
    "history": ("First history page in the table, 50,000 jobs", ("first_page_in_table_ms",), "ms", "<= 100"),
    "openai_compat": ("Local model: Cancel to JobCancelled, P95", ("cancel", "to_job_cancelled_ms", "p95"), "ms", "<= 100"),
    "plan": ("Jobs whose real cost fell inside the planned range", ("inside_share",), "", ">= 0.8"),
    "study": ("Longest GUI gap while reviewing 1,000 cards", ("longest_gui_gap_ms_worst_run",), "ms", "<= 50"),
}


def write_result(name: str, result: dict[str, Any]) -> None:
    """Print a benchmark's result and keep it as benchmarks/results/NAME.json."""
    text = json.dumps(result, indent=2)
    print(text)
    out = ROOT / "benchmarks" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")


def _dig(data: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def meets(value: Any, target: str) -> str:
    """"yes"/"NO" for a target like "<= 200" or ">= 50"; "–" when there is none."""
    match = re.fullmatch(r"\s*(<=|>=)\s*([-\d.]+)\s*", target or "")
    if not match or not isinstance(value, (int, float)):
        return "–"
    limit = float(match[2])
    ok = value <= limit if match[1] == "<=" else value >= limit
    return "yes" if ok else "NO"


def rows(results: Path) -> list[tuple[str, str, str, str, str]]:
    """(benchmark, what, value, target, met) for every result file, sorted by file name."""
    table = []
    for path in sorted(results.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            table.append((path.stem, "(result file cannot be read)", "–", "", "–"))
            continue
        headline = data.get("headline") if isinstance(data, dict) else None
        if isinstance(headline, dict):
            what, value, unit, target = headline.get("name", ""), headline.get("value"), headline.get("unit", ""), headline.get("target", "")
        elif path.stem in HEADLINES:
            what, keys, unit, target = HEADLINES[path.stem]
            value = _dig(data, keys)
        else:
            table.append((path.stem, "(no headline figure known)", "–", "", "–"))
            continue
        shown = "–" if value is None else f"{value:g} {unit}".strip() if isinstance(value, (int, float)) else str(value)
        table.append((path.stem, what, shown, f"{target} {unit}".strip() if target else "–", meets(value, target)))
    return table


def render(table: list[tuple[str, str, str, str, str]]) -> str:
    header = ("benchmark", "headline figure", "value", "target", "met")
    widths = [max(len(str(row[i])) for row in [header, *table]) for i in range(len(header))]
    line = lambda row: "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *(line(row) for row in table)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    table = rows(args.results)
    if not table:
        print(f"No benchmark results in {args.results}; run `make bench` first.")
        return 1
    print(render(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
