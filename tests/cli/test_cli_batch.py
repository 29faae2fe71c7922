"""`coursegen batch submit|status|poll` as a script uses it, against the fake Message Batches API."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_generate import coursegen
from tests.fakes import DEFAULT_KEY
from tests.fakes.batches_api import FakeBatchesAPI

SIZE = ("--modules", "1", "--lessons-per-module", "2", "--questions", "3", "--exam-questions", "3")


@pytest.fixture
def batch_env() -> Any:
    with FakeBatchesAPI() as api:
        yield api, {**os.environ, "ANTHROPIC_API_KEY": DEFAULT_KEY, "ANTHROPIC_BASE_URL": api.base_url}


def test_submit_poll_until_done_and_status(tmp_path: Path, batch_env: Any) -> None:
    api, env = batch_env
    data = tmp_path / "data"
    topics = tmp_path / "topics.txt"
    topics.write_text("# my term\nPhotosynthesis\n\nThe water cycle\n", encoding="utf-8")

    submitted = coursegen("batch", "submit", str(topics), *SIZE, "--json", data_dir=data, env=env)
    assert submitted.returncode == 0, submitted.stderr
    result = json.loads(submitted.stdout)
    assert len(result["job_ids"]) == 2 and result["estimated_cost_usd"] > 0 and result["requests"] == 2 * 6  # outline, 2 lessons, quiz, exam, flashcards

    status = json.loads(coursegen("batch", "status", "--json", data_dir=data, env=env).stdout)
    assert [b["round"] for b in status["batches"]] == ["outlines"] and len(status["jobs"]) == 2
    assert all(job["round"].startswith("Batched: outlines round submitted") for job in status["jobs"])

    resumed = coursegen("resume", result["job_ids"][0], data_dir=data, env=env)
    assert resumed.returncode == 2 and "being written in Message Batches" in resumed.stderr  # never written twice

    states = []
    for _ in range(6):
        polled = coursegen("batch", "poll", "--json", data_dir=data, env=env)
        assert polled.returncode == 0, polled.stderr
        states.append(json.loads(polled.stdout))
        if states[-1]["state"] == "idle":
            break
    assert [s["round"] for s in states if s["state"] == "submitted"] == ["lessons", "quizzes, exam and flashcards"]
    assert sorted(states[-1]["finished"]) == sorted(result["job_ids"])
    jobs = json.loads(coursegen("jobs", "--json", data_dir=data, env=env).stdout)
    assert {j["status"] for j in jobs} == {"completed"} and all(0 < j["usage"]["cost_usd"] for j in jobs)
    assert "No batch is running" in coursegen("batch", "poll", data_dir=data, env=env).stdout
    assert not api.messages()


def test_a_bad_csv_line_is_one_sentence(tmp_path: Path, batch_env: Any) -> None:
    _, env = batch_env
    topics = tmp_path / "topics.csv"
    topics.write_text("topic,level,modules\nPhotosynthesis,beginner,2\nVolcanoes,expert,2\n", encoding="utf-8")

    result = coursegen("batch", "submit", str(topics), data_dir=tmp_path / "d", env=env)

    assert result.returncode == 2 and "Line 3 of topics.csv: Level must be beginner, intermediate or advanced." in result.stderr


def test_submit_without_a_key_says_how_to_set_one(tmp_path: Path) -> None:
    topics = tmp_path / "topics.txt"
    topics.write_text("Photosynthesis\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}

    result = coursegen("batch", "submit", str(topics), data_dir=tmp_path / "d", env=env)

    assert result.returncode == 2 and "ANTHROPIC_API_KEY" in result.stderr and "Traceback" not in result.stderr
    assert json.loads(coursegen("jobs", "--json", data_dir=tmp_path / "d", env=env).stdout) == []
