"""Fixtures shared by the reliability tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coursegen_desktop.core import ratelimit
from tests.fakes import DEFAULT_KEY, FakeMessagesAPI


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMessagesAPI]:
    """The fake Messages API, with this process set up as `clikit.cli_env` sets up a child: key and
    base URL from the environment, short retry delays, and no client-side rate limit (restored
    afterwards), so `cli.main([...])` can run Claude jobs in-process."""
    with FakeMessagesAPI() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", DEFAULT_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        monkeypatch.setenv("COURSEGEN_RETRY_BASE_S", "0.05")
        limiter = ratelimit.limiter()
        saved = (limiter._rpm, limiter._max_requests)
        ratelimit.configure(rpm=0, max_requests=0)
        try:
            yield fake
        finally:
            ratelimit.configure(rpm=saved[0], max_requests=saved[1])
