"""Spotting headings in text without markup: numbering, chapter words, capitals and short
title-like lines, with levels taken from the order each style first appears."""

from __future__ import annotations

import re

from coursegen_desktop.core.material.blocks import BULLET

_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(\S.*)$")
_CHAPTER = re.compile(r"^(?:chapter|part|section|unit|module|appendix|lesson)\s+(?:\d+|[ivxlc]+|[a-z])\b[.:]?\s*", re.I)
SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_SMALL_WORDS = frozenset("a an and as at but by for from in into nor of on or the to with vs via".split())


def _title_like(line: str, *, strict: bool = False) -> bool:
    """A short line that reads like a heading: capitalised, few words, no sentence punctuation."""
    s = line.strip()
    tokens = s.split()
    if not tokens or len(tokens) > (8 if strict else 12) or len(s) > 90:
        return False
    if s[-1] in ".,;:" or not (s[0].isupper() or s[0].isdigit()) or ". " in s:
        return False
    if sum(ch.isalpha() for ch in s) < 0.6 * len(s.replace(" ", "")):
        return False
    significant = [t for t in tokens if t.lower() not in _SMALL_WORDS and t[:1].isalpha()]
    capitalised = sum(1 for t in significant if t[0].isupper())
    if strict:
        return bool(significant) and capitalised >= 0.6 * len(significant)
    return len(tokens) <= 6 or capitalised >= 0.6 * max(1, len(significant))


def _all_caps(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 4 and all(ch.isupper() for ch in letters) and len(line.split()) <= 12 and not line.rstrip().endswith((".", ","))


def heading_style(line: str, *, isolated: bool, strict: bool = False) -> str | None:
    """Which kind of heading a plain-text line is ('caps', 'num2', 'title', …) or None."""
    s = line.strip()
    if not s or len(s) > 100 or BULLET.match(s) and not _NUMBERED_HEADING.match(s):
        return None
    numbered = _NUMBERED_HEADING.match(s)
    if numbered and _title_like(numbered.group(2), strict=strict):
        depth = numbered.group(1).count(".") + 1
        if depth > 1 or isolated:
            return f"num{depth}"
    if _CHAPTER.match(s) and len(s.split()) <= 12 and not s.endswith("."):
        return "chapter"
    if _all_caps(s) and (isolated or not strict):
        return "caps"
    if isolated and _title_like(s, strict=strict) and not numbered:
        return "title"
    return None


class Levels:
    """Heading levels by first appearance of each style, as reStructuredText does: plain text
    has no markup for levels, but a document uses its heading styles consistently."""

    def __init__(self) -> None:
        self.order: list[str] = []

    def level(self, style: str) -> int:
        if style not in self.order:
            self.order.append(style)
        return self.order.index(style) + 1


def clean_heading(line: str) -> str:
    return " ".join(line.strip().strip("#").split())
