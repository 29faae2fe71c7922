"""Choosing items for a quiz or exam: independent stems and keys, kinds interleaved, and
exam questions shared out across modules."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from coursegen_desktop.core.generators.offline.items import Item
from coursegen_desktop.core.options import normalise_option


def distinct_options(key: str, distractors: Sequence[str]) -> list[str]:
    """The key first, then distractors that differ from it and from each other once normalised."""
    seen = {normalise_option(key)}
    options = [key]
    for distractor in distractors:
        if normalise_option(distractor) not in seen:
            seen.add(normalise_option(distractor))
            options.append(distractor)
    return options


def take(chosen: list[Item], pool: list[Item], count: int, strict: bool, context: Sequence[Item] = ()) -> None:
    """Add up to `count` items from `pool` that keep the set independent (HDR #4): no repeated
    or near-identical stem and, when strict, no reused sentence and no key that shows up in
    another item's stem. `context` holds items already placed elsewhere in the same test."""
    added = 0
    for item in pool:
        if added >= count:
            return
        placed = [*context, *chosen]
        if any(item.stem == c.stem or _near_duplicate(item.stem, c.stem) for c in placed):
            continue
        if strict and any(item.sentence == c.sentence or _key_in(c.key, item.stem) or _key_in(item.key, c.stem) for c in placed):
            continue
        chosen.append(item)
        added += 1


def item_order(item: Item) -> tuple:
    return (-item.score, item.sentence, item.stem)


def interleave(items: list[Item]) -> list[Item]:
    """Alternate the kinds of item (definitional, cloze, …), each kind kept best first."""
    by_kind: dict[str, list[Item]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    queues = list(by_kind.values())
    result: list[Item] = []
    while queues:
        for queue in list(queues):
            result.append(queue.pop(0))
            if not queue:
                queues.remove(queue)
    return result


def _key_in(key: str, stem: str) -> bool:
    return bool(re.search(rf"(?<![\w]){re.escape(key.casefold())}(?![\w])", stem.casefold()))


def _near_duplicate(a: str, b: str) -> bool:
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.real_quick_ratio() > 0.8 and matcher.quick_ratio() > 0.8 and matcher.ratio() > 0.8


def allocate(total: int, weights: list[int]) -> list[int]:
    """Largest-remainder split of `total` items over modules, at least one each when possible."""
    if not weights:
        return []
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    for i, c in enumerate(counts):  # every module represented (check 17) when there is room
        if c == 0 and total >= len(weights):
            donor = max(range(len(counts)), key=lambda j: (counts[j], -j))
            counts[donor] -= 1
            counts[i] = 1
    return counts
