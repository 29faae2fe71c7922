"""`coursegen generate --provider openai-compatible`: a real subprocess against the local fake server."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_generate import coursegen
from tests.fakes import DEFAULT_LOCAL_MODELS, FakeOpenAIAPI

MODEL = DEFAULT_LOCAL_MODELS[0]
SIZE = ("--modules", "1", "--lessons-per-module", "2", "--questions", "3", "--exam-questions", "3")


@pytest.fixture
def local_api() -> Any:
    with FakeOpenAIAPI() as api:
        yield api


def test_generate_with_a_local_model_and_show_it(tmp_path: Path, local_api: FakeOpenAIAPI) -> None:
    data = tmp_path / "data"
    result = coursegen("generate", "Photosynthesis", "--provider", "openai-compatible", "--base-url", local_api.base_url,
                       "--model", MODEL, "--json", *SIZE, data_dir=data)

    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[-1]["type"] == "JobCompleted" and events[-1]["usage"]["cost_usd"] == 0
    assert local_api.messages("lesson") and all(r.stream for r in local_api.messages())

    shown = json.loads(coursegen("show", events[0]["job_id"], "--json", data_dir=data).stdout)
    assert shown["generator"] == f"openai-compatible:{MODEL}" and len(shown["lessons"]) == 2
    assert shown["job"]["request"]["base_url"] == local_api.base_url and shown["job"]["request"]["generator"] == "openai-compatible"
    human = coursegen("show", events[0]["job_id"], data_dir=data).stdout
    assert f"generator openai-compatible ({MODEL})" in human and "cost $0.0000" in human


def test_the_server_address_comes_from_the_environment(tmp_path: Path, local_api: FakeOpenAIAPI) -> None:
    env = {**os.environ, "COURSEGEN_OPENAI_BASE_URL": local_api.base_url}
    result = coursegen("generate", "Photosynthesis", "--provider", "openai-compatible", "--model", MODEL, *SIZE, data_dir=tmp_path / "d", env=env)

    assert result.returncode == 0, result.stderr
    assert "Course ready" in result.stdout and len(local_api.messages("lesson")) == 2


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (("--provider", "openai-compatible"), "Name the local model with --model"),
        (("--provider", "openai-compatible", "--model", MODEL, "--offline"), "Choose either --offline or --provider openai-compatible"),
        (("--base-url", "http://localhost:11434/v1"), "--base-url is for a local model server"),
        (("--provider", "openai-compatible", "--model", MODEL, "--base-url", "localhost:11434"), "is not a server address"),
    ],
)
def test_bad_local_options_are_usage_errors(tmp_path: Path, args: tuple[str, ...], sentence: str) -> None:
    result = coursegen("generate", "Photosynthesis", *args, data_dir=tmp_path / "d")
    assert result.returncode == 2 and sentence in result.stderr and "Traceback" not in result.stderr


def test_a_server_that_is_not_running_fails_with_what_to_do(tmp_path: Path, local_api: FakeOpenAIAPI) -> None:
    url = local_api.base_url
    local_api.stop()
    env = {**os.environ, "COURSEGEN_RETRY_BASE_S": "0.01"}
    result = coursegen("generate", "Photosynthesis", "--provider", "openai-compatible", "--base-url", url, "--model", MODEL, data_dir=tmp_path / "d", env=env)

    assert result.returncode == 1
    assert f"Could not reach the model server at {url}; start it (for Ollama: `ollama serve`), then Resume." in result.stderr
