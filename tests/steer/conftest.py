"""Fixtures for the steering features (plan, outline review, regenerate): a store and sample material."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coursegen_desktop.core.store import Store
from tests.conftest import SAMPLES


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store.open()
    yield opened
    opened.close()


@pytest.fixture
def samples() -> tuple[Path, ...]:
    return tuple(sorted(SAMPLES.glob("*")))
