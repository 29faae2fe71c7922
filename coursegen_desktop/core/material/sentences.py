"""Sentence splitting that does not break after abbreviations or initials (chunking, the
offline generator and the review checks all quote whole sentences)."""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset("e.g i.e etc vs dr mr mrs ms prof fig figs no nos st approx ca cf al eq eqs sec ch vol pp p jr sr inc ltd co dept".split())
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Split running text into sentences, not breaking after abbreviations or initials."""
    sentences = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if text[start : match.start()].count("`") % 2:
            continue  # inside `inline code`: not the end of a sentence
        before = text[start : match.start()].rsplit(None, 1)
        last = before[-1] if before else ""
        bare = last.lower().strip("(\"'“‘")
        if text[match.start()] == "." and (bare in _ABBREVIATIONS or _initial(bare, before) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", bare)):
            continue
        sentence = text[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _initial(bare: str, before: list[str]) -> bool:
    """'J.' in 'J. Smith' is an initial; 'I.' in 'photosystem I.' ends a sentence."""
    if not re.fullmatch(r"[A-Za-z]", bare) or bare == "I":
        return False
    previous = before[0].rsplit(None, 1)[-1].strip(",;") if len(before) > 1 and before[0].strip() else ""
    return not previous[:1].islower() or previous in ("by", "and", "of", "to", "with", "from", "said")
