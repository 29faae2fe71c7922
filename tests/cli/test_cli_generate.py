"""The CLI contract end to end, as a script would use it: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from coursegen_desktop.core.steps import STEP_NAMES
from tests.helpers.make_docs import write_pdf

ROOT = Path(__file__).resolve().parents[2]


def coursegen(*args: str, data_dir: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**(env or os.environ), "COURSEGEN_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "coursegen_desktop.cli", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def notes_pdf(tmp_path: Path) -> Path:
    pages = [
        ["Cell biology", "", "The cell membrane is a thin layer that controls what enters and leaves the cell.",
         "The nucleus is the organelle that holds the genetic material of the cell.",
         "Mitochondria are organelles that release energy from glucose during respiration."],
        ["Cell division", "", "Mitosis is the division of one cell into two identical daughter cells.",
         "First the chromosomes are copied, then they line up in the middle of the cell.",
         "Meiosis is the division that makes gametes with half the number of chromosomes."],
        ["Transport", "", "Diffusion is the net movement of particles from high to low concentration.",
         "Osmosis is the diffusion of water across a partially permeable membrane.",
         "Active transport is the movement of particles against a concentration gradient using energy."],
    ]
    return write_pdf(tmp_path / "cells.pdf", pages, bookmarks=[("Cell biology", 0), ("Cell division", 1), ("Transport", 2)])


def test_generate_json_show_and_jobs(tmp_path: Path, notes_pdf: Path) -> None:
    data = tmp_path / "data"
    result = coursegen("generate", "Cell biology", "--material", str(notes_pdf), "--offline", "--json",
                       "--modules", "2", "--lessons-per-module", "2", data_dir=data)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]  # nothing but JSON on stdout
    assert [e["step"] for e in events if e["type"] == "StepStarted"] == list(STEP_NAMES)
    assert [e["step"] for e in events if e["type"] == "StepCompleted"] == list(STEP_NAMES)
    percents = [e["percent"] for e in events if e["type"] == "Progress"]
    assert percents == sorted(percents) and percents[-1] == 100
    assert len([e for e in events if e["type"] == "TopicCompleted"]) == 4
    assert events[-1]["type"] == "JobCompleted"
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))
    job_id = events[0]["job_id"]

    shown = coursegen("show", job_id, "--json", data_dir=data)
    assert shown.returncode == 0
    course = json.loads(shown.stdout)
    assert len(course["lessons"]) == 4 and all(lesson["markdown"] for lesson in course["lessons"])
    assert len(course["quizzes"]) == 2 and all(quiz["questions"] for quiz in course["quizzes"])
    assert course["exam"]["questions"] and course["flashcards"]
    assert course["job"]["status"] == "completed"
    material_text = notes_pdf.read_bytes().decode("latin-1")
    for question in course["exam"]["questions"]:
        assert question["options"][question["answer_index"]].split()[0].lower() in material_text.lower()

    listed = coursegen("jobs", "--json", data_dir=data)
    jobs = json.loads(listed.stdout)
    assert [(job["id"], job["status"], job["percent"]) for job in jobs] == [(job_id, "completed", 100)]
    assert jobs[0]["duration_s"] is not None

    human = coursegen("show", job_id[:6], data_dir=data)
    assert human.returncode == 0 and "4 lessons" in human.stdout


def test_ctrl_c_cancels_keeps_parts_and_resume_finishes(tmp_path: Path) -> None:
    """SIGINT mid-job: exit 130, the job is stored as cancelled, and resume completes it."""
    from tests.fakes import DEFAULT_KEY, FakeMessagesAPI

    data = tmp_path / "data"
    with FakeMessagesAPI(delta_delay=0.01) as api:
        env = {**os.environ, "COURSEGEN_DATA_DIR": str(data), "PYTHONPATH": str(ROOT),
               "ANTHROPIC_API_KEY": DEFAULT_KEY, "ANTHROPIC_BASE_URL": api.base_url}
        proc = subprocess.Popen([sys.executable, "-m", "coursegen_desktop.cli", "generate", "Photosynthesis", "--json",
                                 "--modules", "2", "--lessons-per-module", "2", "--concurrency", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:
            seen.append(json.loads(line))
            if seen[-1]["type"] == "TopicCompleted":
                proc.send_signal(signal.SIGINT)
                break
        rest, stderr = proc.communicate(timeout=30)
        seen += [json.loads(line) for line in rest.splitlines()]
        assert proc.returncode == 130, stderr
        assert seen[-1]["type"] == "JobCancelled"
        assert "Traceback" not in stderr and "resume" in stderr
        job_id = seen[0]["job_id"]
        status = json.loads(coursegen("show", job_id, "--json", data_dir=data, env=env).stdout)
        assert status["job"]["status"] == "cancelled" and len(status["lessons"]) >= 1
        saved_before = {lesson["id"] for lesson in status["lessons"]}

        resumed = coursegen("resume", job_id, "--json", data_dir=data, env=env)
        assert resumed.returncode == 0, resumed.stderr
        started_again = {json.loads(line)["lesson_id"] for line in resumed.stdout.splitlines() if '"TopicStarted"' in line}
        assert not started_again & saved_before
