"""Answer options as every writer of questions sees them: the same normal form for "are these two
options the same?", numbers read the same way, and key positions spread evenly.

Shared by the review step and the offline generator, which must agree exactly (an option the
generator thinks is distinct must not be a duplicate to the review), so it lives here rather
than in either of them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

_NUMBER = re.compile(r"^[-−]?\d{1,3}(?:[,\s]\d{3})*(?:\.\d+)?\s*%?$|^[-−]?\d+(?:\.\d+)?\s*%?$")
_ARTICLES = frozenset({"a", "an", "the"})


def normalise_option(text: str) -> str:
    """Casefold, strip punctuation, articles and extra whitespace (check 3)."""
    tokens = re.sub(r"[^\w\s]", " ", text.casefold()).split()
    return " ".join(t for t in tokens if t not in _ARTICLES)


def is_numeric_option(text: str) -> bool:
    return bool(_NUMBER.match(text.strip()))


def numeric_value(text: str) -> float:
    cleaned = text.strip().replace("−", "-").rstrip("%").strip()
    return float(re.sub(r"[,\s]", "", cleaned))


def balanced_positions(count: int, seed: str, options: int = 4) -> list[int]:
    """Key positions for `count` items: shuffled blocks of 0..options-1, so every letter gets
    its share and no run is longer than 2 (check 16). Deterministic for a seed."""
    rng = random.Random(seed)
    positions: list[int] = []
    while len(positions) < count:
        block = list(range(options))
        rng.shuffle(block)
        if positions and block[0] == positions[-1]:
            block.append(block.pop(0))
        positions.extend(block)
    return positions[:count]


def place_key(key: str, distractors: Sequence[str], position: int, rng: random.Random) -> tuple[list[str], int]:
    """Shuffle the distractors and put the key at `position`: returns (options, answer_index)."""
    others = list(distractors)
    rng.shuffle(others)
    position = max(0, min(position, len(others)))
    return [*others[:position], key, *others[position:]], position
