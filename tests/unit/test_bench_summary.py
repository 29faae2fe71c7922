"""`make bench`'s closing table: every result file gets a row, with its headline against its target."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import summary  # noqa: E402


def test_table_rows_for_own_known_and_unknown_results(tmp_path: Path) -> None:
    (tmp_path / "eta.json").write_text(json.dumps({"headline": {"name": "ETA error at 50 %", "value": 25.5, "unit": "%", "target": "<= 20"}}))
    (tmp_path / "store.json").write_text(json.dumps({"event_appends_per_s": 12000}))
    (tmp_path / "history.json").write_text(json.dumps({"first_page_in_table_ms": 28.3}))
    (tmp_path / "new.json").write_text("{}")
    (tmp_path / "broken.json").write_text("{")
    rows = {row[0]: row for row in summary.rows(tmp_path)}
    assert rows["eta"][2:] == ("25.5 %", "<= 20 %", "NO")
    assert rows["store"][2:] == ("12000 /s", ">= 50 /s", "yes")
    assert rows["history"][2:] == ("28.3 ms", "<= 100 ms", "yes")
    assert rows["new"][1] == "(no headline figure known)"
    assert rows["broken"][1] == "(result file cannot be read)"
    lines = summary.render(list(rows.values())).splitlines()
    assert lines[0].split() == ["benchmark", "headline", "figure", "value", "target", "met"]
    column = lines[0].index("value")
    assert len(lines) == 2 + 5
    assert all(line[column - 2 : column] == "  " and line[column] != " " for line in lines[2:])  # aligned
