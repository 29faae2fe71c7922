"""`coursegen stats`: the JSON contract, the aligned table, usage errors, and a real job counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coursegen_desktop.cli import main
from coursegen_desktop.core.store import Store
from tests.conftest import SAMPLES
from tests.helpers.history import write_history
from tests.unit.test_analytics import known_history


@pytest.fixture
def history(data_dir: Path) -> None:
    store = Store.open(data_dir, recover=False)
    write_history(store, known_history())
    store.close()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["stats", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_is_the_contract_and_nothing_else(history: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--since", "2026-11-15", "--json")
    assert code == 0
    data = json.loads(out)  # stdout is only JSON
    assert (data["jobs"], data["completed"], data["failed"], data["cancelled"]) == (8, 4, 3, 1)
    assert data["success_rate"] == 0.5 and data["cancel_rate"] == 0.125
    assert data["reconnect_success_rate"] == 0.6667
    assert data["eta_error_pct"] == {"at_25": 10.0, "at_50": 20.0, "at_75": 0.0}
    assert data["failures_by_kind"] == {"auth": 1, "network": 1, "rate_limit": 1}
    assert data["steps"]["lessons"] == {"p50": 120, "p95": 200}


def test_generator_filter(history: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--generator", "offline", "--json")
    data = json.loads(out)
    assert code == 0 and data["jobs"] == 2 and data["retry_rate"] is None and data["reconnect_success_rate"] is None


def test_human_table_is_aligned(history: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--since", "2026-11-15")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("Jobs ended") and "8 (4 completed, 3 failed, 1 cancelled)" in lines[0]
    column = lines[0].index("8 (")
    assert all(line[column - 2 : column] == "  " and line[column] != " " for line in lines)
    assert any(line.startswith("Success rate") and "50.0 %" in line and "target ≥ 95 %" in line for line in lines)
    assert any(line.startswith("ETA error at 25/50/75 %") and "10.0 % / 20.0 % / 0.0 %" in line for line in lines)


@pytest.mark.parametrize("day", ["yesterday", "2026-13-01"])
def test_a_bad_day_is_one_sentence_and_exit_2(day: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--since", day)
    assert code == 2 and out == ""
    assert err.startswith("coursegen: --since must be a day written YYYY-MM-DD") and len(err.splitlines()) == 1


def test_an_unknown_generator_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["stats", "--generator", "gpt"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "cannot be 'gpt'" in err and len(err.splitlines()) == 1


def test_empty_history_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 0 and "No job has ended" in out
    code, out, _ = run(capsys, "--json")
    assert json.loads(out)["jobs"] == 0


def test_a_real_offline_job_is_counted(capsys: pytest.CaptureFixture[str]) -> None:
    material = [arg for sample in sorted(SAMPLES.iterdir()) for arg in ("--material", str(sample))]
    assert main(["generate", "Photosynthesis", "--offline", "--modules", "1", "--lessons-per-module", "2", *material]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "--json")
    data = json.loads(out)
    assert code == 0 and (data["jobs"], data["completed"], data["success_rate"]) == (1, 1, 1.0)
    assert set(data["steps"]) >= {"prepare", "outline", "lessons", "save"}
    assert data["duration_s"]["p50"] > 0 and data["tokens"]["input"] == 0
