"""Module and lesson titles from the material's headings (key terms when it has none), never
two the same in one course."""

from __future__ import annotations

from collections import Counter

from coursegen_desktop.core.generators.offline.index import Index
from coursegen_desktop.core.generators.offline.records import Piece
from coursegen_desktop.core.generators.offline.text import capitalise, join_with_and


class Titler:
    """Titles from the material's headings; key terms when it has none; never two the same."""

    def __init__(self, index: Index) -> None:
        self.index = index

    def titles(self, groups: list[list[Piece]], taken: set[str], module: bool = False) -> list[str]:
        """One title per group; `taken` (shared by the caller) keeps them unique course-wide."""
        result = []
        for n, pieces in enumerate(groups, start=1):
            title = self._title(pieces, module)
            if not title or title.casefold() in taken:
                title = self._distinct(pieces, title, taken, n)
            taken.add(title.casefold())
            result.append(title)
        return result

    def _title(self, pieces: list[Piece], module: bool) -> str:
        """A module is named by the heading its sections share, a lesson by its own one or two
        section headings; otherwise the shared heading, else the headings below it."""
        paths = [path for path in (self.index.sections[p.section].path for p in pieces) if path]
        if not paths:
            return ""
        common = _common_prefix(paths)
        leaves = list(dict.fromkeys(p[-1] for p in paths))
        if not module and len(leaves) <= 2 and len(title_join(leaves)) <= 80:
            return title_join(leaves)
        if common:
            return common[-1]
        heads = list(dict.fromkeys(p[0] for p in paths))
        if len(heads) <= 3 and len(title_join(heads)) <= 80:
            return title_join(heads)
        return f"{heads[0]} to {_lower_article(heads[-1])}"

    def _distinct(self, pieces: list[Piece], title: str, taken: set[str], n: int) -> str:
        counts: Counter[tuple[str, ...]] = Counter()
        for i in self.index.sentences_of(pieces):
            counts.update(gram for _, _, gram in self.index.sentences[i].occurrences if not self.index.terms[gram].numeric)
        for gram in sorted(counts, key=lambda g: (-counts[g] * self.index.terms[g].score, g)):
            surface = capitalise(self.index.terms[gram].surface)
            candidate = f"{title}: {surface}" if title else surface
            if candidate.casefold() not in taken and surface.casefold() not in title.casefold():
                return candidate
        base = title or "Part"
        k = n
        while f"{base} ({k})".casefold() in taken:
            k += 1
        return f"{base} ({k})"


def _lower_article(title: str) -> str:
    """'The light reactions' inside a longer title reads 'the light reactions'."""
    first, _, rest = title.partition(" ")
    return f"{first.lower()} {rest}" if first in ("The", "A", "An") and rest else title


def title_join(titles: list[str]) -> str:
    return join_with_and([titles[0], *(_lower_article(t) for t in titles[1:])]) if titles else ""


def _common_prefix(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    prefix = paths[0]
    for path in paths[1:]:
        k = 0
        while k < min(len(prefix), len(path)) and prefix[k] == path[k]:
            k += 1
        prefix = prefix[:k]
    return prefix
