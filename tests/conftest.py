"""Shared test set-up. Qt must be told to render offscreen before anything imports it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "resources" / "samples"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data folder and never sees a real API key or keyring."""
    data = tmp_path / "data"
    monkeypatch.setenv("COURSEGEN_DATA_DIR", str(data))
    monkeypatch.setenv("COURSEGEN_NO_KEYRING", "1")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    return data


@pytest.fixture
def data_dir(_isolated_data_dir: Path) -> Path:
    return _isolated_data_dir


@pytest.fixture(autouse=True)
def _no_engine_left(_isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN202
    """An engine started by a test (a process, or a thread here) is shut down when it ends."""
    monkeypatch.setenv("COURSEGEN_ENGINE_IDLE_S", "0.5")
    yield
    from tests.helpers.engine import shut_down_engine

    shut_down_engine(_isolated_data_dir)
