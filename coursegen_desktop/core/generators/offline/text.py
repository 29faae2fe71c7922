"""Tokens, stems and small word lists shared by the index, the item writer and the lesson
writer, so they all cut and compare text the same way."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from coursegen_desktop.core.material import STOPWORDS, light_stem

_TOKEN = re.compile(r"(?P<w>[^\W_]*[^\W\d_][^\W_]*(?:['’-][^\W_]+)*)|(?P<n>\d+(?:[.,]\d+)*)|(?P<p>[^\w\s])")


PRONOUN_START = frozenset("it this they these those he she such that there here we you its their his her both".split())


NEGATIVE = re.compile(r"\b(?:not|never|except|false|least|n't|cannot)\b", re.I)
TRIGGERS = frozenset("the a an of in into from by with and or called as on at for between through during than its their this these each every some many most such both".split())


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def join_with_and(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def stem_set(tokens: Iterable[str]) -> frozenset[str]:
    return frozenset(light_stem(t) for t in tokens if t not in STOPWORDS and len(t) > 1 and not t[0].isdigit())


def tokenise(text: str) -> tuple[list[str], list[tuple[int, int]], list[str]]:
    low, spans, raw = [], [], []
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        low.append("|" if match.lastgroup == "p" else word.casefold().replace("’", "'"))
        spans.append(match.span())
        raw.append(word)
    return low, spans, raw


def close_inline(text: str) -> str:
    """Drop the backtick or `**` a cut left without its partner, so inline markup stays balanced
    (an excerpt must never open code that it does not close)."""
    if text.count("`") % 2:
        k = text.rfind("`")
        text = text[:k] + text[k + 1 :]
    outside = [m.start() for m in re.finditer(r"\*\*", text) if not in_code_span(text, m.start(), m.end())]
    if len(outside) % 2:
        text = text[: outside[-1]] + text[outside[-1] + 2 :]
    return text


def excerpt(text: str, max_words: int) -> str:
    """The first `max_words` words of a sentence (plus "…"), never cut inside inline code."""
    words_ = text.rstrip(".!").split()
    n = max_words
    while n < len(words_) and " ".join(words_[:n]).count("`") % 2:
        n += 1  # finish the code span rather than leave it open
    return close_inline(" ".join(words_[:n])) + ("…" if n < len(words_) else "")


def in_code_span(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] lies inside `inline code`."""
    return any(m.start() < end and start < m.end() for m in _CODE_SPAN.finditer(text))


_CODE_SPAN = re.compile(r"`[^`]+`")
