"""Cheap stand-ins for a part-of-speech tagger: which token runs can be key terms, which
defining phrases are real definitions, and how often each n-gram occurs."""

from __future__ import annotations

import re
from collections import Counter

from coursegen_desktop.core.generators.offline.text import (
    NEGATIVE,
    TRIGGERS,
    stem_set,
    tokenise,
)
from coursegen_desktop.core.material import STOPWORDS

_META_DEF = frozenset("summary example description result reason question answer point idea thing lot way bit case matter story".split())


class NgramCounts:
    """How often each 1-3 word sequence occurs (Counter over zip runs in C: fast on 100 pages)."""

    def __init__(self) -> None:
        self.counts: list[Counter] = [Counter(), Counter(), Counter()]

    def add(self, low: list[str]) -> None:
        self.counts[0].update(low)
        self.counts[1].update(zip(low, low[1:]))
        self.counts[2].update(zip(low, low[1:], low[2:]))

    def __getitem__(self, gram: tuple[str, ...]) -> int:
        if not 1 <= len(gram) <= 3:
            return 0
        return self.counts[len(gram) - 1][gram[0] if len(gram) == 1 else gram]


def candidate_runs(low: list[str], text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Token ranges that look like noun phrases: up to 3 content words after a trigger word, or a
    run of capitalised words inside the sentence."""
    runs = []
    for i, token in enumerate(low):
        start = i + 1
        if token in TRIGGERS:
            end = start
            while end < len(low) and end - start < 3 and _content_token(low[end]):
                end += 1
            if end > start:
                runs.append((start, end))
        elif i > 0 and low[i - 1] not in TRIGGERS and _content_token(token) and text[spans[i][0]].isupper() and not (_content_token(low[i - 1]) and text[spans[i - 1][0]].isupper()):
            end = i
            while end < len(low) and end - i < 3 and _content_token(low[end]) and text[spans[end][0]].isupper():
                end += 1
            runs.append((i, end))
    return runs


def _content_token(token: str) -> bool:
    return token != "|" and token not in STOPWORDS and token not in TRIGGERS and not token[0].isdigit() and not token.endswith("ly") and len(token) > 1


def verb_pair(gram: tuple[str, ...]) -> bool:
    """'plants comes': a plural noun followed by an -s word is a subject and its verb."""
    return len(gram) == 2 and gram[0].endswith("s") and not gram[0].endswith(("ss", "us", "is")) and gram[1].endswith("s") and not gram[1].endswith("ss")


_VERB_FOLLOWERS = frozenset("to into from over below above through back down up out away on the a an its their".split())


def ends_in_verb(low: list[str], start: int, end: int) -> bool:
    """'the air cools to …': a run whose last word ends in -s after a singular word and is
    followed by a preposition or determiner is a noun and its verb."""
    if end - start < 2:
        return False
    last, before = low[end - 1], low[end - 2]
    following = low[end] if end < len(low) else "|"
    return last.endswith("s") and not last.endswith(("ss", "us", "is")) and not before.endswith("s") and following in _VERB_FOLLOWERS


def wordlike(gram: tuple[str, ...]) -> bool:
    return all(any(ch.isalpha() for ch in t) for t in gram)


def number_class(token: str, following: str) -> str:
    digits = token.replace(",", "")
    if following in ("percent", "per", "%") or following.startswith("percent"):
        return "percent"
    if re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", digits):
        return "year"
    return "number"


def best_surface(counts: Counter[str]) -> str:
    """The commonest written form; a lower-case form wins over sentence-initial capitals."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    best = ranked[0][0]
    lower = next((form for form, _ in ranked if form[:1].islower()), None)
    if lower and lower.casefold() == best.casefold():
        return lower
    return best


def good_definition(definition: str, key: tuple[str, ...]) -> bool:
    tokens = [t for t in tokenise(definition)[0] if t != "|"]
    if not 3 <= len(tokens) <= 40 or NEGATIVE.search(definition) or {"this", "these", "those", "such"} & set(tokens):
        return False  # "in this way" points at a sentence the reader has not seen
    head = next((t for t in tokens if t not in STOPWORDS), "")
    if head in _META_DEF:
        return False  # "The equation is a summary, …" describes, it does not define
    return len([t for t in tokens if t not in STOPWORDS]) >= 2 and not (stem_set(key) and stem_set(key) <= stem_set(tokens))
