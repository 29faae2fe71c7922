"""One request with our own retries, for every network generator.

SDK and HTTP client retries are off: each retry here is visible (a `Retrying` event through
`ctx.on_retry`), cancellable (it is an `asyncio.sleep`), and a server's `retry-after` pauses
every job through the shared limiter. What is retried, and the sentence shown when the budget
is spent, comes from the backend's `classify` function as a `Failure`.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from coursegen_desktop.core import ratelimit, secrets
from coursegen_desktop.core.errors import CourseGenError
from coursegen_desktop.core.generators.base import GenerationContext

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ATTEMPTS = 6
RETRY_BASE_S = 2.0
RETRY_CAP_S = 60.0


@dataclass(frozen=True)
class Failure:
    retryable: bool
    reason: str  # for Retrying events: "Rate limited by the API", …
    error: CourseGenError  # raised at once when not retryable, or when the retry budget is spent
    retry_after: float | None = None


Classify = Callable[[Exception], "Failure | None"]


def short(text: str, limit: int = 160) -> str:
    text = " ".join(secrets.redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment, else `default`."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        log.warning("%s=%r is not a positive number of seconds; using %s.", name, text[:40], default)
        return default
    return value


def retry_after_seconds(headers: Any) -> float | None:
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                when = email.utils.parsedate_to_datetime(value)
                return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, AttributeError):
        pass
    return None


def network_reason(exc: BaseException) -> str:
    """A plain phrase for why a connection failed, from the exception chain."""
    text = ""
    current: BaseException | None = exc
    while current is not None:
        text += f" {type(current).__name__} {current}"
        current = current.__cause__ or current.__context__
    text = text.lower()
    if "timeout" in text or "timed out" in text:
        return "the request timed out"
    if "refused" in text:
        return "the connection was refused"
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text or "resolve" in text:
        return "the server name could not be found"
    if "certificate" in text or "ssl" in text:
        return "the secure connection could not be set up"
    return "the connection failed"


class Retrier:
    """Runs one request until it succeeds, fails for good, or the attempts are spent."""

    def __init__(
        self,
        classify: Classify,
        limiter: ratelimit.RateLimiter,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        base_s: float | None = None,
        cap_s: float = RETRY_CAP_S,
    ) -> None:
        self.classify = classify
        self.limiter = limiter
        self.max_attempts = max(1, max_attempts)
        self.base_s = env_seconds("COURSEGEN_RETRY_BASE_S", RETRY_BASE_S) if base_s is None else base_s
        self.cap_s = cap_s

    async def call(self, ctx: GenerationContext, what: str, once: Callable[[], Awaitable[T]], on_restart: Callable[[], None] | None = None) -> T:
        attempt = 0
        while True:
            ctx.cancel.raise_if_cancelled()
            try:
                return await once()
            except Exception as exc:
                failure = self.classify(exc)
                if failure is None:
                    raise
                if not failure.retryable:
                    log.warning("%s failed: %s", what, failure.error.message)
                    raise failure.error from None
                attempt += 1
                if attempt >= self.max_attempts:
                    log.warning("%s failed after %d attempts: %s", what, attempt, failure.reason)
                    raise failure.error from None
                delay = self.delay(attempt, failure.retry_after)
                log.info("%s: %s; retry %d in %.1f s", what, failure.reason, attempt, delay)
                if failure.retry_after is not None:
                    self.limiter.hold_off(delay)
                ctx.on_retry(attempt, delay, failure.reason)
                if on_restart is not None:
                    on_restart()
                await asyncio.sleep(delay)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """`retry-after` when the server gives one, else exponential backoff with jitter; capped."""
        if retry_after is not None:
            return min(self.cap_s, retry_after + random.uniform(0, 0.1 * self.base_s))
        backoff = min(self.cap_s, self.base_s * 2 ** (attempt - 1))
        return backoff * random.uniform(0.5, 1.0)
