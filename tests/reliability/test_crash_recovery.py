"""SIGKILL at random moments, then resume: nothing saved is lost or generated twice.

The suite kills each kind of job KILLS times (every check runs after each kill); the full
100-kill run is `benchmarks/bench_crash_recovery.py`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import DEFAULT_KEY, FakeMessagesAPI
from tests.reliability.crash_harness import child_env, run_crash_cycles

pytestmark = pytest.mark.slow

KILLS = 4


def long_notes(tmp_path: Path, sections: int = 16) -> Path:
    """Study notes big enough that an offline job lasts long enough to be killed mid-way."""
    text = []
    for n in range(1, sections + 1):
        text.append(f"# Topic {n}: enzymes of pathway {n}\n")
        for k in range(40):
            text.append(
                f"Enzyme E{n}x{k} is a protein that speeds up reaction {k} of pathway {n}. "
                f"The substrate S{n}x{k} binds to the active site of enzyme E{n}x{k} before it is converted. "
                f"First the substrate binds, then the product P{n}x{k} is released from the active site.\n"
            )
    path = tmp_path / "long-notes.md"
    path.write_text("\n".join(text), encoding="utf-8")
    return path


def assert_nothing_lost(stats) -> None:  # type: ignore[no-untyped-def]
    assert stats.problems == []
    assert stats.parts_lost == 0
    assert stats.duplicate_generations == 0
    assert stats.integrity_failures == 0
    assert stats.not_interrupted_after_kill == 0
    assert stats.tracebacks == 0
    assert stats.jobs_completed >= 1


def test_offline_jobs_survive_kill_9(tmp_path: Path) -> None:
    notes = long_notes(tmp_path)
    stats = run_crash_cycles(
        kills=KILLS, seed=20261126, data_dir=tmp_path / "data", env=child_env(), max_delay=0.6,
        generate_args=["Enzymes", "--material", str(notes), "--offline", "--modules", "4", "--lessons-per-module", "4"],
    )
    assert stats.kills == KILLS
    assert_nothing_lost(stats)


def test_claude_jobs_survive_kill_9(tmp_path: Path) -> None:
    with FakeMessagesAPI(delta_delay=0.01, first_byte_delay=0.05) as api:
        env = {**child_env(), "ANTHROPIC_API_KEY": DEFAULT_KEY, "ANTHROPIC_BASE_URL": api.base_url}
        stats = run_crash_cycles(
            kills=KILLS, seed=7, data_dir=tmp_path / "data", env=env, max_delay=2.0,
            generate_args=["Photosynthesis", "--modules", "2", "--lessons-per-module", "3"],
        )
        lesson_titles = [request.text for request in api.messages("lesson")]
    assert stats.kills == KILLS
    assert_nothing_lost(stats)
    assert lesson_titles  # lessons really went to the (fake) API
