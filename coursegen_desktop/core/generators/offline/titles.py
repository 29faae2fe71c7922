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
        if module:
            return self._module_titles(groups, taken)
        result = []
        for n, pieces in enumerate(groups, start=1):
            title = self._lesson_title(pieces)
            if not title or title.casefold() in taken:
                title = self._distinct(pieces, title, taken, n)
            taken.add(title.casefold())
            result.append(title)
        return result

    def _module_titles(self, groups: list[list[Piece]], taken: set[str]) -> list[str]:
        """A module is named after what its lessons share: their common parent heading, else the
        key term found across most of its sections. Strong claims are served first, so the
        module where a term dominates gets it, and no two modules share a name (never "X to Y")."""
        result: list[str | None] = [None] * len(groups)
        for n, pieces in enumerate(groups):
            common = self._common_heading(pieces)
            if common and common.casefold() not in taken:
                result[n] = common
                taken.add(common.casefold())
        claims = [(-spread, -weight, n, gram) for n, pieces in enumerate(groups) if result[n] is None for spread, weight, gram in self._shared_terms(pieces)]
        for _, _, n, gram in sorted(claims):
            title = self._term_title(gram)
            if result[n] is None and title.casefold() not in taken:
                result[n] = title
                taken.add(title.casefold())
        for n, pieces in enumerate(groups):
            if result[n] is None:
                result[n] = self._distinct(pieces, "", taken, n + 1)
                taken.add(result[n].casefold())  # type: ignore[union-attr]
        return [title or "" for title in result]

    def _common_heading(self, pieces: list[Piece]) -> str:
        paths = [path for path in (self.index.sections[p.section].path for p in pieces) if path]
        common = _common_prefix(paths) if paths else ()
        return common[-1] if common else ""

    def _shared_terms(self, pieces: list[Piece]) -> list[tuple[int, float, tuple[str, ...]]]:
        """(sections it occurs in, weight, term) for the key terms of these pieces."""
        spread: Counter[tuple[str, ...]] = Counter()
        weight: Counter[tuple[str, ...]] = Counter()
        for section in dict.fromkeys(p.section for p in pieces):
            seen: set[tuple[str, ...]] = set()
            for i in self.index.sections[section].sentences:
                for _, _, gram in self.index.sentences[i].occurrences:
                    term = self.index.terms[gram]
                    if gram in self.index.keyable_keys and not term.numeric:
                        seen.add(gram)
                        weight[gram] += term.score
            spread.update(seen)
        return [(spread[g], weight[g], g) for g in spread]

    def _term_title(self, gram: tuple[str, ...]) -> str:
        """A key term as a title, in the plural when the material uses it so ("Statements")."""
        surface = self.index.terms[gram].surface
        plural = " ".join((*gram[:-1], gram[-1] + "s"))
        if not gram[-1].endswith("s") and plural in self.index.phrases and surface.casefold().endswith(gram[-1]):
            surface += "s"
        return capitalise(surface)

    def _lesson_title(self, pieces: list[Piece]) -> str:
        """A lesson is named by its own one or two section headings, else the heading they
        share, else its first headings."""
        paths = [path for path in (self.index.sections[p.section].path for p in pieces) if path]
        if not paths:
            return ""
        common = _common_prefix(paths)
        leaves = list(dict.fromkeys(p[-1] for p in paths))
        if len(leaves) <= 2 and len(title_join(leaves)) <= 80:
            return title_join(leaves)
        if common:
            return common[-1]
        heads = list(dict.fromkeys(p[0] for p in paths))
        return title_join(heads[:2]) if len(title_join(heads[:2])) <= 80 else heads[0]

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
