"""Crash recovery under SIGKILL: 100 kills of `coursegen`, half on offline jobs, half on Claude jobs
against the local fake Messages API, each followed by `coursegen resume` until the job completes.

After every kill the harness (tests/reliability/crash_harness.py) checks from the outside that the
database passes integrity_check, every part saved before is still there byte for byte, every
lesson the killed process announced is saved as announced, and no saved lesson was written again.
Prints JSON on stdout and writes results/crash_recovery.json; exits 1 if anything was lost.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes import DEFAULT_KEY, FakeMessagesAPI  # noqa: E402
from tests.reliability.crash_harness import CrashStats, child_env, run_crash_cycles  # noqa: E402
from tests.reliability.test_crash_recovery import long_notes  # noqa: E402

KILLS = 100
OFFLINE_KILLS = KILLS // 2
CLAUDE_KILLS = KILLS - OFFLINE_KILLS
# A kill lands a random 0..MAX_DELAY seconds after the first event. An undisturbed job takes about
# 4.5 s (offline, long notes) and 5 s (Claude against the fake) from there, so these spread the
# kills over every step, and some runs finish (a new job then starts), rather than only hitting
# the first seconds of each run.
OFFLINE_MAX_DELAY = 5.0
CLAUDE_MAX_DELAY = 6.0


def offline(folder: Path) -> CrashStats:
    notes = long_notes(folder)
    return run_crash_cycles(
        kills=OFFLINE_KILLS, seed=20261126, data_dir=folder / "offline-data", env=child_env(), max_delay=OFFLINE_MAX_DELAY,
        generate_args=["Enzymes", "--material", str(notes), "--offline", "--modules", "4", "--lessons-per-module", "4"],
    )


def claude(folder: Path) -> tuple[CrashStats, int]:
    with FakeMessagesAPI(delta_delay=0.01, first_byte_delay=0.05) as api:
        env = {**child_env(), "ANTHROPIC_API_KEY": DEFAULT_KEY, "ANTHROPIC_BASE_URL": api.base_url, "COURSEGEN_RPM": "0"}
        stats = run_crash_cycles(
            kills=CLAUDE_KILLS, seed=7, data_dir=folder / "claude-data", env=env, max_delay=CLAUDE_MAX_DELAY,
            generate_args=["Photosynthesis", "--modules", "2", "--lessons-per-module", "3"],
        )
        return stats, len(api.messages("lesson"))


def main() -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        off = offline(Path(folder))
        cla, lesson_requests = claude(Path(folder))
    both = (off, cla)
    result = {
        "kills": off.kills + cla.kills,
        "parts_lost": sum(s.parts_lost for s in both),
        "jobs_resumed": sum(s.jobs_resumed for s in both),
        "duplicate_generations": sum(s.duplicate_generations for s in both),
        "integrity_failures": sum(s.integrity_failures for s in both),
        "tracebacks": sum(s.tracebacks for s in both),
        "completed": sum(s.jobs_completed for s in both),
        "not_interrupted_after_kill": sum(s.not_interrupted_after_kill for s in both),
        "jobs_started": sum(s.jobs_started for s in both),
        "runs": sum(s.runs for s in both),
        "by_path": {
            "offline": {k: v for k, v in off.as_dict().items() if k != "problems"},
            "claude": {**{k: v for k, v in cla.as_dict().items() if k != "problems"}, "lesson_requests_at_fake": lesson_requests},
        },
        "problems": (off.problems + cla.problems)[:10],
        "seconds": round(time.perf_counter() - started, 1),
    }
    out = Path(__file__).with_name("results") / "crash_recovery.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    bad = ("parts_lost", "duplicate_generations", "integrity_failures", "tracebacks", "not_interrupted_after_kill")
    return 1 if any(result[key] for key in bad) or result["problems"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
