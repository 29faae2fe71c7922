"""One limit on API requests for the whole process, shared by every running job.

The API's limits are per account, not per job, so two jobs with concurrency 4 must not send
eight requests at once when the user's tier allows fewer. Each job runs its own asyncio loop in
its own thread, so asyncio locks cannot be shared: the state sits behind a `threading.Lock`,
and a waiting coroutine polls with short `asyncio.sleep`s. Polling every few milliseconds costs
nothing at API request rates, and it keeps every wait cancellable (Cancel cancels the task).

Limits: requests per minute as a token bucket (bursts of up to ten seconds' worth, because the
API also enforces its per-minute limits over shorter intervals) and a cap on requests in flight
(a stream holds its slot until it ends). A 429 with `retry-after` calls `hold_off`, which
pauses new requests from all jobs, not only the one that was refused.
Configure with `COURSEGEN_RPM` / `COURSEGEN_MAX_REQUESTS` (0 = no limit) or `configure()`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)

DEFAULT_RPM = 50.0  # Anthropic's lowest tier
DEFAULT_MAX_REQUESTS = 8
_POLL_S = 0.02  # a freed slot is noticed within this; negligible next to API latency
_MAX_SLEEP_S = 0.1


class RateLimiter:
    """Thread-safe token bucket plus in-flight cap; `slot()` is the async way in."""

    def __init__(self, rpm: float = DEFAULT_RPM, max_requests: int = DEFAULT_MAX_REQUESTS) -> None:
        self._lock = threading.Lock()
        self._in_use = 0
        self._not_before = 0.0
        self._rpm = 0.0
        self._burst = 1.0
        self._tokens = 1.0
        self._max_requests = 0
        self._stamp = time.monotonic()
        self.configure(rpm=rpm, max_requests=max_requests)

    def configure(self, *, rpm: float | None = None, max_requests: int | None = None) -> None:
        """Change the limits at once for every job; None leaves a limit as it is, 0 removes it."""
        with self._lock:
            if rpm is not None:
                self._rpm = max(0.0, float(rpm))
                self._burst = max(1.0, self._rpm / 6)
                self._tokens = self._burst
            if max_requests is not None:
                self._max_requests = max(0, int(max_requests))

    @property
    def in_use(self) -> int:
        return self._in_use

    def hold_off(self, seconds: float) -> None:
        """Start no new request, from any job, for `seconds` (the API asked us to wait)."""
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + max(0.0, seconds))

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one request slot for the body of the `async with` (a whole stream)."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    async def acquire(self) -> None:
        while True:
            wait = self._try_acquire()
            if wait <= 0:
                return
            await asyncio.sleep(min(wait, _MAX_SLEEP_S))

    def release(self) -> None:
        with self._lock:
            self._in_use = max(0, self._in_use - 1)

    def _try_acquire(self) -> float:
        """Take a slot (and a token); 0 on success, else roughly how long to wait."""
        now = time.monotonic()
        with self._lock:
            if self._rpm:
                self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rpm / 60)
            self._stamp = now
            if now < self._not_before:
                return self._not_before - now
            if self._max_requests and self._in_use >= self._max_requests:
                return _POLL_S
            if self._rpm:
                if self._tokens < 1:
                    return (1 - self._tokens) * 60 / self._rpm
                self._tokens -= 1
            self._in_use += 1
            return 0.0


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return max(0.0, float(text))
    except ValueError:
        log.warning("%s=%r is not a number; using %s.", name, text, default)
        return default


_LIMITER = RateLimiter(
    rpm=_env_number("COURSEGEN_RPM", DEFAULT_RPM),
    max_requests=int(_env_number("COURSEGEN_MAX_REQUESTS", DEFAULT_MAX_REQUESTS)),
)


def limiter() -> RateLimiter:
    """The process-wide limiter every Claude request goes through."""
    return _LIMITER


def configure(*, rpm: float | None = None, max_requests: int | None = None) -> None:
    """Set the process-wide limits (Settings dialog, CLI flags, tests)."""
    _LIMITER.configure(rpm=rpm, max_requests=max_requests)
