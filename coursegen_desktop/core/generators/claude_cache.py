"""Is the shared prompt prefix long enough for Claude to cache it?

Below a model's minimum cacheable length the `cache_control` marker is ignored without an error,
so a job with little or no material pays full price for the rules and outline on every lesson
and nobody is told. Before the first lesson the generator counts the lesson prefix with
`messages.count_tokens` (free, and it does not use the request rate limit of messages) and
notes in the job log when it is too short. Minimums as measured: Sonnet 4.6 caches from about
2,048 tokens in practice (the docs say 1,024); Opus 4.5/4.6 and Haiku 4.5 from 4,096.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 10.0
# Longest prefix wins; dated ids (claude-opus-4-6-20260101) match their family.
CACHE_MINIMUM_TOKENS = {
    "claude-opus-4-5": 4096,
    "claude-opus-4-6": 4096,
    "claude-haiku-4-5": 4096,
    "claude-sonnet-4-6": 2048,
    "claude-sonnet-4-5": 1024,
    "claude-sonnet-4": 1024,
    "claude-opus-4": 1024,
    "claude-3-5-haiku": 2048,
    "claude-3-haiku": 2048,
}
# Newer or unknown models: the larger minimums of the current families, so the note errs on
# the side of saying "not cached".
FAMILY_MINIMUM_TOKENS = {"opus": 4096, "haiku": 4096, "sonnet": 2048}
DEFAULT_MINIMUM_TOKENS = 2048


def cache_minimum(model: str) -> int:
    name = model.strip().lower()
    for prefix in sorted(CACHE_MINIMUM_TOKENS, key=len, reverse=True):
        if name.startswith(prefix):
            return CACHE_MINIMUM_TOKENS[prefix]
    return next((tokens for family, tokens in FAMILY_MINIMUM_TOKENS.items() if family in name), DEFAULT_MINIMUM_TOKENS)


def too_short_note(model: str, tokens: int, minimum: int) -> str:
    return (
        f"The prompt prefix shared by the lessons is about {tokens:,} tokens, below the {minimum:,} that {model} needs to "
        "cache it, so each lesson pays full price for it (longer study material makes caching worthwhile)."
    )


async def check_prefix(client: AsyncAnthropic, model: str, system: list[dict[str, Any]]) -> str | None:
    """A job-log note when `system` (the cached lesson prefix) is too short to cache, else None.

    A server without `count_tokens` (an older gateway) or a failed count says nothing: the check
    is advice, never a reason to stop a job.
    """
    minimum = cache_minimum(model)
    try:
        counted = await client.with_options(timeout=CHECK_TIMEOUT_S).messages.count_tokens(
            model=model, system=system, messages=[{"role": "user", "content": "."}]  # type: ignore[arg-type]
        )
    except Exception as exc:  # noqa: BLE001 - advice only
        log.info("Counting the cached prefix failed (%s); not checking the cache minimum.", type(exc).__name__)
        return None
    tokens = int(getattr(counted, "input_tokens", 0) or 0)
    log.info("cached lesson prefix: %d tokens (minimum %d for %s)", tokens, minimum, model)
    return too_short_note(model, tokens, minimum) if 0 < tokens < minimum else None
