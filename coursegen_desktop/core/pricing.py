"""Claude prices in USD per million tokens: the one place to update when Anthropic changes them.

Source: Anthropic's pricing page ("Model pricing", "Prompt caching"), checked October 2026.
Cache writes are the 5-minute TTL rate (the only TTL CourseGen uses). Haiku 5.5 is listed at
its <=100k-token prompt band; longer prompts cost more and are under-estimated here.
Unknown models (new releases, gateways with their own names) are priced as Claude Sonnet, and
`price_for` says so, because an estimate is more useful than a cost of $0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    cache_write: float
    cache_read: float


def _price(input_: float, output: float, *, cache_read: float | None = None) -> Price:
    """Standard multipliers: 5-minute cache writes 1.25x input, cache reads 0.1x unless listed."""
    return Price(input_, output, round(input_ * 1.25, 4), round(input_ * 0.1, 4) if cache_read is None else cache_read)


# Keys are model ids without a date suffix; longest prefix wins, so dated ids match too.
PRICES: dict[str, Price] = {
    "claude-fable-5-1": _price(10.0, 50.0, cache_read=0.25),
    "claude-mythos-5-1": _price(10.0, 50.0, cache_read=0.25),
    "claude-fable-5": _price(10.0, 50.0),
    "claude-mythos-5": _price(10.0, 50.0),
    "claude-opus-5-5": _price(4.0, 20.0, cache_read=0.20),
    "claude-opus-5": _price(5.0, 25.0),
    "claude-opus-4-8": _price(5.0, 25.0),
    "claude-opus-4-7": _price(5.0, 25.0),
    "claude-opus-4-6": _price(5.0, 25.0),
    "claude-opus-4-5": _price(5.0, 25.0),
    "claude-opus-4-1": _price(15.0, 75.0),
    "claude-opus-4-0": _price(15.0, 75.0),
    "claude-opus-4": _price(15.0, 75.0),
    "claude-sonnet-5-5": _price(2.0, 10.0, cache_read=0.10),
    "claude-sonnet-5": _price(2.0, 10.0),
    "claude-sonnet-4-6": _price(3.0, 15.0),
    "claude-sonnet-4-5": _price(3.0, 15.0),
    "claude-sonnet-4-0": _price(3.0, 15.0),
    "claude-sonnet-4": _price(3.0, 15.0),
    "claude-3-7-sonnet": _price(3.0, 15.0),
    "claude-haiku-5-5": _price(0.10, 0.50, cache_read=0.01),
    "claude-haiku-4-5": _price(1.0, 5.0),
    "claude-3-5-haiku": _price(0.80, 4.0),
    "claude-3-haiku": _price(0.25, 1.25),
}
FALLBACK_MODEL = "claude-sonnet-4-5"

_PREFIX_ORDER = sorted(PRICES, key=len, reverse=True)


def price_for(model: str) -> tuple[Price, bool]:
    """The model's price and whether it is known (False: the Sonnet price is used instead)."""
    name = model.strip().lower().removeprefix("anthropic.")
    for key in _PREFIX_ORDER:
        # "claude-opus-4" must not match "claude-opus-4-5-…": the next character must end the version.
        if name == key or (name.startswith(key) and re.match(r"[-@:_\[]?(\d{8}|latest|v\d|\[|$)", name[len(key) :])):
            return PRICES[key], True
    return PRICES[FALLBACK_MODEL], False


def cost_usd(model: str, usage_counts: Mapping[str, int] | object) -> float:
    """Cost of the given token counts (a mapping or an object with the four usage attributes)."""

    def count(name: str) -> int:
        value = usage_counts.get(name) if isinstance(usage_counts, Mapping) else getattr(usage_counts, name, 0)
        return int(value or 0)

    price, _known = price_for(model)
    total = (
        count("input_tokens") * price.input
        + count("output_tokens") * price.output
        + count("cache_creation_input_tokens") * price.cache_write
        + count("cache_read_input_tokens") * price.cache_read
    )
    return round(total / 1_000_000, 6)
