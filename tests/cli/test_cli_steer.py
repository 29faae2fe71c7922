"""`coursegen plan | outline | approve | regenerate | versions | restore` as a script uses them."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli.test_cli_generate import ROOT, coursegen
from tests.conftest import SAMPLES

MATERIAL = ["--material", str(SAMPLES / "water-cycle.txt")]


def test_plan_json_contract_with_and_without_a_key(tmp_path: Path) -> None:
    from tests.fakes import DEFAULT_KEY, FakeMessagesAPI

    data = tmp_path / "data"
    offline = coursegen("plan", "Water", *MATERIAL, "--offline", "--json", data_dir=data)
    assert offline.returncode == 0, offline.stderr
    assert json.loads(offline.stdout)["calls"] == 0
    with FakeMessagesAPI() as api:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "ANTHROPIC_API_KEY": DEFAULT_KEY, "ANTHROPIC_BASE_URL": api.base_url}
        result = coursegen("plan", "Water", *MATERIAL, "--modules", "2", "--lessons-per-module", "3", "--json", data_dir=data, env=env)
        assert [r.path for r in api.requests] == ["/v1/messages/count_tokens"]
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert list(plan) == ["calls", "input_tokens", "output_tokens", "cost_usd", "seconds", "basis"]
    assert plan["calls"] == 6 + 2 + 3 and plan["basis"] == "defaults"
    assert isinstance(plan["input_tokens"], int) and isinstance(plan["output_tokens"], int)
    assert 0 < plan["cost_usd"]["low"] < plan["cost_usd"]["high"] <= 2 * plan["cost_usd"]["low"]
    assert 0 < plan["seconds"]["low"] < plan["seconds"]["high"]
    human = coursegen("plan", "Water", "--model", "claude-sonnet-4-6", data_dir=data)
    assert human.returncode == 0 and human.stdout.startswith("≈ 15 calls · $")
    bad = coursegen("plan", "Water", "--modules", "40", data_dir=data)
    assert bad.returncode == 2 and "Modules must be a whole number from 1 to 12" in bad.stderr


def test_review_edit_approve_regenerate_and_restore(tmp_path: Path) -> None:
    data = tmp_path / "data"
    stopped = coursegen("generate", "Water", *MATERIAL, "--offline", "--modules", "2", "--lessons-per-module", "2", "--review-outline", "--json", data_dir=data)
    assert stopped.returncode == 0, stopped.stderr
    events = [json.loads(line) for line in stopped.stdout.splitlines()]
    assert events[-1]["type"] == "OutlineReady" and events[-1]["outline"]["modules"]
    job_id = events[-1]["job_id"]
    assert f"coursegen approve {job_id}" in stopped.stderr
    assert json.loads(coursegen("show", job_id, "--json", data_dir=data).stdout)["job"]["status"] == "awaiting_review"
    resumed = coursegen("resume", job_id, data_dir=data)
    assert resumed.returncode == 2 and f"coursegen approve {job_id}" in resumed.stderr

    shown = coursegen("outline", job_id, "--json", data_dir=data)
    outline = json.loads(shown.stdout)
    outline_file = tmp_path / "outline.json"
    broken = dict(outline, title="", modules=outline["modules"] + [{"id": "m9", "title": "Empty", "lessons": []}])
    outline_file.write_text(json.dumps(broken), encoding="utf-8")
    refused = coursegen("outline", job_id, "--set", str(outline_file), data_dir=data)
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        "coursegen: The course title is empty; give the course a title.",
        "coursegen: Module 3 (“Empty”) has no lessons; add a lesson or remove the module.",
        "coursegen: The outline was not changed.",
    ]
    assert json.loads(coursegen("outline", job_id, "--json", data_dir=data).stdout) == outline

    outline["modules"][0]["lessons"][0]["title"] = "Evaporation, edited"
    outline_file.write_text(json.dumps(outline), encoding="utf-8")
    assert coursegen("outline", job_id, "--set", str(outline_file), data_dir=data).returncode == 0
    approved = coursegen("approve", job_id, "--json", data_dir=data)
    assert approved.returncode == 0, approved.stderr
    kinds = [json.loads(line)["type"] for line in approved.stdout.splitlines()]
    assert kinds[0] == "JobStarted" and kinds[-1] == "JobCompleted" and "TopicCompleted" in kinds
    course = json.loads(coursegen("show", job_id, "--json", data_dir=data).stdout)
    assert course["lessons"][0]["title"] == "Evaporation, edited"

    lesson_id = course["lessons"][1]["id"]
    rewritten = coursegen("regenerate", job_id, "--part", lesson_id, "--instruction", "simpler", data_dir=data)
    assert rewritten.returncode == 0, rewritten.stderr
    assert "Course ready" in rewritten.stdout and f"coursegen versions {job_id}" in rewritten.stdout
    jobs = json.loads(coursegen("jobs", "--json", data_dir=data).stdout)
    assert len(jobs) == 2 and jobs[0]["topic"].endswith(f"new lesson “{course['lessons'][1]['title']}”")
    versions = json.loads(coursegen("versions", job_id, "--json", data_dir=data).stdout)
    assert [(v["part"], v["version"], v["replaced_by"]) for v in versions] == [(lesson_id, 1, jobs[0]["id"])]
    restored = coursegen("restore", job_id, "--part", lesson_id, "--version", "1", data_dir=data)
    assert restored.returncode == 0 and "Restored version 1" in restored.stdout
    assert json.loads(coursegen("show", job_id, "--json", data_dir=data).stdout)["lessons"] == course["lessons"]

    unknown = coursegen("regenerate", job_id, "--part", "quiz:m9", data_dir=data)
    assert unknown.returncode == 2 and "no quiz for module 'm9'" in unknown.stderr and "Traceback" not in unknown.stderr
    late = coursegen("outline", job_id, "--set", str(outline_file), data_dir=data)
    assert late.returncode == 2 and "not waiting for an outline review" in late.stderr


def test_outline_regenerate_follows_the_instruction(tmp_path: Path) -> None:
    data = tmp_path / "data"
    material = ["--material", str(SAMPLES / "water-cycle.txt"), "--material", str(SAMPLES / "photosynthesis.md")]
    first = coursegen("generate", "Nature", *material, "--offline", "--modules", "2", "--lessons-per-module", "2", "--review-outline", "--json", data_dir=data)
    job_id = json.loads(first.stdout.splitlines()[-1])["job_id"]
    before = json.loads(coursegen("outline", job_id, "--json", data_dir=data).stdout)
    again = coursegen("outline", job_id, "--regenerate", "--instruction", "start with the Calvin cycle", data_dir=data)
    assert again.returncode == 0, again.stderr
    assert f"coursegen approve {job_id}" in again.stdout
    after = json.loads(coursegen("outline", job_id, "--json", data_dir=data).stdout)
    assert after["modules"] != before["modules"] and "Calvin" in json.dumps(after["modules"][0])
