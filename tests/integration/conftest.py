"""Fixtures for running the real anthropic SDK against the local Messages API fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coursegen_desktop.core.material import Chunk, Material
from tests.fakes import DEFAULT_KEY, FakeMessagesAPI

NOTES = " ".join(
    f"Section {i}: photosynthesis turns light energy into chemical energy stored in glucose, and chlorophyll absorbs red and blue light."
    for i in range(60)
)


@pytest.fixture
def fake_api() -> Iterator[FakeMessagesAPI]:
    """A running fake with a little streaming latency so concurrency is observable."""
    with FakeMessagesAPI(delta_delay=0.002) as api:
        yield api


@pytest.fixture
def claude_env(fake_api: FakeMessagesAPI, monkeypatch: pytest.MonkeyPatch) -> FakeMessagesAPI:
    """The key and base URL come from the environment, as they would for a user."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", DEFAULT_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_api.base_url)
    return fake_api


@pytest.fixture
def notes_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.md"
    path.write_text("# Photosynthesis\n\n" + NOTES + "\n", encoding="utf-8")
    return path


@pytest.fixture
def notes_material() -> Material:
    return Material((Chunk("notes.md", "Photosynthesis", NOTES),))
